// The fast path's inputs and its decision: dependency files and their
// parsing, what livepatch-gcc records in record mode (a real kbuild-style
// compile, objcopy and ld -r through the wrapper), and every row of the table
// of what forces make, each with the exact line the user sees.
#include "payload_fixture.h"

#include "payload/build_environment.h"
#include "payload/build_path.h"
#include "payload/build_records.h"
#include "payload/compile_record.h"
#include "payload/compiler_wrapper.h"
#include "payload/fast_build.h"
#include "payload/generated_output.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace lp::payload;
using lp::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string modify(const std::string &file) {
  return "--- a/" + file + "\n+++ b/" + file + "\n@@ -1 +1 @@\n-a\n+b\n";
}

// A records folder with records of objects and generated outputs, and a
// pristine tree holding the objects (written after their records, unless
// `stale`).
struct Fixture {
  TempDir dir;
  std::string records() const { return dir.file("records"); }
  std::string pristine() const { return dir.file("pristine"); }
  std::string root() const { return dir.file("build"); }

  void record(const CompileRecord &rec) const {
    dir.write("records/" + rec.object + ".compile", format_compile_record(rec, root()));
  }
  void object(const std::string &obj) const {
    dir.write("pristine/" + obj, "object");
    fs::last_write_time(pristine() + "/" + obj,
                        fs::last_write_time(records() + "/" + obj + ".compile") -
                            std::chrono::seconds(1));
  }
  // xen/common/a.o reads a.c and lib.h; b.o reads b.c and lib.h; both go
  // through kbuild's temporary and objcopy.
  Fixture() {
    for (const char *name : {"a", "b"}) {
      std::string n = name;
      CompileRecord rec{"xen/common/" + n + ".o", root() + "/xen", "common/" + n + ".c",
                        {"gcc", "-c", "common/" + n + ".c", "-o", "common/." + n + ".o.tmp"}};
      rec.post_argv = {"objcopy", "common/." + n + ".o.tmp", "common/" + n + ".o"};
      rec.deps = {"xen/common/" + n + ".c", "xen/include/xen/lib.h"};
      record(rec);
      object(rec.object);
      dir.write("pristine/" + rec.deps[0], "a\n");
      dir.write("build/" + rec.deps[0], "b\n");
    }
    // xen.lds: a real preprocessed linker script reading cache.h.
    CompileRecord lds{"xen/arch/x86/xen.lds", root() + "/xen", "arch/x86/xen.lds.S",
                      {"gcc", "-E", "-P", "-MMD", "-MF", "arch/x86/.xen.lds.d",
                       "arch/x86/xen.lds.S", "-o", "arch/x86/xen.lds"}};
    lds.deps = {"xen/arch/x86/xen.lds.S", "xen/include/xen/cache.h"};
    record(lds);
    for (const char *file : {"xen/include/xen/lib.h", "xen/common/Makefile", "xen/common/Kconfig",
                             "xen/Rules.mk", "xen/arch/x86/xen.lds.S", "xen/tools/symbols.awk",
                             "xen/include/xen/cache.h", "xen/include/xen/unused.h"}) {
      dir.write("pristine/" + std::string(file), "a\n");
      dir.write("build/" + std::string(file), "b\n");
    }
    for (const char *tree : {"pristine/", "build/"})
      dir.write(tree + std::string("xen/arch/x86/xen.lds.S"),
                "#include \"../../include/xen/cache.h\"\nSECTIONS { . = ALIGN(CACHE); }\n");
    generate_in_pristine(lds);
    dir.write("records/environment", format_environment(build_environment()));
    dir.write("pristine/xen/Makefile", "CFLAGS += $(EXTRA_FLAGS_FOR_TEST)\n");
    dir.write("records/inputs", "xen/common/built_in.o xen/common/a.o xen/common/b.o\n"
                                ".xen-syms.0 xen/common/built_in.o\n");
  }
  // Runs a generated output's recorded command in the pristine tree, as the
  // original build did, leaving the output where move-if-changed would.
  void generate_in_pristine(const CompileRecord &rec) const {
    std::string dir_in_pristine = pristine() + rec.directory.substr(root().size());
    std::string out = *command_output(rec.argv);
    std::string cmd = "cd " + dir_in_pristine + " &&";
    for (const std::string &a : rec.argv)
      cmd += " '" + a + "'";
    if (out.ends_with(".new"))
      cmd += " && mv " + out + " " + out.substr(0, out.size() - 4);
    auto r = lp::test::run_shell(cmd);
    INFO(r.output);
    REQUIRE(r.status == 0);
  }
  std::string scratch() const { return dir.file("scratch"); }
  BuildPathChoice choose(const std::string &patch) const {
    RegenerateRequest req;
    req.pristine_root = pristine();
    req.scratch_dir = scratch();
    return choose_build_path(patch, load_build_records(records(), root()), pristine(), root(),
                             [&](const CompileRecord &rec) {
                               return regenerate_and_compare(rec, req);
                             });
  }
};

} // namespace

