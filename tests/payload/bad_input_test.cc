// livepatch-build on bad input: each failure has its message, its exit code,
// no payload, and the user's tree is left byte-identical.
#include "controlled_run.h"
#include "minitree.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

using lp::test::MiniTree;
using lp::test::RunResult;
namespace fs = std::filesystem;


namespace {

bool no_payload(const MiniTree &t) {
  if (!fs::exists(t.out()))
    return true;
  for (const auto &e : fs::directory_iterator(t.out()))
    if (e.path().extension() == ".livepatch")
      return false;
  return true;
}

} // namespace

TEST_CASE("bad input: missing options are named in upstream's order", "[livepatch-build][bad]") {
  MiniTree t;
  std::string lb = lp::test::tool_path("livepatch-build");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), lb);
    return lp::test::run(args);
  };
  RunResult none = run({});
  CHECK(none.status == 1);
  CHECK_THAT(none.output, Catch::Contains("ERROR: Xen directory not given."));
  CHECK_THAT(run({"-s", t.dir().file("nope")}).output,
             Catch::Contains("ERROR: Xen directory does not exist."));
  CHECK_THAT(run({"--src", t.src()}).output, Catch::Contains("ERROR: Patchfile not given."));
  RunResult missing = run({"-s", t.src(), "-p", t.dir().file("missing.patch")});
  CHECK(missing.status == 1);
  CHECK_THAT(missing.output, Catch::Contains("ERROR: Patchfile does not exist."));
  auto patch = MiniTree::patch("01-table-bounds.patch");
  CHECK_THAT(run({"-s", t.src(), "-p", patch}).output, Catch::Contains("ERROR: .config not given."));
  CHECK_THAT(run({"-s", t.src(), "-p", patch, "-c", t.config()}).output,
             Catch::Contains("ERROR: Output directory not given."));
  CHECK_THAT(run({"-s", t.src(), "-p", patch, "-c", t.config(), "-o", t.out()}).output,
             Catch::Contains("ERROR: Build-id dependency not given."));
  RunResult bad_opt = run({"--no-such-option"});
  CHECK(bad_opt.status == 1);
  CHECK_THAT(bad_opt.output, Catch::Contains("getopt failed"));
  RunResult help = run({"--help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.output, Catch::Contains("--xen-depends"));
}

TEST_CASE("bad input: patch does not apply", "[livepatch-build][bad]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult r = t.build("06-does-not-apply.patch");
  CHECK(r.status == 4);
  CHECK_THAT(r.output, Catch::Contains("ERROR: Source patch file failed to apply: "
                                       "xen/common/table.c: hunk #1"));
  CHECK(no_payload(t));
  CHECK(t.snapshot() == before);
}

TEST_CASE("bad input: a patch touching only comments is no functional change",
          "[livepatch-build][bad]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult r = t.build("02-comment-only.patch");
  INFO(r.output);
  CHECK(r.status == 3);
  CHECK_THAT(r.output, Catch::Contains("ERROR: no functional changes found."));
  CHECK(no_payload(t));
  CHECK(t.snapshot() == before);
}

TEST_CASE("bad input: a build error shows the compiler's message", "[livepatch-build][bad]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult r = t.build("03-build-error.patch");
  CHECK(r.status == 5);
  CHECK_THAT(r.output, Catch::Contains("common/kernel.c:9:"));
  CHECK_THAT(r.output, Catch::Contains("error: expected expression"));
  CHECK_THAT(r.output, Catch::Contains("ERROR: the patched build failed; see"));
  CHECK(no_payload(t));
  CHECK(t.snapshot() == before);

  // The cache's build copy was patched; the next run restores it and works.
  RunResult next = t.build("01-table-bounds.patch", {}, "out2");
  INFO(next.output);
  CHECK(next.status == 0);
  CHECK_THAT(next.output, Catch::Contains("Restoring the cached original build"));
}

TEST_CASE("bad input: an unsupported data change names the object and reason",
          "[livepatch-build][bad]") {
  MiniTree t;
  RunResult r = t.build("04-data-change.patch", {"--json", t.dir().file("r.json")});
  CHECK(r.status == 2);
  CHECK_THAT(r.output, Catch::Contains("common/table.o: "));
  CHECK_THAT(r.output, Catch::Contains("table_version"));
  CHECK_THAT(r.output, Catch::Contains("unsupported"));
  CHECK(no_payload(t));
  std::ifstream json(t.dir().file("r.json"));
  std::string text((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("\"exit_code\": 2"));
  CHECK_THAT(text, Catch::Contains("table_version"));
}

TEST_CASE("bad input: .config without CONFIG_LIVEPATCH", "[livepatch-build][bad]") {
  MiniTree t;
  t.dir().write("config", "CONFIG_X86_64=y\n# CONFIG_LIVEPATCH is not set\n");
  RunResult r = t.build("01-table-bounds.patch");
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("CONFIG_LIVEPATCH=y not set"));
  CHECK(no_payload(t));
}

TEST_CASE("bad input: output folder already exists", "[livepatch-build][bad]") {
  MiniTree t;
  fs::create_directories(t.out());
  t.dir().write("out/keep", "mine");
  RunResult r = t.build("01-table-bounds.patch");
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("ERROR: Output directory exists."));
  CHECK(fs::exists(t.out() + "/keep"));
  CHECK(no_payload(t));
}

