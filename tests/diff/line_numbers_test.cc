// __LINE__ noise in the diff engine: which functions that differ only in a
// moved line number are left out, and on what evidence (line_numbers.cc).
// Headers are simulated with #line "file" inside one source: the compiler
// then gives their code that __FILE__ and those lines, exactly as an
// #include would. DOMAIN_CRASH is shaped like Xen 4.17's domain_crash():
// printk("...%s:%u", __FILE__, __LINE__), so the line's file is passed
// beside it.
#include "scenario.h"

#include "elf/atomic_file.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fmt/format.h>

using namespace lp::test;
using namespace lp::test::diff;
using Strings = std::vector<std::string>;

namespace {

const std::string kCrash = R"(
void __domain_crash(void *d);
#define DOMAIN_CRASH(d) do { printk("domain_crash called from %s:%u\n", __FILE__, __LINE__); \
                             __domain_crash(d); } while (0)
#define NI __attribute__((noinline))
)";

// Lock helpers of a header whose BUG_ON frames sit at lines 140 and 160 of
// arch/x86/mm/mm-locks.h: numerically among the .c file's own lines.
const std::string kLocks = R"(
#line 140 "arch/x86/mm/mm-locks.h"
static inline void lock_a(int *l) { BUG_ON(*l == 1); *l = 1; }
#line 160 "arch/x86/mm/mm-locks.h"
static inline void unlock_a(int *l) { BUG_ON(*l == 0); *l = 0; }
)";

// 30 functions of arch/x86/mm/p2m.c on lines 135..164 (3 lines lower when
// `shifted`), each with a domain_crash() and a BUG_ON on its own line; fn7
// really changes when `fix`.
std::string p2m_functions(bool shifted, bool fix) {
  std::string s = "#line 135 \"arch/x86/mm/p2m.c\"\n";
  if (shifted)
    s += "/* The fix needs\n * three more\n * lines. */\n";
  for (int i = 0; i < 30; ++i)
    s += fmt::format("NI int fn{0}(int *l, void *d, int x) {{ lock_a(l); if (x > {1}) "
                     "DOMAIN_CRASH(d); BUG_ON(x == -{1}); unlock_a(l); return x + {2}; }}\n",
                     i, i + 100, fix && i == 7 ? 1007 : i);
  return s;
}

Strings ignored_names(const Outcome &o) {
  Strings out;
  for (const auto &i : o.result.ignored)
    out.push_back(i.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::string reason_of(const Outcome &o, const std::string &name) {
  for (const auto &i : o.result.ignored)
    if (i.name == name)
      return i.reason;
  return "";
}

Strings fn_names(int n, int except) {
  Strings out;
  for (int i = 0; i < n; ++i)
    if (i != except)
      out.push_back(fmt::format("fn{}", i));
  std::sort(out.begin(), out.end());
  return out;
}

std::string write_map(const TempDir &dir, const std::string &text) {
  return dir.write("line-map", text);
}

} // namespace

TEST_CASE("lines: header frames that did not move do not veto a shift of the .c file",
          "[diff][lines]") {
  // The advisory shape: frames of mm-locks.h (not moved) interleave with the
  // p2m.c lines that moved; pooled, they vetoed fn5 and fn25 (lines 140, 160).
  TempDir dir;
  Outcome o = run_sources(dir, kCrash + kLocks + p2m_functions(false, false),
                          kCrash + kLocks + p2m_functions(true, true));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"fn7"});
  CHECK(o.funcs().size() == 1);
  CHECK(ignored_names(o) == fn_names(30, 7));
  CHECK(reason_of(o, "fn5") == "only __LINE__ values moved (arch/x86/mm/p2m.c:140 -> 143 by bug "
                               "frames of arch/x86/mm/p2m.c)");
  CHECK(o.logged("ignoring __LINE__-only change in function: fn25: only __LINE__ values moved "
                 "(arch/x86/mm/p2m.c:160 -> 163 by bug frames of arch/x86/mm/p2m.c)"));
}