TEST_CASE("fast path: dependency files and where a compile writes them", "[fast-path]") {
  CHECK(dependency_output({"gcc", "-MMD", "-MP", "-MF", "common/.a.o.d", "-c", "a.c"}) ==
        "common/.a.o.d");
  CHECK(dependency_output({"gcc", "-Wp,-MD,common/.a.o.d", "-c", "a.c"}) == "common/.a.o.d");
  CHECK(dependency_output({"gcc", "-MFx.d", "-MD", "-c", "a.c"}) == "x.d");
  CHECK(dependency_output({"gcc", "-MMD", "-c", "a.c", "-o", "dir/a.o"}) == "dir/a.d");
  CHECK(dependency_output({"gcc", "-c", "a.c", "-o", "a.o"}).empty());
  CHECK(parse_dependency_file("common/a.o: common/a.c \\\n include/x\\ y.h \\\n"
                              "  include/z.h\ninclude/z.h:\n") ==
        std::vector<std::string>{"common/a.c", "include/x y.h", "include/z.h"});
  CHECK(parse_dependency_file("").empty());
}

TEST_CASE("fast path: a record keeps its post step and dependencies", "[fast-path]") {
  CompileRecord rec{"xen/common/a.o", "/b/xen", "common/a.c", {"gcc", "-c", "common/a.c"}};
  rec.post_argv = {"objcopy", "common/.a.o.tmp", "common/a.o"};
  rec.deps = {"xen/common/a.c", "/usr/lib/gcc/x/stddef.h"};
  std::string error;
  auto back = parse_compile_record(format_compile_record(rec, "/b"), "/b", error);
  REQUIRE(back);
  CHECK(back->post_argv == rec.post_argv);
  CHECK(back->deps == rec.deps);
  CHECK(recipe_commands(*back, "/w/livepatch-gcc") ==
        std::vector<std::vector<std::string>>{
            {"/w/livepatch-gcc", "gcc", "-c", "common/a.c"},
            {"/w/livepatch-gcc", "objcopy", "common/.a.o.tmp", "common/a.o"}});
}

TEST_CASE("fast path: livepatch-gcc in record mode keeps commands, dependencies and readers",
          "[fast-path]") {
  TempDir dir;
  dir.write("src/xen/include/lib.h", "#define ONE 1\n");
  dir.write("src/xen/common/a.c", "#include \"../include/lib.h\"\nint a(void) { return ONE; }\n");
  std::string wrapper = lp::test::tool_path("livepatch-gcc");
  std::string env = "LIVEPATCH_BUILD_DIR=" + dir.file("src/") + " LIVEPATCH_RECORD_DIR=" +
                    dir.file("rec") + " ";
  std::string cd = "cd " + dir.file("src/xen") + " && ";
  auto r = lp::test::run_shell(
      cd + env + wrapper +
      " gcc -MMD -MP -MF common/.a.o.d -MQ common/a.o -c common/a.c -o common/.a.o.tmp && " +
      env + wrapper +
      " objcopy --redefine-sym a.c=common/a.c common/.a.o.tmp common/a.o && " + env + wrapper +
      " ld -r -o common/built_in.o common/a.o");
  INFO(r.output);
  REQUIRE(r.status == 0);
  BuildRecords rec = load_build_records(dir.file("rec"), dir.file("src"));
  REQUIRE(rec.present);
  REQUIRE(rec.objects.contains("xen/common/a.o"));
  const CompileRecord &a = rec.objects.at("xen/common/a.o");
  CHECK(a.deps == std::vector<std::string>{"xen/common/a.c", "xen/include/lib.h"});
  CHECK(a.post_argv ==
        std::vector<std::string>{"objcopy", "--redefine-sym", "a.c=common/a.c", "common/.a.o.tmp",
                                 "common/a.o"});
  CHECK(rec.object_users.at("xen/include/lib.h") == std::vector<std::string>{"xen/common/a.o"});
  CHECK(rec.readers.at("xen/common/a.o") == std::vector<std::string>{"xen/common/built_in.o"});
  CHECK(!fs::exists(dir.file("rec/changed_objs"))); // nothing captured
}

