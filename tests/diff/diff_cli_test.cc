// The create-diff-object command: exit codes, log format, options, and the
// reports beyond upstream (--json, --explain, --struct-sizes).
#include "scenario.h"

#include "elf/atomic_file.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lp::test;
using namespace lp::test::diff;

namespace {

constexpr const char *kSrc = R"(
__attribute__((noinline)) int f(int x) { return x * 3 + 1; }
__attribute__((noinline)) int g(int x) { return x - 7; }
)";

std::string patched_src() {
  std::string s = kSrc;
  return s.replace(s.find("x * 3"), 5, "x * 4");
}

Outcome prepare(const TempDir &dir, lp::diff::Options opts = {}) {
  Pair p;
  p.sources = {{"x", kSrc, patched_src()}};
  p.options = opts;
  return run_pair(dir, p);
}

std::vector<std::string> args(const TempDir &dir, const Outcome &o, const std::string &out) {
  return {tool_path("create-diff-object"), dir.file("o/x.o"), dir.file("p/x.o"), o.xen_syms, out};
}

} // namespace

TEST_CASE("cli: --help", "[diff][cli]") {
  RunResult r = run({tool_path("create-diff-object"), "--help"});
  CHECK(r.status == 0);
  CHECK(r.output.find("original") != std::string::npos);
  CHECK(r.output.find("--resolve") != std::string::npos);
}

TEST_CASE("cli: exit 0 with upstream log lines, exit 3 on no change", "[diff][cli]") {
  TempDir dir;
  Outcome o = prepare(dir);
  REQUIRE(o.status() == 0);
  RunResult r = run(args(dir, o, dir.file("cli.o")));
  CHECK(r.status == 0);
  CHECK(r.output.find("x.o: changed function: f\n") != std::string::npos);
  CHECK(std::filesystem::exists(dir.file("cli.o")));
  RunResult same = run({tool_path("create-diff-object"), dir.file("o/x.o"), dir.file("o/x.o"),
                        o.xen_syms, dir.file("same.o")});
  CHECK(same.status == 3);
  CHECK_FALSE(std::filesystem::exists(dir.file("same.o")));
}

TEST_CASE("cli: bad input is one line, exit 1, no output", "[diff][cli]") {
  TempDir dir;
  Outcome o = prepare(dir);
  std::string bad = dir.write("bad.o", "\x7f" "ELF garbage");
  RunResult r = run({tool_path("create-diff-object"), bad, dir.file("p/x.o"), o.xen_syms,
                     dir.file("never.o")});
  CHECK(r.status == 1);
  CHECK(r.output.find(bad + ": ") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("never.o")));
  RunResult usage = run({tool_path("create-diff-object"), "only-one-arg"});
  CHECK(usage.status == 1);
}

TEST_CASE("cli: unsupported change is exit 2 with the reason", "[diff][cli]") {
  TempDir dir;
  Pair p;
  p.sources = {{"x", "int limit = 5;\nint f(void) { return limit; }\n",
                "int limit = 7;\nint f(void) { return limit; }\n"}};
  Outcome o = run_pair(dir, p);
  REQUIRE(o.status() == 2);
  RunResult r = run(args(dir, o, dir.file("cli.o")));
  CHECK(r.status == 2);
  CHECK(r.output.find("x.o: data object limit changed") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("cli.o")));
}

TEST_CASE("json option reports the verdict and the struct sizes' source", "[diff][cli]") {
  TempDir dir;
  lp::diff::Options opts;
  opts.json = dir.file("report.json");
  Outcome o = prepare(dir, opts);
  REQUIRE(o.status() == 0);
  std::string json = lp::read_file(opts.json);
  CHECK(json.find("\"changed_functions\": [\"f\"]") != std::string::npos);
  CHECK(json.find("\"new_functions\": []") != std::string::npos);
  CHECK(json.find("\"exit_code\": 0") != std::string::npos);
  CHECK(json.find("\"source\": \"table for Xen 4.17\"") != std::string::npos);
  CHECK(json.find("\"alt_instr\": 14") != std::string::npos);
}

