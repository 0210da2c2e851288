// The target Xen release decides the .livepatch.funcs section flags and the
// special-section entry sizes: it comes from --xen-version or from
// xen_major_version()/xen_minor_version() in xen-syms, which must agree.
#include "scenario.h"

#include "elf/error.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

using namespace lp::test::diff;
using lp::test::TempDir;

namespace {

// xen-syms says which release it is the way Xen's common/version.c does.
std::string versioned(int major, int minor, const std::string &body) {
  return fmt::format("unsigned int xen_major_version(void) {{ return {}; }}\n"
                     "unsigned int xen_minor_version(void) {{ return {}; }}\n{}",
                     major, minor, body);
}

const char *kOrig = "__attribute__((noinline)) int g(int x) { return x * 7 - 7; }\n";
const char *kPatched = "__attribute__((noinline)) int g(int x) { return x * 7 - 8; }\n";

Outcome build_for(const TempDir &dir, const std::string &orig, const std::string &patched,
                  const std::string &xen_version = "") {
  Pair p;
  p.sources = {{"x", orig, patched}};
  p.options.xen_version = xen_version;
  return run_pair(dir, p);
}

// The 104 bytes of the one entry: version 2 at 32, zero at 33..71 on every release.
void check_entry_bytes(const Outcome &o) {
  auto e = o.funcs().at(0);
  REQUIRE(e.raw.size() == 104);
  CHECK(e.raw[32] == 2);
  for (size_t b = 33; b < 72; b++)
    CHECK(e.raw[b] == 0);
}

} // namespace

TEST_CASE("xen-syms of Xen 4.18: .livepatch.funcs is writable (Xen 4.18 writes state into it)",
          "[diff][xen-release]") {
  TempDir dir;
  Outcome o = build_for(dir, versioned(4, 18, kOrig), versioned(4, 18, kPatched));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("target Xen 4.18 (from xen-syms)"));
  CHECK(o.result.xen_version == "4.18");
  const auto *funcs = o.object->section_named(".livepatch.funcs");
  REQUIRE(funcs);
  CHECK(funcs->flags == (SHF_ALLOC | SHF_WRITE));
  check_entry_bytes(o);
}

TEST_CASE("Xen 4.17 and 4.19..4.22: .livepatch.funcs is read-only with zero padding",
          "[diff][xen-release]") {
  for (int minor : {17, 19, 20, 21, 22}) {
    TempDir dir;
    Outcome o = build_for(dir, versioned(4, minor, kOrig), versioned(4, minor, kPatched));
    INFO("4." << minor << "\n" << o.log_text());
    REQUIRE(o.status() == 0);
    CHECK(o.result.xen_version == fmt::format("4.{}", minor));
    CHECK(o.object->section_named(".livepatch.funcs")->flags == SHF_ALLOC);
    check_entry_bytes(o);
    CHECK(o.result.sizes.source == fmt::format("table for Xen 4.{}", minor));
  }
}

TEST_CASE("create-diff-object: --xen-version picks the release when xen-syms does not say", "[diff][xen-release]") {
  TempDir dir;
  Outcome o = build_for(dir, kOrig, kPatched, "4.18");
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("target Xen 4.18 (from --xen-version)"));
  CHECK(o.object->section_named(".livepatch.funcs")->flags == (SHF_ALLOC | SHF_WRITE));
  TempDir dir2;
  Outcome d = build_for(dir2, kOrig, kPatched);
  CHECK(d.logged("target Xen 4.17 (from default)"));
  CHECK(d.object->section_named(".livepatch.funcs")->flags == SHF_ALLOC);
}

TEST_CASE("create-diff-object: --xen-version that contradicts xen-syms or an unsupported release is an error",
          "[diff][xen-release]") {
  TempDir dir;
  Outcome o = build_for(dir, versioned(4, 20, kOrig), versioned(4, 20, kPatched), "4.22");
  CHECK(o.status() == 1);
  CHECK(o.result.error == o.xen_syms + ": is Xen 4.20, but --xen-version says 4.22");
  CHECK_FALSE(o.object);
  TempDir dir2;
  Outcome u = build_for(dir2, versioned(4, 16, kOrig), versioned(4, 16, kPatched));
  CHECK(u.status() == 1);
  CHECK(u.result.error == u.xen_syms + ": is Xen 4.16, which is not supported (supported: "
                                       "4.17, 4.18, 4.19, 4.20, 4.21, 4.22)");
  TempDir dir3;
  Outcome b = build_for(dir3, kOrig, kPatched, "4.x");
  CHECK(b.status() == 1);
  CHECK(b.result.error == "4.x: --xen-version wants MAJOR.MINOR, e.g. 4.20");
}
