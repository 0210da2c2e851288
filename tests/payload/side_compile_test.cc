// Side compiles for the type-layout check: the recorded commands replayed
// with -g on both sides, on the minitree fixture's real build, proving that
// neither the build copy nor the pristine copy changes (contents, modes and
// mtimes), that the original side is compiled from the pristine sources, and
// that objects with DWARF of their own, assembly and failures are handled.
#include "minitree.h"
#include "payload_fixture.h"

#include "payload/compile_record.h"
#include "payload/livepatch_build.h"
#include "payload/side_compile.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace lp::payload;
using lp::test::MiniTree;
using lp::test::RunResult;
using lp::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string text_of(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// path -> "mode mtime size content" for every entry below `root`.
std::map<std::string, std::string> tree_state(const std::string &root) {
  std::map<std::string, std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    lstat(e.path().c_str(), &st);
    std::string content = e.is_regular_file() ? text_of(e.path().string()) : "";
    out[e.path().lexically_relative(root).string()] = fmt::format(
        "{:o} {}.{} {} {}", st.st_mode, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size,
        std::hash<std::string>{}(content));
  }
  return out;
}

// The one entry of the test's original-build cache.
std::string cache_entry(const MiniTree &t) {
  for (const auto &e : fs::directory_iterator(t.cache()))
    if (fs::is_directory(e.path().string() + "/pristine"))
      return e.path().string();
  FAIL("no cache entry in " << t.cache());
  return "";
}

std::string dwarf_dump(const std::string &object) {
  RunResult r = lp::test::run({"readelf", "--debug-dump=info", object});
  REQUIRE(r.status == 0);
  return r.output;
}

SideCompileRequest request_for(const MiniTree &t, const std::string &out_dir,
                               std::vector<std::string> objects) {
  std::string entry = cache_entry(t);
  SideCompileRequest req;
  req.objects = std::move(objects);
  req.capture_dir = t.out() + "/patched";
  req.original_dir = t.out() + "/original";
  req.build_root = entry + "/build";
  req.pristine_root = entry + "/pristine";
  req.out_dir = out_dir;
  req.log = out_dir + ".log";
  req.jobs = 2;
  return req;
}

} // namespace

TEST_CASE("side compile: outputs other than the object are dropped and -g appended",
          "[side-compile]") {
  std::vector<std::string> xen417 = {"gcc", "-O2", "-Wp,-MD,common/.a.o.d", "-c", "common/a.c",
                                     "-o", "common/.a.o.tmp", "-MQ", "common/a.o"};
  const std::vector<std::string> types_only = {"-g", "-fno-var-tracking",
                                               "-fno-var-tracking-assignments"};
  auto expect = [&](std::vector<std::string> head, std::vector<std::string> tail = {}) {
    head.insert(head.end(), types_only.begin(), types_only.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  CHECK(side_compile_argv(xen417, "/o/a.o") ==
        expect({"gcc", "-O2", "-c", "common/a.c", "-o", "/o/a.o"}));
  std::vector<std::string> mmd = {"ccache", "gcc", "-MMD", "-MP", "-MF", "d/.a.o.d", "-MTx",
                                  "-Wp,-DFOO,-MMD,x.d", "-save-temps=obj", "-oa.o", "-c", "a.c"};
  CHECK(side_compile_argv(mmd, "/o/a.o", {"-fdebug-prefix-map=/p=/b"}) ==
        expect({"ccache", "gcc", "-Wp,-DFOO", "-c", "a.c", "-o", "/o/a.o"},
               {"-fdebug-prefix-map=/p=/b"}));
  CHECK(object_of_source("xen/common/a.c") == "xen/common/a.o");
  CHECK(object_of_source("xen/arch/x86/entry.S").empty());
  CHECK(object_of_source("xen/include/xen/sched.h").empty());
}

TEST_CASE("side compile: both sides get DWARF, neither tree changes",
          "[side-compile][e2e]") {
  MiniTree t;
  RunResult built = t.build("09-header-layout.patch", {"-k", "diff", "--json", t.out("r.json")});
  INFO(built.output);
  REQUIRE(built.status == 0);
  CHECK_THAT(built.output, Catch::Contains("Compiling changed objects again with -g"));
  for (const char *obj : {"xen/arch/x86/domain.o", "xen/arch/x86/mm.o"}) {
    std::string orig = t.out() + "/debug-objects/original/" + obj;
    std::string patched = t.out() + "/debug-objects/patched/" + obj;
    REQUIRE(has_dwarf(orig));
    REQUIRE(has_dwarf(patched));
    // The real objects carry no DWARF and are the build's own bytes.
    CHECK(!has_dwarf(t.out() + "/patched/" + obj));
    CHECK(!has_dwarf(t.out() + "/original/" + obj));
    CHECK(lp::test::file_bytes(t.out() + "/patched/" + obj) ==
          lp::test::file_bytes(cache_entry(t) + "/build/" + obj));
    // Each side from its own tree: the inserted member only in the patched types.
    CHECK_THAT(dwarf_dump(orig), !Catch::Contains("outstanding_pages"));
    CHECK_THAT(dwarf_dump(patched), Catch::Contains("outstanding_pages"));
    // Paths in the original side's DWARF name the build copy, as the patched side's do.
    CHECK_THAT(dwarf_dump(orig), Catch::Contains(cache_entry(t) + "/build/xen"));
    CHECK_THAT(dwarf_dump(orig), !Catch::Contains("pristine"));
  }
  CHECK_THAT(text_of(t.out("r.json")),
             Catch::Contains("\"type_sources\": {\"side_objects\": [\"xen/arch/x86/domain.o\", "
                             "\"xen/arch/x86/mm.o\"]}"));
  CHECK_THAT(text_of(t.out() + "/build_debug_objects.log"),
             Catch::Contains("-fdebug-prefix-map=" + cache_entry(t) + "/pristine=" +
                             cache_entry(t) + "/build"));

  // Run the step again on the same trees: not a byte, mode or mtime changes
  // in the build copy or the pristine copy (no dependency file, no object),
  // so the real objects and xen-syms (and its build-id) are what the build
  // made without it.
  std::string entry = cache_entry(t);
  auto build_before = tree_state(entry + "/build");
  auto pristine_before = tree_state(entry + "/pristine");
  auto capture_before = tree_state(t.out() + "/patched");
  TempDir scratch;
  auto outcomes = compile_side_objects(
      request_for(t, scratch.file("side"), {"xen/arch/x86/domain.o", "xen/arch/x86/mm.o"}));
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].source == TypeSource::kSideObjects);
  CHECK(tree_state(entry + "/build") == build_before);
  CHECK(tree_state(entry + "/pristine") == pristine_before);
  CHECK(tree_state(t.out() + "/patched") == capture_before);
  CHECK(has_dwarf(scratch.file("side/original/xen/arch/x86/mm.o")));
  CHECK(lp::test::file_bytes(entry + "/pristine/xen/xen-syms") ==
        lp::test::file_bytes(t.out() + "/xen-syms"));
}

