// Scenario tests for type-layout checks (issue 11): an original and patched C
// source compiled with Xen 4.17's flags, the DWARF types taken from -g side
// objects as livepatch-build makes them (or from the objects themselves, as
// on Xen 4.20), and the verdict asserted: exit status, the exact refusal
// line, "layout kept" / "layout change accepted" lines and the JSON report.
#include "scenario.h"

#include "elf/reader.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

using namespace lp::test;
using namespace lp::test::diff;
using Strings = std::vector<std::string>;

namespace {

Pair side_pair(const std::string &original, const std::string &patched,
               Debug debug = Debug::SideObjects) {
  Pair p;
  p.sources = {{"x", original, patched}};
  p.debug = debug;
  return p;
}

std::string refusal_of(const Outcome &o) {
  for (const auto &r : o.result.refusals)
    if (r.reason.starts_with("type layout changed: "))
      return r.reason;
  return "";
}

// A structure with live instances (a global) and a changed function reading it.
constexpr const char *kStructUser = R"(
struct grant { int a; int b; };
struct grant table;
__attribute__((noinline)) int read_b(struct grant *g) { return g->b + 1; }
)";

Outcome run_struct_change(const TempDir &dir, const std::string &new_struct, Pair *out = nullptr) {
  std::string patched = kStructUser;
  patched.replace(patched.find("struct grant { int a; int b; };"),
                  std::string("struct grant { int a; int b; };").size(), new_struct);
  patched.replace(patched.find("g->b + 1"), 8, "g->b + 2");
  Pair p = side_pair(kStructUser, patched);
  if (out)
    *out = p;
  return run_pair(dir, p);
}

std::string expected(const Pair &p, const std::string &type, const std::string &what,
                     const std::string &users) {
  int line = line_of(p, p.sources[0].patched, type.substr(type.find(' ') + 1) + " ");
  return fmt::format("type layout changed: {} (common/x.c:{}): {}; used by changed functions: {}",
                     type, line, what, users);
}

} // namespace

TEST_CASE("type layout: a member appended is refused with offsets and users", "[diff][types]") {
  TempDir dir;
  Pair p;
  Outcome o = run_struct_change(dir, "struct grant { int a; int b; int c; };", &p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  std::string want = expected(p, "struct grant", "member c added at 8+4, size 8 -> 12", "read_b");
  CHECK(refusal_of(o) == want);
  CHECK(o.logged("x.o: " + want));
  CHECK_FALSE(o.object);
  REQUIRE(o.result.layout_changes.size() == 1);
  CHECK(o.result.layout_changes[0].status == "refused");
  CHECK(o.result.layout_changes[0].functions == Strings{"read_b"});
}

TEST_CASE("type layout: a member inserted moves the ones after it", "[diff][types]") {
  TempDir dir;
  Pair p;
  Outcome o = run_struct_change(dir, "struct grant { int a; int n; int b; };", &p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o) ==
        expected(p, "struct grant", "member b 4+4 -> 8+4, member n added at 4+4, size 8 -> 12",
                 "read_b"));
}

TEST_CASE("type layout: a member retyped to a wider type", "[diff][types]") {
  TempDir dir;
  Pair p;
  Outcome o = run_struct_change(dir, "struct grant { int a; long b; };", &p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o) == expected(p, "struct grant",
                                  "member b 4+4 -> 8+8, size 8 -> 16, alignment 4 -> 8", "read_b"));
}

TEST_CASE("type layout: a member retyped in place (long -> pointer) is a change",
          "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
struct slot { int a; long b; };
struct slot slots;
__attribute__((noinline)) long get_b(struct slot *s) { return (long)s->b + 1; }
)";
  std::string patched = R"(
struct slot { int a; void *b; };
struct slot slots;
__attribute__((noinline)) long get_b(struct slot *s) { return (long)s->b + 2; }
)";
  Pair p = side_pair(orig, patched);
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o) ==
        expected(p, "struct slot", "member b 8+8 -> 8+8 (long int -> void *)", "get_b"));
}

TEST_CASE("type layout: a member retyped to one of the same layout is kept", "[diff][types]") {
  TempDir dir;
  Outcome o = run_struct_change(dir, "struct grant { int a; unsigned int b; };");
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("x.o: layout kept: struct grant: int b -> unsigned int b"));
}

