// livepatch-build killed or interrupted at the worst moments, the way CI
// runners and users stop it: SIGKILL to the job's process group in the
// middle of make, SIGTERM while `ld -r` links, Ctrl-C during the loader
// check. Each test synchronises on what the run does (a line a make recipe or
// a wrapper around a tool writes to fd 3, controlled_run.h), never on time,
// and checks what the next user sees: no process of the dead run still
// running, no payload and no temporary left behind, and a following run that
// succeeds with the same bytes a fresh cache gives.
#include "controlled_run.h"
#include "minitree.h"
#include "payload_fixture.h"

#include "payload/funcs_table.h"
#include "elf/reader.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using lp::test::ControlledRun;
using lp::test::MiniTree;
using lp::test::RunResult;
using lp::test::funcs_names;
using lp::test::read_text;
namespace fs = std::filesystem;

namespace {

// Files below `dir` whose name holds `part`.
std::vector<std::string> files_named(const std::string &dir, const std::string &part) {
  std::vector<std::string> out;
  if (!fs::exists(dir))
    return out;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(part) != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

std::vector<std::string> payloads_in(const std::string &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(dir))
    if (e.path().string().find(".livepatch") != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

std::vector<std::string> build_args(const MiniTree &t, const std::string &tool,
                                    const std::string &out, const std::string &cache,
                                    const std::vector<std::string> &extra = {}) {
  std::vector<std::string> a = {tool, "-s", t.src(), "-p",
                                MiniTree::patch("01-table-bounds.patch"), "-c", t.config(),
                                "-o", out, "--depends", lp::test::kDepends, "--cache-dir",
                                cache, "-j", "2"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void write_script(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all);
}

} // namespace

TEST_CASE("killed: SIGKILL during make leaves no process behind and the next run repairs the "
          "cache entry",
          "[livepatch-build][killed]") {
  MiniTree t;
  // In the patched build only (LIVEPATCH_CAPTURE_DIR is set then), a recipe
  // says where it is and blocks: make and the recipe are running, the cache's
  // build copy is patched, when the test kills the run.
  std::ofstream(t.src() + "/xen/Makefile", std::ios::app)
      << "\nxen-syms: gate\n.PHONY: gate\ngate:\n"
         "\t@if [ -n \"$$LP_TEST_GATE\" ] && [ -n \"$$LIVEPATCH_CAPTURE_DIR\" ]; then "
         "echo \"gate $$$$\" >&3; exec sleep 100000; fi\n";
  std::string tmp = t.dir().file("tmp");
  fs::create_directories(tmp);
  {
    // make, whose recipe holds the gate (fast_path_build_test.cc kills the
    // fast path).
    ControlledRun run(build_args(t, lp::test::tool_path("livepatch-build"), t.out("killed"),
                                 t.cache(), {"--no-fast-path"}),
                      {{"LP_TEST_GATE", "1"}, {"TMPDIR", tmp}}, t.dir().file("killed.log"));
    INFO(read_text(t.dir().file("killed.log")));
    REQUIRE(run.wait_for("gate"));
    SECTION("SIGKILL to the process group, as a CI runner cancels a job") {
      run.signal_group(SIGKILL);
    }
    SECTION("SIGKILL to livepatch-build alone, as the OOM killer or kill -9 <pid> do") {
      run.signal_tool(SIGKILL);
    }
    CHECK(run.wait_exit() == 128 + SIGKILL);
    // End-of-file on fd 3: make, its recipe and everything else the run
    // started are gone, so nothing writes into the cache entry any more.
    CHECK(run.wait_all_gone());
  }
  CHECK(files_named(tmp, "").empty()); // no lp-capture-* or other temporary

  RunResult next = t.build("01-table-bounds.patch", {"--json", t.dir().file("next.json")}, "next");
  INFO(next.output);
  REQUIRE(next.status == 0);
  CHECK_THAT(read_text(t.dir().file("next.json")), Catch::Contains("\"cache\": \"hit\""));
  CHECK_THAT(next.output, Catch::Contains("the build copy was left patched by run"));
  CHECK_THAT(next.output, Catch::Contains("restoring it from " + t.cache()));
  CHECK(funcs_names(t.out("next") + "/01-table-bounds.livepatch") ==
        std::vector<std::string>{"do_table_op"});
  CHECK(files_named(t.cache(), ".tmp.").empty());

  // The same bytes as from a cache that never saw the killed run.
  RunResult fresh = lp::test::run(build_args(t, lp::test::tool_path("livepatch-build"),
                                             t.out("fresh"), t.dir().file("fresh-cache")));
  INFO(fresh.output);
  REQUIRE(fresh.status == 0);
  CHECK(lp::test::file_bytes(t.out("next") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("fresh") + "/01-table-bounds.livepatch"));
}

TEST_CASE("killed: SIGTERM while ld -r links exits 130 with no payload and no temporary",
          "[livepatch-build][killed]") {
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {"-k", "diff"}).status == 0);
  // `ld` on PATH announces an `ld -r` and holds it there until signalled;
  // every other ld command is the real one.
  std::string bin = t.dir().file("bin");
  fs::create_directories(bin);
  write_script(bin + "/ld", "#!/bin/sh\n"
                            "if [ \"$1\" = -r ]; then echo \"ld-r $$\" >&3; exec sleep 100000; fi\n"
                            "exec /usr/bin/ld \"$@\"\n");
  std::string tmp = t.dir().file("tmp");
  fs::create_directories(tmp);
  ControlledRun run(build_args(t, lp::test::tool_path("livepatch-build"), t.out(), t.cache(),
                               {"-k", "build"}),
                    {{"PATH", bin + ":" + std::getenv("PATH")}, {"TMPDIR", tmp}},
                    t.dir().file("run.log"));
  REQUIRE(run.wait_for("ld-r"));
  run.signal_tool(SIGTERM);
  int status = run.wait_exit();
  std::string log = read_text(t.dir().file("run.log"));
  INFO(log);
  CHECK(status == 130);
  CHECK_THAT(log, Catch::Contains("ERROR: interrupted."));
  CHECK_THAT(log, !Catch::Contains("ld -r failed"));
  CHECK(run.wait_all_gone());
  CHECK(payloads_in(t.out()).empty());
  CHECK(files_named(t.out(), ".tmp.").empty());
  CHECK(files_named(tmp, "").empty());
}

TEST_CASE("killed: Ctrl-C during the loader check exits 130 and leaves no unchecked payload",
          "[livepatch-build][killed]") {
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {"-k", "diff"}).status == 0);
  // An installation whose livepatch-check announces itself and waits for the
  // signal before checking (livepatch-build finds its helpers next to itself,
  // and a copy of it outside the build tree only there).
  std::string alt = t.dir().file("alt");
  fs::create_directories(alt);
  fs::copy_file(lp::test::tool_path("livepatch-build"), alt + "/livepatch-build");
  for (const char *tool : {"livepatch-gcc", "create-diff-object"})
    fs::create_symlink(lp::test::tool_path(tool), alt + "/" + tool);
  write_script(alt + "/livepatch-check",
               "#!/bin/sh\necho \"check $$\" >&3\nexec sleep 100000\n");
  ControlledRun run(build_args(t, alt + "/livepatch-build", t.out(), t.cache(), {"-k", "build"}),
                    {}, t.dir().file("run.log"));
  REQUIRE(run.wait_for("check"));
  run.signal_group(SIGINT); // Ctrl-C in the terminal reaches the foreground group
  int status = run.wait_exit();
  std::string log = read_text(t.dir().file("run.log"));
  INFO(log);
  CHECK(status == 130);
  CHECK_THAT(log, Catch::Contains("ERROR: interrupted."));
  CHECK(run.wait_all_gone());
  CHECK(payloads_in(t.out()).empty()); // neither <name>.livepatch nor .refused
  CHECK(files_named(t.out(), ".tmp.").empty());
}

