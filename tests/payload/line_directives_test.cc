// #line directives in the patched build copy (line_directives.h): for each
// hard place, the rewritten text is run through the real preprocessor and
// the __LINE__ a marker below the hunk gets is compared with its original
// number; the line map must state exactly what still moved.
#include "payload/line_directives.h"

#include "support/fixture.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <regex>

using lp::payload::add_line_directives;
using lp::payload::LineShift;
using lp::payload::SourceKind;
using Shifts = std::vector<LineShift>;

namespace {

// The value __LINE__ has at `marker` (a line "int marker = __LINE__;") after cpp.
int line_of(const std::string &text, const std::string &marker, const std::string &lang = "c") {
  lp::test::TempDir dir;
  std::string src = dir.write("t." + std::string(lang == "c" ? "c" : "S"), text);
  lp::test::RunResult r = lp::test::run({"gcc", "-E", "-P", "-x",
                                         lang == "c" ? "c" : "assembler-with-cpp", src});
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::smatch m;
  std::regex re(marker + " = ([0-9]+)");
  REQUIRE(std::regex_search(r.output, m, re));
  return std::stoi(m[1]);
}

std::string numbered(int n, int from = 1) {
  std::string s;
  for (int i = from; i < from + n; ++i)
    s += fmt::format("int l{} = __LINE__;\n", i);
  return s;
}

} // namespace

TEST_CASE("#line: lines below a hunk keep their original numbers", "[lines]") {
  std::string orig = numbered(10);
  std::string patched = numbered(4) + "int added1;\nint added2;\n" + numbered(6, 5);
  auto r = add_line_directives(orig, patched, SourceKind::C);
  INFO(r.text);
  CHECK(r.rewritten);
  CHECK(r.directives == 1);
  CHECK(r.shifts.empty());
  CHECK(line_of(r.text, "l5") == 5);
  CHECK(line_of(r.text, "l10") == 10);
  CHECK(line_of(r.text, "l4") == 4);
}

TEST_CASE("#line: hunk at the very start and at the very end of a file", "[lines]") {
  std::string orig = numbered(5);
  SECTION("start") {
    auto r = add_line_directives(orig, "int a;\nint b;\n" + orig, SourceKind::C);
    INFO(r.text);
    CHECK(r.text.starts_with("int a;\nint b;\n#line 1\n"));
    CHECK(line_of(r.text, "l3") == 3);
    CHECK(r.shifts.empty());
  }
  SECTION("end: nothing below, nothing to do") {
    auto r = add_line_directives(orig, orig + "int z;\n", SourceKind::C);
    CHECK_FALSE(r.rewritten);
    CHECK(r.kept_reason.empty());
    CHECK(r.text == orig + "int z;\n");
  }
  SECTION("removed lines") {
    std::string patched = numbered(1) + numbered(3, 3); // l2 removed
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(line_of(r.text, "l3") == 3);
    CHECK(line_of(r.text, "l5") == 5);
    CHECK(r.shifts.empty());
  }
}

TEST_CASE("#line: a hunk ending inside a multi-line macro", "[lines]") {
  std::string macro = "#define M(x) do { \\\n  f(x); \\\n} while (0)\n";
  std::string orig = "int a;\n" + macro + numbered(3, 5);
  std::string patched = "int a;\nint added;\n" + macro + numbered(3, 5);
  // The added line sits above the macro; change inside it instead:
  std::string patched_inside =
      "int a;\n#define M(x) do { \\\n  g(x); \\\n  f(x); \\\n} while (0)\n" + numbered(3, 5);
  auto r = add_line_directives(orig, patched_inside, SourceKind::C);
  INFO(r.text);
  // Never between continued lines: after the macro's last line.
  CHECK(r.text.find("\\\n#line") == std::string::npos);
  CHECK(r.text.find("} while (0)\n#line 5\n") != std::string::npos);
  CHECK(line_of(r.text, "l5") == 5);
  // The macro's last two lines still moved by one: in the map.
  CHECK(r.shifts == Shifts{{3, 4, 1}});
  (void)patched;
}

TEST_CASE("#line: a hunk ending inside a comment or a continued string", "[lines]") {
  SECTION("comment") {
    std::string orig = "int a;\n/* one\n * two\n */\n" + numbered(2, 5);
    std::string patched = "int a;\n/* one\n * new\n * two\n */\n" + numbered(2, 5);
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(r.text.find(" */\n#line 5\n") != std::string::npos);
    CHECK(line_of(r.text, "l5") == 5);
    CHECK(r.shifts == Shifts{{3, 4, 1}});
  }
  SECTION("string") {
    std::string orig = "const char *s = \"a\\\nb\";\n" + numbered(2, 3);
    std::string patched = "const char *s = \"a\\\nx\\\nb\";\n" + numbered(2, 3);
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(r.text.find("b\";\n#line 3\n") != std::string::npos);
    CHECK(line_of(r.text, "l3") == 3);
  }
  SECTION("parentheses of a call spanning lines") {
    std::string orig = "int a = f(1,\n  2);\n" + numbered(2, 3);
    std::string patched = "int a = f(1,\n  5,\n  2);\n" + numbered(2, 3);
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(r.text.find("  2);\n#line 3\n") != std::string::npos);
    CHECK(line_of(r.text, "l3") == 3);
  }
}