TEST_CASE("type layout: a bit-field moved", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
struct flags { unsigned int x : 3; unsigned int y : 5; };
struct flags fl;
__attribute__((noinline)) int get_y(struct flags *f) { return f->y; }
)";
  std::string patched = R"(
struct flags { unsigned int y : 5; unsigned int x : 3; };
struct flags fl;
__attribute__((noinline)) int get_y(struct flags *f) { return f->y; }
)";
  Pair p = side_pair(orig, patched);
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o) == expected(p, "struct flags",
                                  "member x bits 0:3 -> bits 5:3, member y bits 3:5 -> bits 0:5",
                                  "get_y"));
}

TEST_CASE("type layout: a union grown", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
union val { int i; char c[4]; };
union val v;
__attribute__((noinline)) int get(union val *u) { return u->c[1]; }
)";
  std::string patched = R"(
union val { int i; char c[8]; };
union val v;
__attribute__((noinline)) int get(union val *u) { return u->c[1] + u->c[5]; }
)";
  Pair p = side_pair(orig, patched);
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o) == expected(p, "union val", "member c 0+4 -> 0+8, size 4 -> 8", "get"));
}

TEST_CASE("type layout: an enumerator inserted is refused, one appended is not", "[diff][types]") {
  std::string orig = R"(
enum state { IDLE, RUNNING, DEAD };
enum state st;
__attribute__((noinline)) int is_dead(enum state s) { return s == DEAD; }
)";
  SECTION("inserted") {
    TempDir dir;
    std::string patched = orig;
    patched.replace(patched.find("IDLE, "), 6, "IDLE, BLOCKED, ");
    Pair p = side_pair(orig, patched);
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    REQUIRE(o.status() == 2);
    CHECK(refusal_of(o) ==
          expected(p, "enum state", "enumerator RUNNING 1 -> 2, enumerator DEAD 2 -> 3", "is_dead"));
  }
  SECTION("appended") {
    TempDir dir;
    std::string patched = orig;
    patched.replace(patched.find("DEAD }"), 6, "DEAD, ZOMBIE }");
    patched.replace(patched.find("s == DEAD"), 9, "s >= DEAD");
    Outcome o = run_pair(dir, side_pair(orig, patched));
    INFO(o.log_text());
    REQUIRE(o.status() == 0);
    CHECK(o.result.changed == Strings{"is_dead"});
    CHECK(o.result.layout_changes.empty());
  }
}

TEST_CASE("type layout: a typedef retargeted", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
typedef int count_t;
count_t total;
__attribute__((noinline)) int bump(count_t *c) { return *c + 1; }
)";
  std::string patched = R"(
typedef long count_t;
count_t total;
__attribute__((noinline)) int bump(count_t *c) { return *c + 2; }
)";
  Pair p = side_pair(orig, patched);
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  int line = line_of(p, patched, "typedef long");
  CHECK(refusal_of(o) ==
        fmt::format("type layout changed: typedef count_t (common/x.c:{}): int -> long int, size 4 -> "
                    "8, alignment 4 -> 8; used by changed functions: bump",
                    line));
}

TEST_CASE("type layout: a new structure used only by a new function is accepted", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
__attribute__((noinline)) int f(int x) { return x + 1; }
)";
  std::string patched = R"(
struct fresh { int a; long b; };
__attribute__((noinline)) int helper(struct fresh *s) { return s->a + (int)s->b; }
__attribute__((noinline)) int f(int x) { struct fresh s = { x, 2 }; return helper(&s) + 1; }
)";
  Outcome o = run_pair(dir, side_pair(orig, patched));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.added == Strings{"helper"});
  CHECK(o.result.layout_changes.empty());
}

TEST_CASE("type layout: a structure local to a function may change", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
__attribute__((noinline)) int f(int x) { struct tmp { int a; } t = { x }; return t.a + 1; }
)";
  std::string patched = R"(
__attribute__((noinline)) int f(int x) { struct tmp { int a; int b; } t = { x, 2 }; return t.a + t.b; }
)";
  Outcome o = run_pair(dir, side_pair(orig, patched));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.layout_changes.empty());
}