TEST_CASE("killed: a later run removes the temporaries a killed run left and only those",
          "[livepatch-build][killed]") {
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {"-k", "diff"}).status == 0);
  // What SIGKILL in the middle of write_file_atomically leaves: <name>.tmp.<pid>.
  pid_t dead = lp::test::dead_pid();
  std::string left = t.out() + "/xen-syms.tmp." + std::to_string(dead);
  std::string nested = t.out() + "/output/table.o.tmp." + std::to_string(dead);
  std::string live = t.out() + "/notes.tmp." + std::to_string(getpid()); // a running writer
  fs::create_directories(t.out() + "/output");
  for (const auto &f : {left, nested, live})
    std::ofstream(f) << "partial";
  std::string entry;
  for (const auto &e : fs::directory_iterator(t.cache()))
    if (e.is_directory())
      entry = e.path().string();
  REQUIRE(!entry.empty());
  std::string cache_left = entry + "/facts.tmp." + std::to_string(dead);
  std::ofstream(cache_left) << "partial";

  RunResult r = t.build("01-table-bounds.patch", {"-k", "build"});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(!fs::exists(left));
  CHECK(!fs::exists(nested));
  CHECK(fs::exists(live));
  CHECK(fs::exists(cache_left)); // -k build does not lock the cache: left for the next build

  RunResult b = t.build("01-table-bounds.patch", {}, "second");
  INFO(b.output);
  REQUIRE(b.status == 0);
  CHECK(!fs::exists(cache_left));
}