TEST_CASE("side compile: a failure names the object, DWARF and assembly are skipped",
          "[side-compile][e2e]") {
  MiniTree t;
  // make (not the fast path): version.o is rebuilt with its record, which a
  // section below removes.
  RunResult built = t.build("01-table-bounds.patch", {"-k", "diff", "--no-fast-path"});
  INFO(built.output);
  REQUIRE(built.status == 0);
  std::string obj = "xen/common/table.o";
  std::string record = compile_record_path(t.out() + "/patched/" + obj);
  REQUIRE(fs::exists(record));
  // The patch touches common/table.c: its side objects were compiled while
  // make still ran, from the record livepatch-gcc wrote.
  CHECK(has_dwarf(t.out() + "/debug-objects/original/" + obj));
  CHECK(has_dwarf(t.out() + "/debug-objects/patched/" + obj));
  CHECK_THAT(text_of(t.out() + "/build_debug_objects.log"),
             Catch::Contains("xen/common/table.o (patched): cd "));
  std::string text = text_of(record);
  TempDir scratch;

  SECTION("a compile that fails stops the run with exit 5") {
    std::ofstream(record) << text << "arg -DX=\"\n"; // an unterminated string
    try {
      compile_side_objects(request_for(t, scratch.file("side"), {obj}));
      FAIL("no failure");
    } catch (const BuildFailure &f) {
      CHECK(f.code == 5);
      CHECK_THAT(f.message, Catch::StartsWith("xen/common/table.o: the compile with -g for its "
                                              "types failed (original side); see "));
      CHECK_THAT(f.detail, Catch::Contains("missing terminating"));
    }
    CHECK(!fs::exists(scratch.file("side/original/" + obj)));
  }
  SECTION("objects with DWARF of their own are not compiled again") {
    std::string src = scratch.write("f.c", "int f(void) { return 0; }\n");
    for (const char *side : {"patched", "original"}) {
      std::string dst = t.out() + "/" + side + "/" + obj;
      RunResult g = lp::test::run({"gcc", "-g", "-c", src, "-o", dst});
      REQUIRE(g.status == 0);
    }
    auto outcomes = compile_side_objects(request_for(t, scratch.file("side"), {obj}));
    CHECK(outcomes.at(0).source == TypeSource::kOwnDwarf);
    CHECK(!fs::exists(scratch.file("side")));
  }
  SECTION("assembly has no types; an object without a record gets none") {
    std::string patched = text;
    patched.replace(patched.find("source common/table.c"), 21, "source common/table.S");
    std::ofstream(record) << patched;
    std::string version = "xen/common/version.o"; // rebuilt by every make
    REQUIRE(fs::remove(compile_record_path(t.out() + "/patched/" + version)));
    auto outcomes = compile_side_objects(request_for(t, scratch.file("side"), {obj, version}));
    CHECK(outcomes.at(0).source == TypeSource::kAssembly);
    CHECK(outcomes.at(1).source == TypeSource::kNoRecord);
    CHECK(!fs::exists(scratch.file("side")));
  }
}