TEST_CASE("fast path: the objects whose dependencies the patch touches", "[fast-path]") {
  Fixture f;
  BuildPathChoice one = f.choose(modify("xen/common/a.c"));
  INFO(one.reason);
  CHECK(one.fast);
  CHECK(one.objects == std::vector<std::string>{"xen/common/a.o"});
  BuildPathChoice both = f.choose(modify("xen/include/xen/lib.h"));
  CHECK(both.fast);
  CHECK(both.objects == std::vector<std::string>{"xen/common/a.o", "xen/common/b.o"});
}

TEST_CASE("fast path: each reason to run make, in one line", "[fast-path]") {
  Fixture f;
  auto reason = [&](const std::string &patch) {
    BuildPathChoice c = f.choose(patch);
    CHECK(!c.fast);
    return c.reason;
  };
  CHECK(reason("--- /dev/null\n+++ b/xen/common/n.c\n@@ -0,0 +1 @@\n+int n;\n") ==
        "the patch adds xen/common/n.c");
  CHECK(reason("--- a/xen/common/a.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n") ==
        "the patch removes xen/common/a.c");
  CHECK(reason("diff --git a/xen/common/a.c b/xen/common/c.c\nsimilarity index 100%\n"
               "rename from xen/common/a.c\nrename to xen/common/c.c\n") ==
        "the patch renames xen/common/a.c to xen/common/c.c");
  CHECK(reason(modify("xen/common/Makefile")) ==
        "the patch touches xen/common/Makefile, a build file");
  CHECK(reason(modify("xen/common/Kconfig")) == "the patch touches xen/common/Kconfig, a build file");
  CHECK(reason(modify("xen/Rules.mk")) == "the patch touches xen/Rules.mk, a build file");
  CHECK(reason(modify("xen/arch/x86/xen.lds.S")) ==
        "the patch touches xen/arch/x86/xen.lds.S, a linker script");
  CHECK(reason(modify("xen/tools/symbols.awk")) ==
        "the patch touches xen/tools/symbols.awk, which is not a C source, header or assembly "
        "file");
  CHECK(reason(modify("xen/include/xen/cache.h")) ==
        "the patch touches xen/include/xen/cache.h, which changes the generated "
        "xen/arch/x86/xen.lds");
  CHECK(reason(modify("xen/include/xen/unused.h")) ==
        "the patch touches xen/include/xen/unused.h, which no dependency record of the original "
        "build lists");
}

