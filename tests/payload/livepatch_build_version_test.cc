// livepatch-build end to end on the minitree: the target release comes from
// xen/Makefile (the minitree's xen-syms has no version functions), goes into
// the --json summary and decides the .livepatch.funcs flags; livepatch-check
// then applies that release's loader rules to the payload; --xen-version
// that contradicts the tree stops the build with one line and no payload.
#include "minitree.h"

#include "elf/atomic_file.h"
#include "elf/reader.h"

#include <catch2/catch.hpp>
#include <elf.h>
#include <filesystem>
#include <regex>

using lp::test::MiniTree;
using lp::test::RunResult;
namespace fs = std::filesystem;

namespace {

// The minitree's xen/Makefile with XEN_SUBVERSION = minor.
void set_minor(const MiniTree &t, int minor) {
  std::string path = t.src() + "/xen/Makefile";
  std::string text = lp::read_file(path);
  text = std::regex_replace(text, std::regex("XEN_SUBVERSION = [0-9]+"),
                            "XEN_SUBVERSION = " + std::to_string(minor));
  std::FILE *f = std::fopen(path.c_str(), "w");
  REQUIRE(f);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

uint64_t funcs_flags(const std::string &payload) {
  auto p = lp::elf::read_object(payload);
  const auto *s = p.section_named(".livepatch.funcs");
  REQUIRE(s);
  return s->flags;
}

} // namespace

TEST_CASE("livepatch-build: the release from xen/Makefile decides the payload layout",
          "[livepatch-build][e2e][xen-release]") {
  MiniTree t;
  RunResult r = t.build("01-table-bounds.patch", {"--json", t.dir().file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("target Xen 4.17 (from xen/Makefile)"));
  CHECK_THAT(lp::read_file(t.dir().file("r.json")), Catch::Contains("\"xen_version\": \"4.17\""));
  CHECK(funcs_flags(t.out() + "/01-table-bounds.livepatch") == SHF_ALLOC);

  MiniTree t18;
  set_minor(t18, 18);
  r = t18.build("01-table-bounds.patch");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("target Xen 4.18 (from xen/Makefile)"));
  CHECK(funcs_flags(t18.out() + "/01-table-bounds.livepatch") == (SHF_ALLOC | SHF_WRITE));
  CHECK(lp::read_file(t18.out() + "/livepatch-check.log").find("would load") != std::string::npos);
}

TEST_CASE("livepatch-build: --xen-version that contradicts xen/Makefile is an error",
          "[livepatch-build][e2e][xen-release]") {
  MiniTree t;
  RunResult r = t.build("01-table-bounds.patch", {"--xen-version", "4.20"});
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("ERROR: " + t.src() + "/xen/Makefile: says Xen 4.17, but "
                                       "--xen-version says Xen 4.20."));
  CHECK_FALSE(fs::exists(t.out() + "/01-table-bounds.livepatch"));
}