namespace {

constexpr const char *kPrivate = R"(
struct priv { int id; int refs; };
static struct priv *current_priv;
__attribute__((noinline)) int priv_refs(void) { return current_priv ? current_priv->refs : -1; }
void set_priv(struct priv *p) { current_priv = p; }
)";

std::string private_patched(const std::string &marker) {
  std::string s = kPrivate;
  s.replace(s.find("struct priv { int id; int refs; };"),
            std::string("struct priv { int id; int refs; };").size(),
            "struct priv { int id; int gen; int refs; };");
  s.replace(s.find("current_priv->refs :"), 20, "current_priv->refs + current_priv->gen :");
  return s + marker;
}

} // namespace

TEST_CASE("type layout: a structure private to the changed file needs the author's marker",
          "[diff][types]") {
  SECTION("without the marker: refused") {
    TempDir dir;
    Pair p = side_pair(kPrivate, private_patched(""));
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    REQUIRE(o.status() == 2);
    CHECK(refusal_of(o) ==
          expected(p, "struct priv", "member refs 4+4 -> 8+4, member gen added at 4+4, size 8 -> 12",
                   "priv_refs"));
  }
  SECTION("with the marker: accepted, reason in the log and JSON, no marker in the payload") {
    TempDir dir;
    Pair p = side_pair(
        kPrivate,
        private_patched("LIVEPATCH_LAYOUT_CHANGE_SAFE(struct priv, \"only allocated by new code\")\n"));
    p.options.json = dir.file("report.json");
    Outcome o = run_pair(dir, p);
    INFO(o.log_text());
    REQUIRE(o.status() == 0);
    CHECK(o.logged("x.o: layout change accepted: struct priv: only allocated by new code"));
    REQUIRE(o.result.layout_changes.size() == 1);
    const auto &c = o.result.layout_changes[0];
    CHECK(c.status == "accepted");
    CHECK(c.reason == "only allocated by new code");
    CHECK(c.functions == Strings{"priv_refs"});
    std::string json = read_text(dir.file("report.json"));
    int line = line_of(p, p.sources[0].patched, "struct priv {");
    CHECK(json.find(fmt::format(
              "\"layout_changes\": [\n    {{\"type\": \"struct priv\", \"decl\": "
              "\"common/x.c:{}\", \"status\": \"accepted\", \"details\": \"member refs 4+4 -> "
              "8+4, member gen added at 4+4, size 8 -> 12\", \"reason\": \"only allocated by new "
              "code\", \"functions\": [\"priv_refs\"]}}\n  ]",
              line)) != std::string::npos);
    for (const auto &name : o.section_names())
      CHECK(name.find("layout") == std::string::npos);
    for (const auto &name : o.symbol_names())
      CHECK(name.find("livepatch_layout") == std::string::npos);
  }
  SECTION("a marker for a type that did not change is a notice") {
    TempDir dir;
    std::string patched = std::string(kPrivate) +
                          "LIVEPATCH_LAYOUT_CHANGE_SAFE(struct priv, \"not needed\")\n";
    patched.replace(patched.find("-1;"), 3, "-2;");
    Outcome o = run_pair(dir, side_pair(kPrivate, patched));
    INFO(o.log_text());
    REQUIRE(o.status() == 0);
    CHECK(o.logged("x.o: NOTICE: no layout change detected in struct priv, unnecessary "
                   "LIVEPATCH_LAYOUT_CHANGE_SAFE()?"));
  }
}

TEST_CASE("type layout: an integer variable that becomes a one-member struct keeps its layout",
          "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
unsigned long pcpu_count;
__attribute__((noinline)) unsigned long get_count(void) { return pcpu_count + 1; }
)";
  std::string patched = R"(
struct counter { unsigned long value; };
struct counter pcpu_count;
__attribute__((noinline)) unsigned long get_count(void) { return pcpu_count.value + 2; }
)";
  Outcome o = run_pair(dir, side_pair(orig, patched));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("x.o: layout kept: variable pcpu_count: long unsigned int -> struct counter"));
  REQUIRE(o.result.layout_changes.size() == 1);
  CHECK(o.result.layout_changes[0].status == "kept");
  CHECK(o.result.changed == Strings{"get_count"});
}