TEST_CASE("bad input: xen-syms missing or unreadable", "[livepatch-build][bad]") {
  MiniTree t;
  RunResult missing = t.build("01-table-bounds.patch", {"--xen-syms", t.dir().file("nope")});
  CHECK(missing.status == 1);
  CHECK_THAT(missing.output, Catch::Contains("ERROR: xen-syms file does not exist."));
  std::string junk = t.dir().write("junk-syms", "this is not ELF");
  RunResult bad = t.build("01-table-bounds.patch", {"--xen-syms", junk});
  CHECK(bad.status == 1);
  CHECK_THAT(bad.output, Catch::Contains(junk + ":"));
  CHECK(no_payload(t));
}

TEST_CASE("bad input: a payload the loader refuses is not a success (exit 6)",
          "[livepatch-build][bad][check]") {
  MiniTree t;
  RunResult r = t.build("01-table-bounds.patch",
                        {"--xen-depends", "0123456789abcdef0123456789abcdef01234567"});
  INFO(r.output);
  CHECK(r.status == 6);
  CHECK_THAT(r.output, Catch::Contains("refused"));
  CHECK_THAT(r.output, Catch::Contains("is not the build-id of"));
  CHECK_THAT(r.output, Catch::Contains("ERROR: the loader check refused the payload"));
  CHECK(no_payload(t));
  CHECK(fs::exists(t.out() + "/01-table-bounds.livepatch.refused"));
}

TEST_CASE("bad input: bad build-id hex", "[livepatch-build][bad]") {
  MiniTree t;
  RunResult r = t.build("01-table-bounds.patch", {"--xen-depends", "xyz1"});
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("--xen-depends: build-id 'xyz1' is not hexadecimal"));
}

TEST_CASE("bad input: SIGINT stops the build, exit 130, tree unchanged, no payload",
          "[livepatch-build][bad][interrupt]") {
  MiniTree t;
  // Make the original build pause, saying so on fd 3 (controlled_run.h), so
  // the signal arrives mid-build; the pause lasts until it is killed.
  std::ofstream(t.src() + "/xen/Makefile", std::ios::app)
      << "\nxen-syms: pause\n.PHONY: pause\npause:\n\t@echo \"paused $$$$\" >&3; exec sleep 100000\n";
  auto before = t.snapshot();
  std::string log = t.dir().file("run.log");
  lp::test::ControlledRun run({lp::test::tool_path("livepatch-build"), "-s", t.src(), "-p",
                               MiniTree::patch("01-table-bounds.patch"), "-c", t.config(), "-o",
                               t.out(), "--depends", lp::test::kDepends, "--cache-dir", t.cache()},
                              {}, log);
  REQUIRE(run.wait_for("paused"));
  run.signal_tool(SIGINT);
  CHECK(run.wait_exit() == 130);
  CHECK(run.wait_all_gone()); // the paused recipe was stopped too
  CHECK(no_payload(t));
  CHECK(t.snapshot() == before);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("ERROR: interrupted."));
}
