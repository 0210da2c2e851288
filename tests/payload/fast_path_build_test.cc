// livepatch-build's fast path end to end on the minitree: which path runs and
// why (output line and --json), the same payload bytes as make, the source
// tree untouched, --check-fast-path on every minitree patch (same outcome as
// without it, never a difference), a check that does fail when a record no
// longer matches the build, and interruption while the fast path compiles.
#include "controlled_run.h"
#include "minitree.h"
#include "payload_fixture.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

using lp::test::ControlledRun;
using lp::test::MiniTree;
using lp::test::RunResult;
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string &path) {
  auto b = lp::test::file_bytes(path);
  return std::string(b.begin(), b.end());
}

// The cache entry folder of a MiniTree (one key per tree).
std::string cache_entry(const MiniTree &t) {
  for (const auto &e : fs::directory_iterator(t.cache()))
    if (e.is_directory())
      return e.path().string();
  return "";
}

void write_script(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all);
}

} // namespace

TEST_CASE("fast path: a .c patch compiles one object and gives make's payload",
          "[livepatch-build][fast-path]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult fast = t.build("01-table-bounds.patch", {"--json", t.dir().file("fast.json")}, "fast");
  INFO(fast.output);
  REQUIRE(fast.status == 0);
  CHECK_THAT(fast.output, Catch::Contains("build path: fast: the patch modifies 1 file(s), all C "
                                          "sources, headers or assembly listed by the original "
                                          "build's dependency records: 1 object(s) to compile"));
  CHECK_THAT(fast.output, Catch::Contains("Compile 1 object(s) with 2 CPU(s)"));
  std::string json = read_text(t.dir().file("fast.json"));
  CHECK_THAT(json, Catch::Contains("\"build_path\": {\"path\": \"fast\", \"reason\": \"the patch "
                                   "modifies 1 file(s)"));
  CHECK_THAT(json, Catch::Contains("\"rebuilt\": [\"xen/common/table.o\"]"));
  CHECK_THAT(read_text(t.out("fast") + "/build_patched_compile.log"),
             Catch::Contains("  FAST    xen/common/table.o\n"));
  CHECK(fs::exists(t.out("fast") + "/patched/xen/common/table.o.compile"));
  CHECK(t.snapshot() == before);

  RunResult make = t.build("01-table-bounds.patch",
                           {"--no-fast-path", "--json", t.dir().file("make.json")}, "make");
  INFO(make.output);
  REQUIRE(make.status == 0);
  CHECK_THAT(read_text(t.dir().file("make.json")),
             Catch::Contains("\"build_path\": {\"path\": \"make\", \"reason\": \"--no-fast-path "
                             "given\""));
  CHECK(lp::test::file_bytes(t.out("fast") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("make") + "/01-table-bounds.livepatch"));
  CHECK(t.snapshot() == before);

  RunResult again = t.build("01-table-bounds.patch", {}, "again");
  REQUIRE(again.status == 0);
  CHECK(lp::test::file_bytes(t.out("fast") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("again") + "/01-table-bounds.livepatch"));
}

TEST_CASE("fast path: a header patch compiles every object that includes it",
          "[livepatch-build][fast-path]") {
  MiniTree t;
  RunResult r = t.build("09-header-layout.patch", {"--json", t.dir().file("r.json")});
  INFO(r.output);
  CHECK(r.status == 2); // the layout change is refused, as with make
  CHECK_THAT(read_text(t.dir().file("r.json")),
             Catch::Contains("\"rebuilt\": [\"xen/arch/x86/domain.o\", \"xen/arch/x86/mm.o\"]"));
  CHECK_THAT(r.output, Catch::Contains("build path: fast: "));
}