TEST_CASE("fast path: records that cannot be trusted force make", "[fast-path]") {
  SECTION("no records at all: a cache entry from before them") {
    Fixture f;
    fs::remove_all(f.records());
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the cached original build has no compile records (made before livepatch-build kept "
          "them)");
  }
  SECTION("an object that goes into an object objcopy makes") {
    Fixture f; // Xen's libelf.o: objcopy of the ld -r of its parts
    f.dir.write("records/untraced", "xen/common/libelf.o\n");
    f.dir.write("records/inputs", "xen/common/libelf-temp.o xen/common/b.o\n"
                                  "xen/common/libelf.o xen/common/libelf-temp.o\n");
    CHECK(f.choose(modify("xen/common/a.c")).fast);
    CHECK(f.choose(modify("xen/common/b.c")).reason ==
          "xen/common/b.o goes into xen/common/libelf.o, which make rebuilds from it");
  }
  SECTION("a record older than its object") {
    Fixture f;
    fs::last_write_time(f.pristine() + "/xen/common/a.o",
                        fs::last_write_time(f.records() + "/xen/common/a.o.compile") +
                            std::chrono::seconds(5));
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the compile record of xen/common/a.o is older than the object");
  }
  SECTION("a compile into the temporary with no recorded step making the object") {
    Fixture f;
    CompileRecord rec{"xen/common/a.o", f.root() + "/xen", "common/a.c",
                      {"gcc", "-c", "common/a.c", "-o", "common/.a.o.tmp"}};
    rec.deps = {"xen/common/a.c"};
    f.record(rec);
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "xen/common/a.o: its compile writes common/.a.o.tmp, which a step livepatch-gcc did "
          "not see turns into the object");
  }
  SECTION("an object read by something other than the link") {
    Fixture f;
    f.dir.write("records/inputs", "xen/arch/x86/boot/cmdline.lnk xen/common/b.o\n");
    CHECK(f.choose(modify("xen/common/b.c")).reason ==
          "xen/common/b.o is read by xen/arch/x86/boot/cmdline.lnk, which only make rebuilds");
  }
  SECTION("the original build's environment was not recorded") {
    Fixture f;
    fs::remove(f.records() + "/environment");
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the original build's environment was not recorded");
  }
  SECTION("a variable the compiler reads differs") {
    Fixture f;
    lp::payload::Environment then = build_environment();
    then["PATH"] = "/elsewhere";
    f.dir.write("records/environment", format_environment(then));
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the environment differs from the original build's in PATH, which the build reads");
  }
  SECTION("another PATH finding the same programs does not matter; one finding another gcc does") {
    Fixture f;
    lp::payload::Environment then = build_environment();
    f.dir.write("bin-other/unrelated-tool", "#!/bin/sh\n");
    fs::permissions(f.dir.file("bin-other/unrelated-tool"), fs::perms::owner_all);
    then["PATH"] = f.dir.file("bin-other") + ":" + then["PATH"];
    f.dir.write("records/environment", format_environment(then));
    BuildPathChoice c = f.choose(modify("xen/common/a.c"));
    INFO(c.reason);
    CHECK(c.fast);
    f.dir.write("bin-other/gcc", "#!/bin/sh\nexec /usr/bin/gcc \"$@\"\n");
    fs::permissions(f.dir.file("bin-other/gcc"), fs::perms::owner_all);
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the environment differs from the original build's in PATH, which the build reads");
  }
  SECTION("a variable a makefile reads differs; others do not matter") {
    Fixture f;
    lp::payload::Environment then = build_environment();
    then["CI_JOB_ID_FOR_TEST"] = "1";
    f.dir.write("records/environment", format_environment(then));
    CHECK(f.choose(modify("xen/common/a.c")).fast);
    then["SHELL"] = "/bin/some-other-shell"; // make takes its SHELL from no environment
    then["_"] = "/usr/bin/timeout";           // bash's last command, not a make variable
    f.dir.write("pristine/xen/Rules.mk", "SHELL ?= /bin/sh\nX := $(subst _,-,$(Y))\n");
    f.dir.write("records/environment", format_environment(then));
    CHECK(f.choose(modify("xen/common/a.c")).fast);
    then["EXTRA_FLAGS_FOR_TEST"] = "-O0";
    f.dir.write("records/environment", format_environment(then));
    CHECK(f.choose(modify("xen/common/a.c")).reason ==
          "the environment differs from the original build's in EXTRA_FLAGS_FOR_TEST, which the "
          "build reads");
  }
  SECTION("an unreadable record") {
    Fixture f;
    f.dir.write("records/xen/common/z.o.compile", "livepatch-compile-record 7\n");
    CHECK_THAT(f.choose(modify("xen/common/a.c")).reason,
               Catch::StartsWith("a compile record of the original build cannot be read: "));
  }
}

