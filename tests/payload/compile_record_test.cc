// Compile records: the text format, root-relative paths, and what
// livepatch-gcc writes beside a captured object in a real kbuild-style
// compile (dot-target temporary, then objcopy).
#include "payload_fixture.h"

#include "payload/compile_record.h"
#include "payload/compiler_wrapper.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lp::payload;
using lp::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("compile record: paths under the root are written relative to it", "[compile-record]") {
  CompileRecord rec{"xen/common/a.o", "/b/build/xen", "common/a.c",
                    {"gcc", "-I/b/build/xen/include", "-Wp,-MD,common/.a.o.d", "-c", "common/a.c",
                     "-o", "common/.a.o.tmp", "-DX=$y", "-I/b/builder/inc", "-I/x/b/build"}};
  std::string text = format_compile_record(rec, "/b/build/");
  CHECK(text == "livepatch-compile-record 1\n"
                "object xen/common/a.o\n"
                "directory xen\n"
                "source common/a.c\n"
                "arg gcc\n"
                "arg -I$ROOT/xen/include\n"
                "arg -Wp,-MD,common/.a.o.d\n"
                "arg -c\n"
                "arg common/a.c\n"
                "arg -o\n"
                "arg common/.a.o.tmp\n"
                "arg -DX=$$y\n"
                "arg -I/b/builder/inc\n"
                "arg -I/x/b/build\n");

  std::string error;
  auto pristine = parse_compile_record(text, "/cache/pristine", error);
  REQUIRE(pristine);
  CHECK(pristine->directory == "/cache/pristine/xen");
  CHECK(pristine->argv[1] == "-I/cache/pristine/xen/include");
  CHECK(pristine->argv[7] == "-DX=$y");
  CHECK(pristine->argv[8] == "-I/b/builder/inc"); // a longer name is not the root
  auto same = parse_compile_record(text, "/b/build", error);
  REQUIRE(same);
  CHECK(same->argv == rec.argv);
  CHECK(same->directory == rec.directory);
}

TEST_CASE("compile record: escapes, unknown keys, a directory outside the root",
          "[compile-record]") {
  CompileRecord rec{"a.o", "/elsewhere", "a.c", {"gcc", "-DS=\"a\\b\nc\"", "-c", "a.c"}};
  std::string text = format_compile_record(rec, "/root");
  CHECK_THAT(text, Catch::Contains("directory /elsewhere\n"));
  CHECK_THAT(text, Catch::Contains("arg -DS=\"a\\\\b\\nc\"\n"));
  std::string error;
  auto back = parse_compile_record(text + "depfile x.d\n", "/root", error);
  REQUIRE(back);
  CHECK(back->argv == rec.argv);
  CHECK(back->directory == "/elsewhere");

  CHECK(!parse_compile_record("livepatch-compile-record 2\nobject a.o\narg gcc\n", "/r", error));
  CHECK_THAT(error, Catch::Contains("version 1"));
  CHECK(!parse_compile_record("livepatch-compile-record 1\nobject a.o\narg $HOME\n", "/r", error));
  CHECK_THAT(error, Catch::Contains("bad escape"));
  CHECK(!parse_compile_record("livepatch-compile-record 1\ndirectory x\n", "/r", error));
}

TEST_CASE("compile record: the source of a command and its language", "[compile-record]") {
  CHECK(compile_source({"gcc", "-include", "include/xen/config.h", "-c", "common/a.c", "-o",
                        "common/a.o"}) == "common/a.c");
  CHECK(compile_source({"ccache", "gcc", "-D__ASSEMBLY__", "-c", "arch/x86/entry.S", "-o",
                        "arch/x86/entry.o"}) == "arch/x86/entry.S");
  CHECK(compile_source({"gcc", "-x", "c", "-c", "-o", "weird.c", "real.c"}) == "real.c");
  CHECK(compile_source({"gcc", "-c", "-o", "a.o"}).empty());
  CHECK(is_c_source("common/a.c"));
  CHECK(!is_c_source("arch/x86/entry.S"));
}

TEST_CASE("wrapper: a compile's object, through kbuild's temporary names", "[wrapper]") {
  auto dot = classify_command({"gcc", "-c", "common/foo.c", "-o", "common/.foo.o.tmp"});
  CHECK(!dot.object);
  CHECK(dot.compiled_object == "common/foo.o");
  CHECK(classify_command({"gcc", "-c", "a.c", "-o", ".a.o.tmp"}).compiled_object == "a.o");
  CHECK(classify_command({"gcc", "-c", "a.c", "-o", "dir/a.o"}).compiled_object == "dir/a.o");
  CHECK(!classify_command({"gcc", "-E", "a.c", "-o", "dir/a.o"}).compiled_object); // no -c
  CHECK(!classify_command({"gcc", "-c", "a.c", "-o", "dir/a.s"}).compiled_object);
  CHECK(!classify_command({"objcopy", "x.o", "y.o"}).compiled_object);
}

TEST_CASE("wrapper: a captured compile leaves its record beside the object", "[wrapper]") {
  // The kbuild shape of Xen 4.17 with CONFIG_ENFORCE_UNIQUE_SYMBOLS: the
  // compiler writes dir/.name.o.tmp, objcopy writes dir/name.o.
  TempDir dir;
  dir.write("src/xen/common/a.c", "int a(void) { return 1; }\n");
  std::string wrapper = lp::test::tool_path("livepatch-gcc");
  std::string env = "LIVEPATCH_BUILD_DIR=" + dir.file("src/") + " LIVEPATCH_CAPTURE_DIR=" +
                    dir.file("cap") + " ";
  std::string cd = "cd " + dir.file("src/xen") + " && ";
  auto cc = lp::test::run_shell(cd + env + wrapper + " gcc -O2 -I" + dir.file("src/xen") +
                                "/include -c common/a.c -o common/.a.o.tmp");
  INFO(cc.output);
  REQUIRE(cc.status == 0);
  auto oc = lp::test::run_shell(cd + env + wrapper + " objcopy common/.a.o.tmp common/a.o");
  REQUIRE(oc.status == 0);
  CHECK(fs::exists(dir.file("cap/xen/common/a.o")));
  std::string record = dir.file("cap/xen/common/a.o.compile");
  REQUIRE(fs::exists(record));
  CHECK(lp::test::read_text(record) == "livepatch-compile-record 1\n"
                           "object xen/common/a.o\n"
                           "directory xen\n"
                           "source common/a.c\n"
                           "arg gcc\narg -O2\narg -I$ROOT/xen/include\narg -c\narg common/a.c\n"
                           "arg -o\narg common/.a.o.tmp\n"
                           "post objcopy\npost common/.a.o.tmp\npost common/a.o\n");
  CHECK(lp::test::read_text(dir.file("cap/changed_objs")) == "xen/common/a.o\n");

  // Without capture nothing is recorded; a failed compile records nothing.
  dir.write("src/xen/common/bad.c", "int b(void) { return }\n");
  auto plain = lp::test::run_shell(cd + wrapper + " gcc -c common/a.c -o common/b.o");
  CHECK(plain.status == 0);
  CHECK(!fs::exists(dir.file("cap/xen/common/b.o.compile")));
  auto bad = lp::test::run_shell(cd + env + wrapper + " gcc -c common/bad.c -o common/.bad.o.tmp");
  CHECK(bad.status == 1);
  CHECK(!fs::exists(dir.file("cap/xen/common/bad.o.compile")));
}