TEST_CASE("#line: conditional groups and files with no safe place", "[lines]") {
  SECTION("inside #ifdef: after its #endif") {
    std::string orig = "#ifdef NOPE\nint a;\nint b;\n#endif\n" + numbered(2, 5);
    std::string patched = "#ifdef NOPE\nint a;\nint new;\nint b;\n#endif\n" + numbered(2, 5);
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(r.text.find("#endif\n#line 5\n") != std::string::npos);
    CHECK(line_of(r.text, "l5") == 5);
  }
  SECTION("include guard: the directive goes inside it") {
    std::string orig = "#ifndef H\n#define H\nint a;\n" + numbered(2, 4) + "#endif\n";
    std::string patched = "#ifndef H\n#define H\nint a;\nint b;\n" + numbered(2, 4) + "#endif\n";
    auto r = add_line_directives(orig, patched, SourceKind::C);
    INFO(r.text);
    CHECK(r.directives == 1);
    CHECK(line_of(r.text, "l4") == 4);
  }
  SECTION("no safe place: real numbers, with the reason") {
    // Below the change, every line is inside the call's parentheses.
    auto r = add_line_directives("int q = g(1,\n  2,\n  3);\n",
                                 "int q = g(0,\n  1,\n  2,\n  3);\n", SourceKind::C);
    INFO(r.text);
    CHECK_FALSE(r.rewritten);
    CHECK(r.kept_reason == "no safe place for a #line directive below the change at line 1");
    CHECK(r.shifts == Shifts{{2, 3, 1}});
  }
}

TEST_CASE("#line: a second hunk carries the patched file's numbers inside it", "[lines]") {
  std::string orig = numbered(20);
  std::string patched = numbered(2) + "int a1;\nint a2;\n" + numbered(8, 3) +
                        "int inside = __LINE__;\n" + numbered(10, 11);
  auto r = add_line_directives(orig, patched, SourceKind::C);
  INFO(r.text);
  CHECK(r.directives == 3);
  CHECK(line_of(r.text, "inside") == 13); // its line in the patched file
  CHECK(line_of(r.text, "l11") == 11);
  CHECK(line_of(r.text, "l20") == 20);
  CHECK(r.shifts.empty());
}

TEST_CASE("#line: assembly run through cpp", "[lines]") {
  std::string orig = "ENTRY(x)\n  mov $1, %eax # don't\n  ret\n.long l4 = __LINE__\n";
  std::string patched = "ENTRY(x)\n  mov $1, %eax # don't\n  nop\n  ret\n.long l4 = __LINE__\n";
  auto r = add_line_directives(orig, patched, SourceKind::Assembly);
  INFO(r.text);
  CHECK(r.rewritten);
  CHECK(line_of(r.text, "l4", "S") == 4);
}

TEST_CASE("#line: other files are never rewritten, their shifts are mapped", "[lines]") {
  auto r = add_line_directives("a\nb\nc\n", "new\na\nb\nc\n", SourceKind::Other);
  CHECK_FALSE(r.rewritten);
  CHECK(r.shifts == Shifts{{1, 3, 1}});
}

TEST_CASE("#line: the files of a patch, renames, additions and removals", "[lines]") {
  std::string patch = R"(diff --git a/xen/common/old.c b/xen/common/new.c
similarity index 90%
rename from xen/common/old.c
rename to xen/common/new.c
--- a/xen/common/old.c
+++ b/xen/common/new.c
@@ -1 +1 @@
-a
+b
diff --git a/xen/common/added.c b/xen/common/added.c
new file mode 100644
--- /dev/null
+++ b/xen/common/added.c
@@ -0,0 +1 @@
+x
--- a/xen/common/gone.c
+++ /dev/null
@@ -1 +0,0 @@
-y
--- a/xen/include/xen/lib.h	2026-11-23 05:10:57.282242630 +0000
+++ b/xen/include/xen/lib.h	2026-11-23 05:11:21.666153236 +0000
@@ -1 +1 @@
-int a;
+int b;
)";
  using lp::payload::PatchedFile;
  CHECK(lp::payload::patch_file_pairs(patch) ==
        std::vector<PatchedFile>{{"xen/common/old.c", "xen/common/new.c"},
                                 {"", "xen/common/added.c"},
                                 {"xen/common/gone.c", ""},
                                 {"xen/include/xen/lib.h", "xen/include/xen/lib.h"}});
}
