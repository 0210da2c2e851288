// livepatch-gcc's rules: which tool a command runs, which object it writes,
// the ignore list, launchers in CC, and a real capture through the wrapper.
#include "payload_fixture.h"

#include "payload/compiler_wrapper.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lp::payload;
using lp::test::TempDir;

TEST_CASE("wrapper: compilers, launchers and objcopy are recognised", "[wrapper]") {
  auto gcc = classify_command({"gcc", "-O2", "-c", "common/foo.c", "-o", "common/.foo.o.tmp"});
  CHECK(gcc.kind == ToolKind::Compiler);
  CHECK(!gcc.object); // a .tmp output is not an object; objcopy writes the real one
  auto plain = classify_command({"x86_64-linux-gnu-gcc-12", "-c", "a.c", "-o", "dir/a.o"});
  CHECK(plain.kind == ToolKind::Compiler);
  CHECK(plain.object == "dir/a.o");
  auto ccache = classify_command({"ccache", "gcc", "-c", "a.c", "-oa.o"});
  CHECK(ccache.kind == ToolKind::Compiler);
  CHECK(ccache.object == "a.o");
  auto distcc = classify_command({"/usr/bin/distcc", "gcc72", "-c", "x.c", "-o", "x.o"});
  CHECK(distcc.object == "x.o");
  auto tmp = classify_command({"gcc", "-c", "x.c", "-o", "arch/x86/.tmp_x.o"});
  CHECK(tmp.object == "arch/x86/x.o");
  auto objcopy = classify_command({"objcopy", "--redefine-sym", "a.c=common/a.c",
                                   "common/.a.o.tmp", "common/a.o"});
  CHECK(objcopy.kind == ToolKind::Objcopy);
  CHECK(objcopy.object == "common/a.o");
  CHECK(classify_command({"ld", "-r", "-o", "built_in.o", "a.o"}).kind == ToolKind::Other);
  CHECK(classify_command({"gcc-ar", "rcs", "lib.a", "x.o"}).kind == ToolKind::Other);
}

TEST_CASE("wrapper: upstream's ignore list matches basenames", "[wrapper]") {
  for (const char *p : {"arch/x86/efi/check.o", "built_in.o", "prelink.o", "buildid.o",
                        ".xen-syms.0.o", "common/.verify_key.o", "arch/x86/boot/cmdline.init.o",
                        "x.xen-syms.1.o", "x.xen.efi.2.o"})
    CHECK(is_ignored_object(p));
  for (const char *p : {"common/version.o", "arch/x86/efi/boot.o", "common/sched/core.o"})
    CHECK(!is_ignored_object(p));
}

TEST_CASE("wrapper: captured paths are relative to the build folder", "[wrapper]") {
  CHECK(capture_relative_path("/b/src/xen", "common/a.o", "/b/src/") == "xen/common/a.o");
  CHECK(capture_relative_path("/b/src/xen", "/b/src/xen/x.o", "/b/src") == "xen/x.o");
  CHECK(!capture_relative_path("/elsewhere", "a.o", "/b/src/"));
}

TEST_CASE("wrapper: a real compile is captured and the tool's status kept", "[wrapper]") {
  TempDir dir;
  dir.write("src/xen/common/a.c", "int a(void) { return 1; }\n");
  dir.write("src/xen/common/bad.c", "int a(void) { return }\n");
  std::string wrapper = lp::test::tool_path("livepatch-gcc");
  std::string env = "LIVEPATCH_BUILD_DIR=" + dir.file("src/") + " LIVEPATCH_CAPTURE_DIR=" +
                    dir.file("cap") + " ";
  std::string cd = "cd " + dir.file("src/xen") + " && ";
  auto ok = lp::test::run_shell(cd + env + wrapper + " gcc -c common/a.c -o common/a.o");
  INFO(ok.output);
  REQUIRE(ok.status == 0);
  CHECK(lp::test::file_bytes(dir.file("cap/xen/common/a.o")) ==
        lp::test::file_bytes(dir.file("src/xen/common/a.o")));
  CHECK(lp::test::file_bytes(dir.file("cap/changed_objs")).size() ==
        std::string("xen/common/a.o\n").size());
  auto bad = lp::test::run_shell(cd + env + wrapper + " gcc -c common/bad.c -o common/bad.o");
  CHECK(bad.status == 1);
  CHECK_THAT(bad.output, Catch::Contains("error"));
  CHECK(!std::filesystem::exists(dir.file("cap/xen/common/bad.o")));
  auto ignored = lp::test::run_shell(cd + env + wrapper + " gcc -c common/a.c -o common/.x.o");
  CHECK(ignored.status == 0);
  CHECK(!std::filesystem::exists(dir.file("cap/xen/common/.x.o")));
}