TEST_CASE("lines: a header's inline helper moved in several objects, confirmed by its own frames",
          "[diff][lines]") {
  // 8 lines removed at the top of a header; sh_check()'s domain_crash() line
  // moves in every user, in three files; the users' own frames (lines 50..)
  // did not move and must not veto it. Only the really changed user is kept.
  auto header = [](bool patched) {
    std::string s = "#line 40 \"arch/x86/mm/shadow/private.h\"\n";
    if (!patched)
      s += "/* 1 */\n/* 2 */\n/* 3 */\n/* 4 */\n/* 5 */\n/* 6 */\n/* 7 */\n/* 8 */\n";
    s += "static inline void sh_check(void *d, int x) { if (x > 99) DOMAIN_CRASH(d); "
         "BUG_ON(x == 98); }\n";
    return s;
  };
  auto users = [](const std::string &file, bool change) {
    std::string s = fmt::format("#line 45 \"arch/x86/mm/shadow/{}\"\n", file);
    for (int i = 0; i < 4; ++i)
      s += fmt::format("NI int {0}_u{1}(void *d, int x) {{ BUG_ON(x == -{1}); sh_check(d, x); "
                       "return x + {2}; }}\n",
                       file.substr(0, file.size() - 2), i, change && i == 2 ? 77 : i);
    return s;
  };
  TempDir dir;
  Pair p;
  for (const char *f : {"common.c", "multi.c", "hvm.c"}) {
    std::string name(f, std::strlen(f) - 2);
    bool change = name == "multi";
    p.sources.push_back({name, kCrash + header(false) + users(f, false),
                         kCrash + header(true) + users(f, change)});
  }
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"multi_u2"});
  CHECK(o.result.ignored.size() == 11);
  CHECK(reason_of(o, "hvm_u0") == "only __LINE__ values moved (arch/x86/mm/shadow/private.h:48 -> "
                                  "40 by bug frames of arch/x86/mm/shadow/private.h)");
}

TEST_CASE("lines: the line map confirms a shift where no bug frame exists", "[diff][lines]") {
  auto src = [](bool shifted) {
    std::string s = kCrash + "#line 10 \"common/x.c\"\n";
    if (shifted)
      s += "\n\n\n";
    s += "NI int f(int x) { if (x) printk(\"%d\", __LINE__); return x; }\n"
         "NI int g(void *d, int x) { if (x) DOMAIN_CRASH(d); return x; }\n";
    return s;
  };
  TempDir dir;
  SECTION("map: lines 1..100 moved by 3") {
    Pair p;
    p.sources = {{"x", src(false), src(true)}};
    p.options.line_map = write_map(dir, "common/x.c 1 100 3\n");
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    CHECK(o.status() == 3);
    CHECK(reason_of(o, "f") ==
          "only __LINE__ values moved (line 10 -> 13 by the line map (common/x.c))");
    CHECK(reason_of(o, "g") == "only __LINE__ values moved (common/x.c:11 -> 14 by the line map)");
  }
  SECTION("map: a different shift") {
    Pair p;
    p.sources = {{"x", src(false), src(true)}};
    p.options.line_map = write_map(dir, "common/x.c 1 100 2\n");
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    CHECK(o.status() == 0);
    CHECK(o.result.changed == Strings{"f", "g"});
    CHECK(o.result.ignored.empty());
  }
  SECTION("map: another file moved, this one did not") {
    Pair p;
    p.sources = {{"x", src(false), src(true)}};
    p.options.line_map = write_map(dir, "# only the header moved\ninclude/xen/sched.h 1 100 3\n");
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    CHECK(o.status() == 0);
    // f's line has no file beside it: any moved file could be its own.
    CHECK(o.result.changed == Strings{"g"});
    CHECK(reason_of(o, "f") ==
          "only __LINE__ values moved (line 10 -> 13 by the line map (include/xen/sched.h))");
  }
  SECTION("no map, no frames: kept") {
    Outcome o = run_sources(dir, src(false), src(true));
    INFO(o.log_text());
    CHECK(o.result.changed == Strings{"f", "g"});
  }
}

TEST_CASE("lines: a line of a file the map says did not move is a real change",
          "[diff][lines]") {
  // The header really moved by 3 but the map only lists the .c file: the
  // helper's line (its __FILE__ is the header) is not confirmed, though the
  // .c file moved by the same amount.
  auto src = [](bool patched) {
    std::string s = kCrash + "#line 20 \"include/asm/helper.h\"\n";
    if (patched)
      s += "\n\n\n";
    s += "static inline void helper(void *d, int x) { if (x == 5) DOMAIN_CRASH(d); }\n"
         "#line 20 \"common/x.c\"\n";
    if (patched)
      s += "\n\n\n";
    s += "NI int uses_helper(void *d, int x) { helper(d, x); return x; }\n"
         "NI int own_line(void *d, int x) { if (x == 7) DOMAIN_CRASH(d); return x; }\n";
    return s;
  };
  TempDir dir;
  Pair p;
  p.sources = {{"x", src(false), src(true)}};
  p.options.line_map = write_map(dir, "common/x.c 1 1000 3\n");
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"uses_helper"});
  CHECK(ignored_names(o) == Strings{"own_line"});
}