TEST_CASE("type layout: every changed type is reported in one run", "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
struct one { int a; int b; };
struct two { char c; int d; };
struct one o1;
struct two o2;
__attribute__((noinline)) int f(struct one *x) { return x->b; }
__attribute__((noinline)) int g(struct two *y) { return y->d; }
)";
  std::string patched = R"(
struct one { int a; int z; int b; };
struct two { int d; char c; };
struct one o1;
struct two o2;
__attribute__((noinline)) int f(struct one *x) { return x->b; }
__attribute__((noinline)) int g(struct two *y) { return y->d; }
)";
  Pair p = side_pair(orig, patched);
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(o.result.layout_changes.size() == 2);
  CHECK(o.logged(expected(p, "struct one", "member b 4+4 -> 8+4, member z added at 4+4, size 8 -> 12", "f")));
  CHECK(o.logged(expected(p, "struct two", "member c 0+1 -> 4+1, member d 4+4 -> 0+4", "g")));
}

TEST_CASE("type layout: a header included by two changed files is reported once", "[diff][types]") {
  TempDir dir;
  Pair p;
  p.debug = Debug::SideObjects;
  p.headers = {{"shared", "struct shared { int a; int b; };\n",
                "struct shared { int a; int n; int b; };\n"}};
  std::string x = "#include \"shared.h\"\nstruct shared sx;\n"
                  "__attribute__((noinline)) int fx(struct shared *s) { return s->b; }\n";
  std::string y = "#include \"shared.h\"\n"
                  "__attribute__((noinline)) int fy(struct shared *s) { return s->b + 1; }\n";
  p.sources = {{"x", x, x}, {"y", y, y}};
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  REQUIRE(o.result.layout_changes.size() == 1);
  CHECK(refusal_of(o) == "type layout changed: struct shared (common/shared.h:1): member b 4+4 -> "
                         "8+4, member n added at 4+4, size 8 -> 12; used by changed functions: "
                         "fy, fx");
}

TEST_CASE("type layout: the objects' own DWARF is used without side objects (Xen 4.20)",
          "[diff][types]") {
  TempDir dir;
  std::string patched = kStructUser;
  patched.replace(patched.find("int a; int b;"), 13, "int a; int n; int b;");
  Outcome o = run_pair(dir, side_pair(kStructUser, patched, Debug::Objects));
  INFO(o.log_text());
  REQUIRE(o.status() == 2);
  CHECK(refusal_of(o).starts_with("type layout changed: struct grant (common/x.c:"));
}

TEST_CASE("type layout: without DWARF, displacement-only changes are warned about",
          "[diff][types]") {
  TempDir dir;
  std::string orig = R"(
struct grant { int a; int b; int c; };
__attribute__((noinline)) int read_c(struct grant *g) { return g->c; }
__attribute__((noinline)) int other(int x) { return x * 3; }
)";
  std::string patched = R"(
struct grant { int a; int n; int b; int c; };
__attribute__((noinline)) int read_c(struct grant *g) { return g->c; }
__attribute__((noinline)) int other(int x) { return x * 5; }
)";
  Pair p = side_pair(orig, patched, Debug::None);
  p.options.json = dir.file("report.json");
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"read_c", "other"});
  CHECK(o.logged("x.o: possible type-layout change in read_c: only memory displacements differ"));
  CHECK_FALSE(o.logged("possible type-layout change in other"));
  CHECK(o.result.possible_layout_changes == Strings{"read_c"});
  CHECK(read_text(dir.file("report.json")).find("\"possible_layout_changes\": [\"read_c\"]") !=
        std::string::npos);
}

TEST_CASE("type layout: side objects do not change the output when no type changed",
          "[diff][types]") {
  TempDir dir;
  std::string patched = kStructUser;
  patched.replace(patched.find("g->b + 1"), 8, "g->b + 3");
  Outcome o = run_pair(dir, side_pair(kStructUser, patched));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.layout_changes.empty());
  lp::diff::Options without = o.options;
  without.original_debug.clear();
  without.patched_debug.clear();
  without.output = dir.file("without.o");
  lp::diff::Result r = lp::diff::create_diff_object(without);
  REQUIRE(r.status == 0);
  std::string a = read_text(o.output), b = read_text(without.output);
  CHECK(!a.empty());
  CHECK(a == b);
  CHECK(r.changed == o.result.changed);
}
