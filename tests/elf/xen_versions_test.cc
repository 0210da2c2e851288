// The table of Xen releases and the version witnesses: xen/Makefile's
// XEN_VERSION/XEN_SUBVERSION and xen-syms' xen_major_version() and
// xen_minor_version() (compiled with Xen's flags, with and without ENDBR64).
#include "elf_fixture.h"

#include "elf/image.h"
#include "elf/xen_versions.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace lp::test;
using namespace lp::elf;

namespace {

std::string return_thunk(const TempDir &dir) {
  return assemble(dir, "thunk", R"(
  .text
  .globl __x86_return_thunk
__x86_return_thunk:
  ret
  .section .note.GNU-stack,"",@progbits
)");
}

std::string image_saying(const TempDir &dir, const std::string &attr, int major, int minor) {
  std::string thunk = return_thunk(dir);
  std::string obj = compile_xen_c(
      dir, "version",
      fmt::format("{0} unsigned int xen_major_version(void) {{ return {1}; }}\n"
                  "{0} unsigned int xen_minor_version(void) {{ return {2}; }}\n",
                  attr, major, minor));
  must_run({"ld", "-Ttext=0xffff82d040200000", "--build-id=sha1", "-e", "xen_major_version",
            "-o", dir.file("xen-syms"), thunk, obj});
  return dir.file("xen-syms");
}

} // namespace

TEST_CASE("the release table: one row per release 4.17..4.22", "[elf][xen-versions]") {
  CHECK(supported_xen_versions() == "4.17, 4.18, 4.19, 4.20, 4.21, 4.22");
  CHECK(default_xen_release().version == XenVersion{4, 17});
  CHECK_FALSE(xen_release({4, 16}));
  CHECK_FALSE(xen_release({4, 23}));
  for (const XenRelease &r : xen_releases()) {
    INFO(r.version.str());
    int m = r.version.minor;
    CHECK(r.funcs_state_in_payload == (m <= 18));
    CHECK(r.funcs_writable == (m == 18));
    CHECK(r.build_id_first == (m >= 20));
    CHECK(r.alt_call_sites == (m >= 21));
    CHECK(r.sysctl_interface_version == (m >= 21 ? 0x16u : 0x15u));
    CHECK(r.debug_info_default == (m >= 20));
    CHECK(r.sizes.alt_instr == 14);
    CHECK(r.sizes.bug_frame == 8);
    CHECK(r.sizes.exception_table_entry == 8);
    CHECK(r.sizes.alt_call == (m >= 21 ? 4u : 0u));
  }
}

TEST_CASE("xen-version text: MAJOR.MINOR or MAJOR.MINOR.PATCH", "[elf][xen-versions]") {
  CHECK(parse_xen_version("4.20") == XenVersion{4, 20});
  CHECK(parse_xen_version("4.22.0") == XenVersion{4, 22});
  CHECK_FALSE(parse_xen_version("4"));
  CHECK_FALSE(parse_xen_version("4.x"));
  CHECK_FALSE(parse_xen_version("4.20-rc"));
  CHECK_FALSE(parse_xen_version(""));
}

TEST_CASE("xen/Makefile tells the version as Xen's does", "[elf][xen-versions]") {
  // The head of Xen 4.22.0's xen/Makefile.
  CHECK(xen_version_from_makefile("# Use 'make V=1' to see the full commands\n"
                                  "export XEN_VERSION       = 4\n"
                                  "export XEN_SUBVERSION    = 22\n"
                                  "export XEN_EXTRAVERSION ?= .0$(XEN_VENDORVERSION)\n") ==
        XenVersion{4, 22});
  CHECK(xen_version_from_makefile("XEN_VERSION = 4\nXEN_SUBVERSION = 17\n") == XenVersion{4, 17});
  CHECK_FALSE(xen_version_from_makefile("export XEN_VERSION := $(word 1,$(subst ., ,4.20))\n"
                                        "export XEN_SUBVERSION := 20\n"));
  CHECK_FALSE(xen_version_from_makefile("all:\n\techo\n"));
}

TEST_CASE("xen-syms tells the version through xen_major_version/xen_minor_version",
          "[elf][xen-versions]") {
  TempDir dir;
  CHECK(xen_version_from_image(LinkedImage::open(image_saying(dir, "", 4, 20))) ==
        XenVersion{4, 20});
  TempDir ibt; // functions reached through pointers start with ENDBR64
  auto path = image_saying(ibt, "__attribute__((cf_check))", 4, 22);
  auto img = LinkedImage::open(path);
  auto code = img.read(img.global("xen_minor_version")->address, 4);
  REQUIRE(code);
  CHECK(*code == std::vector<uint8_t>{0xf3, 0x0f, 0x1e, 0xfa});
  CHECK(xen_version_from_image(img) == XenVersion{4, 22});
}

TEST_CASE("xen-syms without the version functions tells nothing", "[elf][xen-versions]") {
  TempDir dir;
  std::string obj = compile_xen_c(dir, "other", "int other(int x) { return x + 1; }\n");
  must_run({"ld", "-Ttext=0xffff82d040200000", "-e", "other", "-o", dir.file("xen-syms"),
            return_thunk(dir), obj});
  CHECK_FALSE(xen_version_from_image(LinkedImage::open(dir.file("xen-syms"))));
}