TEST_CASE("fast path: a new file falls back to make and says why", "[livepatch-build][fast-path]") {
  MiniTree t;
  RunResult r = t.build("05-new-folder.patch", {"--json", t.dir().file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("build path: make: the patch adds xen/common/extra/Makefile"));
  CHECK_THAT(read_text(t.dir().file("r.json")),
             Catch::Contains("\"build_path\": {\"path\": \"make\", \"reason\": \"the patch adds "
                             "xen/common/extra/Makefile\""));
}

TEST_CASE("fast path: --check-fast-path on every minitree patch", "[livepatch-build][fast-path]") {
  MiniTree t;
  auto before = t.snapshot();
  // Exit status with make alone -> the patches of tests/fixtures/minitree/patches.
  const std::vector<std::pair<std::string, int>> patches = {
      {"01-table-bounds.patch", 0},  {"02-comment-only.patch", 3}, {"03-build-error.patch", 5},
      {"04-data-change.patch", 2},   {"05-new-folder.patch", 0},   {"07-extra-version.patch", 0},
      {"08-static-helper.patch", 0}, {"09-build-date.patch", 0},   {"09-header-layout.patch", 2}};
  int compared = 0;
  for (const auto &[patch, status] : patches) {
    std::string name = patch.substr(0, patch.size() - 6);
    RunResult r = t.build(patch, {"--check-fast-path", "--json", t.dir().file(name + ".json")}, name);
    INFO(patch << "\n" << r.output);
    CHECK(r.status == status);
    std::string json = read_text(t.dir().file(name + ".json"));
    CHECK_THAT(json, Catch::Contains("\"build_path\": {\"path\": \"make\", \"reason\": "
                                     "\"--check-fast-path: "));
    if (r.output.find("byte for byte") != std::string::npos) {
      compared++;
      CHECK_THAT(json, Catch::Contains("\"check\": \"identical: "));
    }
  }
  // 03 fails in make, 05 adds files: the others were compared.
  CHECK(compared == 7);
  CHECK(t.snapshot() == before);
}

TEST_CASE("fast path: --check-fast-path fails when the recorded command no longer builds what "
          "make builds",
          "[livepatch-build][fast-path]") {
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {"-k", "diff"}, "first").status == 0);
  // The record of table.o now compiles at -O0: the fast path rebuilds the
  // same object with other bytes, which the check must see.
  std::string record = cache_entry(t) + "/records/xen/common/table.o.compile";
  std::string text = read_text(record);
  auto at = text.find("arg -O2\n");
  REQUIRE(at != std::string::npos);
  text.replace(at, 8, "arg -O0\n");
  std::ofstream(record) << text;
  RunResult r = t.build("01-table-bounds.patch", {"--check-fast-path", "--json",
                                                  t.dir().file("r.json")});
  INFO(r.output);
  CHECK(r.status == 8);
  CHECK_THAT(r.output, Catch::Contains("xen/common/table.o: different bytes (make "));
  CHECK_THAT(r.output, Catch::Contains("ERROR: the fast path is not equivalent to make for this "
                                       "patch: 1 difference(s) in the rebuilt objects."));
  CHECK_THAT(read_text(t.dir().file("r.json")), Catch::Contains("\"check\": \"differs\""));
  CHECK(!fs::exists(t.out() + "/01-table-bounds.livepatch"));
}

TEST_CASE("fast path: SIGKILL or SIGTERM while it compiles leaves nothing behind",
          "[livepatch-build][fast-path][killed]") {
  MiniTree t;
  // A gcc on PATH that, in a capturing compile (the patched build) of a run
  // with LP_TEST_GATE set, says so on fd 3 and blocks; every other command
  // is the real gcc. Every run has it on PATH: PATH is part of what the
  // original build's records were made with.
  std::string bin = t.dir().file("bin");
  fs::create_directories(bin);
  write_script(bin + "/gcc", "#!/bin/sh\n"
                             "if [ -n \"$LIVEPATCH_CAPTURE_DIR\" ] && [ -n \"$LP_TEST_GATE\" ]; then "
                             "echo \"gcc $$\" >&3; exec sleep 100000; fi\n"
                             "exec /usr/bin/gcc \"$@\"\n");
  std::string path = bin + ":" + std::getenv("PATH");
  std::string tmp = t.dir().file("tmp");
  fs::create_directories(tmp);
  auto argv = [&](const std::string &out, const std::string &cache) {
    return std::vector<std::string>{lp::test::tool_path("livepatch-build"), "-s", t.src(), "-p",
                                    MiniTree::patch("08-static-helper.patch"), "-c", t.config(),
                                    "-o", t.out(out), "--depends", lp::test::kDepends,
                                    "--cache-dir", cache, "-j", "2"};
  };
  {
    ControlledRun first(argv("first", t.cache()), {{"PATH", path}}, t.dir().file("first.log"));
    REQUIRE(first.wait_exit() == 0);
  }
  int expected = 0;
  {
    ControlledRun run(argv("killed", t.cache()),
                      {{"LP_TEST_GATE", "1"}, {"TMPDIR", tmp}, {"PATH", path}},
                      t.dir().file("killed.log"));
    INFO(read_text(t.dir().file("killed.log")));
    REQUIRE(run.wait_for("gcc"));
    SECTION("SIGKILL to the process group") {
      run.signal_group(SIGKILL);
      expected = 128 + SIGKILL;
    }
    SECTION("SIGTERM to livepatch-build") {
      run.signal_tool(SIGTERM);
      expected = 130;
    }
    CHECK(run.wait_exit() == expected);
    CHECK(run.wait_all_gone());
  }
  CHECK(fs::is_empty(tmp));
  CHECK(!fs::exists(t.out("killed") + "/08-static-helper.livepatch"));
  {
    ControlledRun next(argv("next", t.cache()), {{"PATH", path}}, t.dir().file("next.log"));
    REQUIRE(next.wait_exit() == 0);
  }
  std::string next_log = read_text(t.dir().file("next.log"));
  INFO(next_log);
  CHECK_THAT(next_log, Catch::Contains("the build copy was left patched by run"));
  CHECK_THAT(next_log, Catch::Contains("build path: fast: "));
  {
    ControlledRun fresh(argv("fresh", t.dir().file("fresh-cache")), {{"PATH", path}},
                        t.dir().file("fresh.log"));
    REQUIRE(fresh.wait_exit() == 0);
  }
  CHECK(lp::test::file_bytes(t.out("next") + "/08-static-helper.livepatch") ==
        lp::test::file_bytes(t.out("fresh") + "/08-static-helper.livepatch"));
}