TEST_CASE("fast path: a program found through PATH", "[fast-path]") {
  TempDir dir;
  dir.write("a/gcc", "#!/bin/sh\n");
  dir.write("b/gcc", "#!/bin/sh\n");
  dir.write("b/not-executable", "");
  fs::permissions(dir.file("a/gcc"), fs::perms::owner_all);
  fs::permissions(dir.file("b/gcc"), fs::perms::owner_all);
  std::string a = dir.file("a"), b = dir.file("b");
  CHECK(resolve_program("gcc", a + ":" + b) == fs::canonical(dir.file("a/gcc")).string());
  CHECK(resolve_program("gcc", b + ":" + a) == fs::canonical(dir.file("b/gcc")).string());
  CHECK(resolve_program("not-executable", b).empty());
  CHECK(resolve_program("/usr/bin/gcc", b) == "/usr/bin/gcc");
  CHECK(path_resolves_alike(a + ":/usr/bin", "/usr/bin:" + a, {"objcopy"}));
  CHECK(!path_resolves_alike(a + ":/usr/bin", "/usr/bin:" + a, {"gcc"}));
  CHECK(!path_resolves_alike(a, "/usr/bin", {"objcopy"})); // found in one only
}

TEST_CASE("fast path: link steps may read objects", "[fast-path]") {
  for (const char *out : {"xen/common/built_in.o", "xen/prelink.o", "xen/common/x.init.o",
                          "xen/xen-syms", "xen/.xen-syms.0", "xen/.xen.efi.1", "xen/xen.efi"})
    CHECK(is_link_output(out));
  for (const char *out : {"xen/arch/x86/boot/cmdline.lnk", "xen/arch/x86/boot/cmdline.bin"})
    CHECK(!is_link_output(out));
}

TEST_CASE("fast path: a generated output's command made to write elsewhere", "[fast-path]") {
  CHECK(redirected_command({"gcc", "-MMD", "-MP", "-MF", "./.asm-offsets.s.d", "-S", "-g0", "-o",
                            "asm-offsets.s.new", "-MQ", "asm-offsets.s", "x86_64/asm-offsets.c"},
                           "/s/a.s", "/s/a.s.d") ==
        std::vector<std::string>{"gcc", "-MMD", "-MP", "-MF", "/s/a.s.d", "-S", "-g0", "-o",
                                 "/s/a.s", "-MQ", "asm-offsets.s", "x86_64/asm-offsets.c"});
  CHECK(redirected_command({"gcc", "-Wp,-MD,arch/x86/.xen.lds.d", "-E", "-P", "-oxen.lds", "x.S"},
                           "/s/xen.lds", "/s/xen.lds.d") ==
        std::vector<std::string>{"gcc", "-Wp,-MD,/s/xen.lds.d", "-E", "-P", "-o/s/xen.lds", "x.S"});
  CHECK(redirected_command({"gcc", "-MFx.d", "-c", "a.c"}, "o", "d") ==
        std::vector<std::string>{"gcc", "-MFd", "-c", "a.c"});
}

