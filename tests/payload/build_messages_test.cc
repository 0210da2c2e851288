// What livepatch-build tells its user, line for line (issue 13, "Interface"):
// a patch that does not apply is one line naming the file and the hunk; a
// build-only run (-k diff) needs no build-ids; create-diff-object's verdicts
// name the object once, by its path below xen/; a --loaded file that is not
// there is refused up front.
#include "minitree.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using lp::test::MiniTree;
using lp::test::RunResult;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// The lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string &text, const std::string &needle) {
  std::vector<std::string> out;
  for (const auto &line : lines_of(text))
    if (line.find(needle) != std::string::npos)
      out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("messages: a patch that does not apply names the file and the hunk, exit 4",
          "[livepatch-build][messages]") {
  MiniTree t;
  RunResult r = t.build("06-does-not-apply.patch");
  INFO(r.output);
  CHECK(r.status == 4);
  // One line, and nothing of patch's own multi-line output.
  CHECK(lines_with(r.output, "ERROR") ==
        std::vector<std::string>{"ERROR: Source patch file failed to apply: xen/common/table.c: "
                                 "hunk #1 (06-does-not-apply.patch:4) does not match at line "
                                 "11."});
  CHECK(r.output.find("hunk FAILED") == std::string::npos);
  CHECK(r.output.find("checking file") == std::string::npos);
}

TEST_CASE("messages: a build-only run (-k diff) needs neither --depends nor --xen-depends",
          "[livepatch-build][messages]") {
  MiniTree t;
  RunResult r = lp::test::run({lp::test::tool_path("livepatch-build"), "-s", t.src(), "-p",
                               MiniTree::patch("01-table-bounds.patch"), "-c", t.config(), "-o",
                               t.out(), "-k", "diff", "--cache-dir", t.cache(), "-j", "2"});
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(fs::exists(t.out() + "/xen-syms"));
  CHECK(fs::exists(t.out() + "/patched/xen/common/table.o"));
  CHECK(r.output.find("ERROR") == std::string::npos);
  // The diff phase alone still needs --depends (it writes .livepatch.depends).
  RunResult link = lp::test::run({lp::test::tool_path("livepatch-build"), "-s", t.src(), "-p",
                                  MiniTree::patch("01-table-bounds.patch"), "-c", t.config(),
                                  "-o", t.out(), "-k", "build"});
  CHECK(link.status == 1);
  CHECK(lines_with(link.output, "ERROR") ==
        std::vector<std::string>{"ERROR: Build-id dependency not given."});
}

TEST_CASE("messages: a refusal names the object once, by its path below xen/",
          "[livepatch-build][messages]") {
  MiniTree t;
  RunResult r = t.build("04-data-change.patch");
  INFO(r.output);
  CHECK(r.status == 2);
  auto refusals = lines_with(r.output, "table.o: ");
  REQUIRE(!refusals.empty());
  for (const auto &line : refusals) {
    CHECK(line.starts_with("common/table.o: "));
    CHECK(line.find("table.o: ", line.find("table.o: ") + 1) == std::string::npos); // named once
  }
  CHECK(lines_with(r.output, "common/table.o: ERROR: ") ==
        std::vector<std::string>{
            "common/table.o: ERROR: 1 unsupported change(s): unreconcilable difference"});
  // create-diff-object.log uses the same names.
  std::ifstream log(t.out() + "/create-diff-object.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(!lines_with(text, "common/table.o: ").empty());
  CHECK(lines_with(text, " table.o: ").empty());
}

TEST_CASE("messages: a --loaded payload that does not exist is named before anything is built",
          "[livepatch-build][messages]") {
  MiniTree t;
  RunResult r = t.build("01-table-bounds.patch", {"--loaded", t.dir().file("nope.livepatch")});
  CHECK(r.status == 1);
  CHECK(lines_with(r.output, "ERROR") ==
        std::vector<std::string>{"ERROR: --loaded " + t.dir().file("nope.livepatch") +
                                 ": no such file."});
  CHECK_FALSE(fs::exists(t.out()));
}