TEST_CASE("explain option shows the first differing instruction", "[diff][cli]") {
  TempDir dir;
  lp::diff::Options opts;
  opts.explain = true;
  Outcome o = prepare(dir, opts);
  REQUIRE(o.status() == 0);
  INFO(o.log_text());
  CHECK(o.logged("explain: f: first difference at +0x"));
  CHECK(o.logged("' -> '"));
}

TEST_CASE("struct-sizes option overrides the table and a wrong size is a group size mismatch", "[diff][cli]") {
  TempDir dir;
  Pair p;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { alternative("nop; nop; nop", "lfence", 0x8003); return x + 1; }
)";
  p.sources = {{"x", src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 2")}};
  p.options.struct_sizes = dir.write("sizes", "# sizes\nalt_instr=12\nbug_frame=8\n");
  Outcome o = run_pair(dir, p);
  CHECK(o.status() == 1);
  CHECK(o.result.error.find("group size mismatch for section .altinstructions") != std::string::npos);
  CHECK(o.result.sizes.source.find("--struct-sizes") != std::string::npos);
  CHECK(o.logged("struct sizes from --struct-sizes"));

  lp::diff::Options ok;
  ok.original = dir.file("o/x.o");
  ok.patched = dir.file("p/x.o");
  ok.xen_syms = o.xen_syms;
  ok.output = dir.file("ok.o");
  ok.struct_sizes = dir.write("sizes2", "alt_instr=14\n");
  CHECK(lp::diff::create_diff_object(ok).status == 0);
  ok.struct_sizes = dir.write("sizes3", "alt_instr=banana\n");
  auto bad = lp::diff::create_diff_object(ok);
  CHECK(bad.status == 1);
  CHECK(bad.error.find("sizes3: line 1") != std::string::npos);
}

// Xen 4.20+ builds with -g; on Xen 4.17 livepatch-build passes -g side objects.
TEST_CASE("refusals carry the source location from the object's or the side object's DWARF",
          "[diff][cli]") {
  Debug debug = GENERATE(Debug::Objects, Debug::SideObjects);
  TempDir dir;
  Pair p;
  p.sources = {{"x", "int limit = 5;\nint f(void) { return limit; }\n",
                "int limit = 7;\nint f(void) { return limit; }\n"}};
  p.debug = debug;
  p.prelude = false;
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].symbol == "limit");
  CHECK(o.result.refusals[0].location.ends_with("x.c:1"));
  CHECK(o.logged("data object limit changed: existing data cannot be changed by a live patch "
                 "(use a hook, or a new variable) (common/x.c:1)"));
}

TEST_CASE("cli: --original-debug/--patched-debug side objects give the type check", "[diff][cli]") {
  TempDir dir;
  Pair p;
  p.sources = {{"x", "struct s { int a; int b; };\n"
                     "__attribute__((noinline)) int f(struct s *p) { return p->b; }\n",
                "struct s { int a; int n; int b; };\n"
                "__attribute__((noinline)) int f(struct s *p) { return p->b; }\n"}};
  p.debug = Debug::SideObjects;
  Outcome o = run_pair(dir, p);
  REQUIRE(o.status() == 2);
  std::vector<std::string> argv = args(dir, o, dir.file("cli.o"));
  argv.insert(argv.begin() + 1, {"--original-debug", o.options.original_debug, "--patched-debug",
                                 o.options.patched_debug});
  RunResult r = run(argv);
  CHECK(r.status == 2);
  CHECK(r.output.find("x.o: type layout changed: struct s (common/x.c:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("cli.o")));
  argv[2] = dir.file("missing.o");
  RunResult missing = run(argv);
  CHECK(missing.status == 1);
  CHECK(missing.output.ends_with(dir.file("missing.o") + ": No such file or directory\n"));
}