TEST_CASE("lines: a line with no file beside it falls back to every file's frames",
          "[diff][lines]") {
  // printk("%d", __LINE__) names no file. The .c frames confirm +3, but the
  // header's frames on both sides of the line (140, 160) say 0: kept.
  auto src = [](bool shifted, bool locks) {
    std::string s = kCrash + (locks ? kLocks : "") + "#line 145 \"arch/x86/mm/p2m.c\"\n";
    if (shifted)
      s += "\n\n\n";
    for (int i = 0; i < 10; ++i)
      s += fmt::format("NI int fn{0}(int *l, int x) {{ {1}BUG_ON(x == -{0}); if (x > 1000) "
                       "printk(\"%d\", __LINE__); {2}return x; }}\n",
                       i, locks ? "lock_a(l); " : "", locks ? "unlock_a(l); " : "(void)l; ");
    return s;
  };
  TempDir dir;
  SECTION("with the header") {
    Outcome o = run_sources(dir, src(false, true), src(true, true));
    INFO(o.log_text());
    CHECK(o.result.changed == fn_names(10, -1));
  }
  SECTION("without it") {
    Outcome o = run_sources(dir, src(false, false), src(true, false));
    INFO(o.log_text());
    CHECK(o.status() == 3);
    CHECK(reason_of(o, "fn3") ==
          "only __LINE__ values moved (line 148 -> 151 by bug frames of arch/x86/mm/p2m.c)");
  }
}

TEST_CASE("lines: a changed static is reported by the name the payload carries",
          "[diff][lines]") {
  // livepatch-build joins the lists of several objects: bare names of statics
  // from different files collapsed into one.
  TempDir dir;
  Pair p;
  p.sources = {{"a", "static __attribute__((noinline)) int helper(int x) { return x + 1; }\n"
                     "int use_a(int x) { return helper(x); }\n",
                "static __attribute__((noinline)) int helper(int x) { return x + 2; }\n"
                "int use_a(int x) { return helper(x); }\n"}};
  p.options.json = dir.file("r.json");
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"common/a.c#helper"});
  CHECK(o.logged("changed function: common/a.c#helper"));
  CHECK(o.funcs().at(0).name == "common/a.c#helper");
  std::string json = lp::read_file(dir.file("r.json"));
  CHECK_THAT(json, Catch::Contains("\"changed_functions\": [\"common/a.c#helper\"]"));
}

TEST_CASE("lines: --json lists line noise as ignored with the reason, --explain shows lines",
          "[diff][lines]") {
  TempDir dir;
  Pair p;
  p.sources = {{"x", kCrash + kLocks + p2m_functions(false, false),
                kCrash + kLocks + p2m_functions(true, true)}};
  p.options.json = dir.file("r.json");
  p.options.explain = true;
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  std::string json = lp::read_file(dir.file("r.json"));
  CHECK_THAT(json, Catch::Contains("\"ignored_functions\": [\n    {\"name\": \"fn0\", \"reason\": "
                                   "\"only __LINE__ values moved (arch/x86/mm/p2m.c:135 -> 138 "
                                   "by bug frames of arch/x86/mm/p2m.c)\"},"));
  // fn7 was fixed on patched line 145: its BUG_ON reports that line, its lock
  // helpers' frames the header's lines.
  CHECK(o.logged("explain: fn7: its BUG/WARN/ASSERT report arch/x86/mm/mm-locks.h:140, "
                 "arch/x86/mm/mm-locks.h:160, arch/x86/mm/p2m.c:145 (the patched file's line "
                 "inside a patch hunk, the original file's below one)"));
  CHECK(o.logged("explain: fn8: left out of the payload: only __LINE__ values moved"));
}

TEST_CASE("lines: a malformed line map is one error naming the file and line", "[diff][lines]") {
  TempDir dir;
  for (auto [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"common/x.c 1 10\n", "line 1: expected '<file> <old_first> <old_last> <delta>'"},
           {"common/x.c 1 10 3\ncommon/x.c 5 20 1\n",
            "common/x.c: overlapping ranges 1..10 and 5..20"},
           {"\ncommon/x.c 10 1 3\n", "line 2: bad range 10..1 +3"},
           {"common/x.c 1 10 x\n", "line 1: expected"}}) {
    Pair p;
    p.sources = {{"x", "int f(int x) { return x; }\n", "int f(int x) { return x + 1; }\n"}};
    p.options.line_map = write_map(dir, text);
    Outcome o = run_pair(dir, p);
    CHECK(o.status() == 1);
    CHECK_THAT(o.result.error, Catch::StartsWith(dir.file("line-map") + ": " + message));
  }
}