// Headers that asm-offsets.c or xen.lds.S include: the output made again with
// its recorded command (real gcc) and compared with the original build's.
TEST_CASE("fast path: a header that goes into a generated output", "[fast-path]") {
  Fixture f;
  // asm-offsets.s: written as asm-offsets.s.new, moved into place if changed.
  CompileRecord offsets{"xen/asm-offsets.s.new", f.root() + "/xen", "arch/x86/asm-offsets.c",
                        {"gcc", "-MMD", "-MP", "-MF", "./.asm-offsets.s.d", "-S", "-g0", "-o",
                         "asm-offsets.s.new", "-MQ", "asm-offsets.s", "arch/x86/asm-offsets.c"}};
  offsets.deps = {"xen/arch/x86/asm-offsets.c", "xen/include/xen/sched.h"};
  f.record(offsets);
  for (const char *tree : {"pristine/", "build/"})
    f.dir.write(tree + std::string("xen/arch/x86/asm-offsets.c"),
                "#include \"../../include/xen/sched.h\"\n"
                "void f(void) { asm volatile(\"#OFFSET %0\" :: \"i\"(sizeof(struct vcpu))); }\n");
  f.dir.write("pristine/xen/include/xen/sched.h",
              "/* the vcpu */\nstruct vcpu { int id; };\nstatic inline int one(void) { return 1; }\n");
  f.generate_in_pristine(offsets);
  REQUIRE(fs::exists(f.pristine() + "/xen/asm-offsets.s"));
  // a.o and b.o include sched.h too, as hundreds of Xen's objects do.
  for (const char *name : {"a", "b"}) {
    std::string n = name;
    CompileRecord rec{"xen/common/" + n + ".o", f.root() + "/xen", "common/" + n + ".c",
                      {"gcc", "-c", "common/" + n + ".c", "-o", "common/." + n + ".o.tmp"}};
    rec.post_argv = {"objcopy", "common/." + n + ".o.tmp", "common/" + n + ".o"};
    rec.deps = {"xen/common/" + n + ".c", "xen/include/xen/sched.h"};
    f.record(rec);
    f.object(rec.object);
  }
  auto patch_sched = [&](const std::string &text) {
    f.dir.write("build/xen/include/xen/sched.h", text);
    return f.choose(modify("xen/include/xen/sched.h"));
  };

  SECTION("unchanged output (a comment, an inline function): the fast path") {
    BuildPathChoice c = patch_sched("/* the vcpu, commented */\nstruct vcpu { int id; };\n"
                                    "static inline int one(void) { return 2 - 1; }\n");
    INFO(c.reason);
    CHECK(c.fast);
    CHECK(c.objects == std::vector<std::string>{"xen/common/a.o", "xen/common/b.o"});
    // made again beside the output folder, not in the build copy
    CHECK(fs::exists(f.scratch() + "/xen/asm-offsets.s.new"));
    CHECK(!fs::exists(f.root() + "/xen/asm-offsets.s.new"));
  }
  SECTION("a changed offset: make, naming the output") {
    CHECK(patch_sched("struct vcpu { int id; long pad; };\n").reason ==
          "the patch touches xen/include/xen/sched.h, which changes the generated "
          "xen/asm-offsets.s");
  }
  SECTION("an output that no longer builds: make, with the log") {
    CHECK_THAT(patch_sched("struct vcpu { int id; } oops\n").reason,
               Catch::StartsWith("the patch touches xen/include/xen/sched.h, which may change "
                                 "the generated xen/asm-offsets.s: making it again with its "
                                 "recorded command failed (exit 1, see "));
  }
  SECTION("no original to compare with: make") {
    fs::remove(f.pristine() + "/xen/asm-offsets.s");
    CHECK(patch_sched("struct vcpu { int id; };\n").reason ==
          "the patch touches xen/include/xen/sched.h, which may change the generated "
          "xen/asm-offsets.s.new, which the cached original build does not hold to compare with");
  }
  SECTION("a cheaper reason first: nothing is compiled") {
    f.dir.write("build/xen/include/xen/sched.h", "struct vcpu { long id; };\n");
    CHECK(f.choose(modify("xen/include/xen/sched.h") + modify("xen/common/Makefile")).reason ==
          "the patch touches xen/common/Makefile, a build file");
    CHECK(!fs::exists(f.scratch()));
  }
  SECTION("the linker script: unchanged keeps the fast path, changed does not") {
    f.dir.write("pristine/xen/include/xen/cache.h", "#define CACHE 64\n");
    f.generate_in_pristine(load_build_records(f.records(), f.root()).generated.at(
        "xen/arch/x86/xen.lds"));
    f.dir.write("build/xen/include/xen/cache.h", "/* lines */\n#define CACHE 64\n");
    BuildPathChoice same = f.choose(modify("xen/include/xen/cache.h"));
    INFO(same.reason);
    CHECK(same.fast);
    CHECK(same.objects.empty()); // no object reads cache.h here
    f.dir.write("build/xen/include/xen/cache.h", "#define CACHE 128\n");
    CHECK(f.choose(modify("xen/include/xen/cache.h")).reason ==
          "the patch touches xen/include/xen/cache.h, which changes the generated "
          "xen/arch/x86/xen.lds");
  }
}
