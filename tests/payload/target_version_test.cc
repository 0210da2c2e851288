// livepatch-build's target release: --xen-version, xen/Makefile and xen-syms
// must agree; an unsupported release is refused; nothing said means 4.17.
#include "payload_fixture.h"

#include "elf/error.h"
#include "payload/target_version.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lp::payload;
using lp::test::TempDir;

namespace {

std::string tree_saying(const TempDir &dir, int minor) {
  std::filesystem::create_directories(dir.file("xen"));
  dir.write("xen/Makefile", "export XEN_VERSION       = 4\nexport XEN_SUBVERSION    = " +
                                std::to_string(minor) + "\n");
  return dir.file("xen");
}

std::string syms_saying(const TempDir &dir, int minor) {
  return lp::test::make_xen_syms(dir, "unsigned int xen_major_version(void) { return 4; }\n"
                                      "unsigned int xen_minor_version(void) { return " +
                                          std::to_string(minor) + "; }\n");
}

} // namespace

TEST_CASE("target release: the witnesses agree", "[payload][xen-release]") {
  TempDir dir;
  auto t = detect_target_version("", tree_saying(dir, 20), syms_saying(dir, 20));
  CHECK(t.release->version.str() == "4.20");
  CHECK(t.how == "xen/Makefile and xen-syms");
  t = detect_target_version("4.20", tree_saying(dir, 20), syms_saying(dir, 20));
  CHECK(t.how == "--xen-version and xen/Makefile and xen-syms");
  t = detect_target_version("4.22", "", "");
  CHECK(t.release->version.str() == "4.22");
  CHECK(t.release->alt_call_sites);
  t = detect_target_version("", dir.file("nowhere"), "");
  CHECK(t.release->version.str() == "4.17");
  CHECK(t.how == "default");
}

TEST_CASE("target release: a disagreement names the witness", "[payload][xen-release]") {
  TempDir dir;
  std::string tree = tree_saying(dir, 22), syms = syms_saying(dir, 20);
  CHECK_THROWS_WITH(detect_target_version("", tree, syms),
                    syms + ": says Xen 4.20, but xen/Makefile says Xen 4.22");
  CHECK_THROWS_WITH(detect_target_version("4.21", tree, ""),
                    tree + "/Makefile: says Xen 4.22, but --xen-version says Xen 4.21");
  CHECK_THROWS_WITH(detect_target_version("", tree_saying(dir, 16), ""),
                    tree + "/Makefile: Xen 4.16 is not supported (supported: 4.17, 4.18, 4.19, "
                           "4.20, 4.21, 4.22)");
  CHECK_THROWS_WITH(detect_target_version("4.2x", "", ""),
                    "4.2x: --xen-version wants MAJOR.MINOR, e.g. 4.20");
}
