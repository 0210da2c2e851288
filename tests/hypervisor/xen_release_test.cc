// The in-tree hypervisor configured as other Xen releases
// (CONFIG_XEN_RELEASE): 4.18, whose loader writes per-function state into
// .livepatch.funcs; 4.20 (the 4.19+ layout with padding at 33..71, Xen's
// build-id checked first); 4.22 (4.21+: .alt_call_sites, sysctl interface
// 0x16). For each, livepatch-build reads the release from xen-syms and
// builds the XSA-style fix (02-table-bounds-xsa) with that release's layout;
// the hypervisor loads, applies and reverts it and the CPU-1 workload sees
// the change; the same payload in the other layout is refused with EINVAL
// and the loader's reason on the console.
#include "qemu_harness.h"

#include "elf/reader.h"

#include <catch2/catch.hpp>
#include <elf.h>
#include <filesystem>
#include <fmt/format.h>

using minixen::test::livepatch_build_example;
using minixen::test::Minixen;

namespace {

std::string release_image(const std::string &release) {
  return std::string(MINIXEN_RELEASE_IMAGES) + "/image-xen-" + release + "/xen";
}

// The payload's .livepatch.funcs as file bytes, with the section's flags.
struct Funcs {
  uint64_t flags = 0;
  std::vector<uint8_t> bytes;
};

Funcs funcs_of(const std::string &payload) {
  auto obj = lp::elf::read_object(payload);
  const auto *s = obj.section_named(".livepatch.funcs");
  REQUIRE(s);
  return {s->flags, s->data};
}

// A copy of `payload` with .livepatch.funcs replaced by `bytes` and/or its flags changed.
std::string rewrite_funcs(const lp::test::TempDir &dir, const std::string &payload,
                          const std::vector<uint8_t> &bytes, const std::string &flags) {
  std::string funcs = dir.file("funcs.bin"), out = dir.file("wrong-layout.livepatch");
  std::FILE *f = std::fopen(funcs.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  auto r = lp::test::run({"objcopy", "--update-section", ".livepatch.funcs=" + funcs,
                          "--set-section-flags", ".livepatch.funcs=" + flags, payload, out});
  INFO(r.output);
  REQUIRE(r.status == 0);
  return out;
}

struct Release {
  const char *version;
  uint64_t funcs_flags;      // what livepatch-build must write
  const char *sysctl;        // interface version the hypervisor reports
  const char *wrong_flags;   // objcopy flags of the wrong-layout copy
  int wrong_byte;            // byte of entry 0 set in the wrong-layout copy (-1: none)
  const char *refusal;       // the loader's console line for it
};

const Release kReleases[] = {
    {"4.18", SHF_ALLOC | SHF_WRITE, "0x15", "alloc,readonly", -1,
     "livepatch: wrong-layout: .livepatch.funcs is read-only, but Xen 4.18 writes per-function "
     "state into it"},
    {"4.20", SHF_ALLOC, "0x15", "alloc,readonly", 64,
     "livepatch: wrong-layout: Function 0: byte 64 of livepatch_func is not zero (Xen 4.20 "
     "layout has padding at 33..71)"},
    {"4.22", SHF_ALLOC, "0x16", "alloc,readonly", 64,
     "livepatch: wrong-layout: Function 0: byte 64 of livepatch_func is not zero (Xen 4.22 "
     "layout has padding at 33..71)"},
};

void prove(const Release &rel) {
  INFO("Xen " << rel.version);
  std::string image = release_image(rel.version);
  lp::test::TempDir out;
  auto build = livepatch_build_example(out, "02-table-bounds-xsa", image);
  INFO(build.output);
  REQUIRE(build.status == 0);
  CHECK(build.output.find(fmt::format("target Xen {} (from xen-syms)", rel.version)) !=
        std::string::npos);
  std::string payload = out.file("02-table-bounds-xsa") + "/02-table-bounds-xsa.livepatch";
  Funcs funcs = funcs_of(payload);
  CHECK(funcs.flags == rel.funcs_flags);
  REQUIRE(funcs.bytes.size() == 104);
  CHECK(funcs.bytes[32] == 2);
  for (size_t b = 33; b < 72; b++)
    CHECK(funcs.bytes[b] == 0);

  std::vector<uint8_t> wrong = funcs.bytes;
  if (rel.wrong_byte >= 0)
    wrong[rel.wrong_byte] = 1;
  std::string wrong_payload = rewrite_funcs(out, payload, wrong, rel.wrong_flags);

  Minixen m(image);
  CHECK(m.console().find(fmt::format("minixen {}-minixen", rel.version)) != std::string::npos);
  CHECK(m.console().find(fmt::format("Xen {} loader rules, sysctl interface {}", rel.version,
                                     rel.sysctl)) != std::string::npos);
  auto refused = m.tool({"upload", "wrong-layout", wrong_payload});
  INFO(refused.output << m.console());
  CHECK(refused.status == 1);
  CHECK(refused.output.find("22 (Invalid argument)") != std::string::npos);
  CHECK(m.wait_console(rel.refusal));

  CHECK(m.call("table_lookup", "8") == std::to_string(0x5ec2e7));
  auto load = m.act({"load", payload});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.call("table_lookup", "8") == "-22");
  CHECK(m.call("table_lookup", "3") == "103");
  REQUIRE(m.act({"revert", "02-table-bounds-xsa"}).status == 0);
  CHECK(m.call("table_lookup", "8") == std::to_string(0x5ec2e7));
  REQUIRE(m.act({"unload", "02-table-bounds-xsa"}).status == 0);
  auto work = m.tool({"workload"}).output;
  CHECK(work.find("probe table_lookup(8) value 6210279 changes 2") != std::string::npos);
  CHECK(work.find("fatal 0") != std::string::npos);
}

} // namespace

TEST_CASE("minixen as Xen 4.18: a writable .livepatch.funcs applies and a read-only one is refused",
          "[qemu][xen-release]") {
  prove(kReleases[0]);
}

TEST_CASE("minixen as Xen 4.20: the 4.19+ layout applies and a set state byte is refused",
          "[qemu][xen-release]") {
  prove(kReleases[1]);
}

TEST_CASE("minixen as Xen 4.22: the 4.21+ rules apply the payload and refuse a set state byte",
          "[qemu][xen-release]") {
  prove(kReleases[2]);
}
