// livepatch-build's loader check catches a wrong stacking order at build time:
// it runs Xen's APPLY checks on top of the payloads named with --loaded. The
// in-tree hypervisor's example patch 05-stacked applies on top of 02's fix
// (fixtures/patches/README.md): built with --depends 02's payload and
// --loaded that payload it passes; built claiming to apply directly on Xen
// while 02's payload is loaded below, it is refused (exit 6) with the
// loader's reason; without --loaded the order cannot be checked, and the
// build says so. `livepatch-check --show` says what the right one stacks on.
#include "support/fixture.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using lp::test::RunResult;
using lp::test::build_id_of;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::string read(const std::string &path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string &text, const std::string &prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix))
      out.push_back(line);
  return out;
}

struct Stack {
  std::string image = MINIXEN_IMAGE_DIR; // .../image/xen, built and booted by the QEMU tests
  std::string root = fs::path(image).parent_path().string();
  std::string xen_syms = image + "/xen-syms";
  std::string xen_id = build_id_of(xen_syms);
  lp::test::TempDir dir;

  RunResult build(const std::string &src, const std::string &patch, const std::string &out,
                  std::vector<std::string> extra) const {
    std::vector<std::string> argv = {
        lp::test::tool_path("livepatch-build"), "-s", src, "-p",
        std::string(LP_SOURCE_DIR) + "/tests/fixtures/patches/" + patch + ".patch", "-c",
        image + "/.config", "-o", dir.file(out), "--xen-syms", xen_syms, "--cache-dir",
        root + "/../livepatch-build-cache"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return lp::test::run(argv);
  }
};

} // namespace

TEST_CASE("stacking: the loader check applies 05 on top of --loaded 02, and refuses the wrong order",
          "[stacking][e2e][livepatch-build]") {
  Stack s;
  RunResult fix = s.build(s.root, "02-table-bounds-xsa", "02", {"--depends", s.xen_id});
  INFO(fix.output);
  REQUIRE(fix.status == 0);
  std::string p02 = s.dir.file("02/02-table-bounds-xsa.livepatch");
  CHECK(read(s.dir.file("02/livepatch-check.log")) == p02 + ": would load and apply\n");
  std::string id02 = build_id_of(p02);

  // 05 is written against a tree that already has 02's fix.
  std::string tree = s.dir.file("tree-with-02");
  REQUIRE(lp::test::run({"cp", "-a", s.root, tree}).status == 0);
  REQUIRE(lp::test::run_shell("patch -s -d " + tree + " -p1 < " LP_SOURCE_DIR
                              "/tests/fixtures/patches/02-table-bounds-xsa.patch")
              .status == 0);

  // Right order: 05 depends on 02's payload, which is loaded below it.
  RunResult right = s.build(tree, "05-stacked", "05", {"--depends", id02, "--loaded", p02});
  INFO(right.output);
  REQUIRE(right.status == 0);
  std::string p05 = s.dir.file("05/05-stacked.livepatch");
  CHECK(read(s.dir.file("05/livepatch-check.log")) == p05 + ": would load and apply\n");
  CHECK(right.output.find("note:") == std::string::npos);

  // What the inspector says about it: built for Xen 4.17, on top of 02's payload.
  RunResult shown = lp::test::run(
      {std::string(LP_BINARY_DIR) + "/hypervisor/check/livepatch-check", "--show", p05});
  CHECK(shown.status == 0);
  std::string sha = trim(lp::test::run_shell("sha256sum " LP_SOURCE_DIR
                                             "/tests/fixtures/patches/05-stacked.patch | cut -d' ' -f1")
                             .output);
  for (const std::string &line :
       {std::string("name: 05-stacked"), std::string("xen version: 4.17"),
        "build-id: " + build_id_of(p05), "xen-depends: " + s.xen_id,
        "depends: " + id02 + " (another payload's build-id: applies on top of that payload)",
        std::string("functions: 1"), std::string("metadata: 5"),
        std::string("  name=05-stacked"), "  source_patch_sha256=" + sha,
        "  xen_build_id=" + s.xen_id, std::string("  xen_version=4.17"),
        std::string("signature: none")})
    CHECK(lines_starting(shown.output, line) == std::vector<std::string>{line});
  CHECK(lines_starting(shown.output, "  do_table_lookup: old by name at load, ").size() == 1);
  CHECK(lines_starting(shown.output, "  tool=xen-livepatch-tools ").size() == 1);

  // Wrong order: 05 claims to apply directly on Xen, but 02 is applied below it.
  RunResult wrong = s.build(tree, "05-stacked", "05-on-xen", {"--depends", s.xen_id, "--loaded", p02});
  INFO(wrong.output);
  CHECK(wrong.status == 6);
  std::string p05w = s.dir.file("05-on-xen/05-stacked.livepatch");
  CHECK(lines_starting(wrong.output, p05w) ==
        std::vector<std::string>{p05w + ": refused: EINVAL (-22): check against "
                                        "02-table-bounds-xsa build-id failed"});
  CHECK(lines_starting(wrong.output, "ERROR:") ==
        std::vector<std::string>{"ERROR: the loader check refused the payload (kept as " + p05w +
                                 ".refused)."});
  CHECK_FALSE(fs::exists(p05w));

  // Wrong order among the loaded ones: 05 below 02 cannot be applied at all.
  RunResult swapped = s.build(tree, "05-stacked", "05-swapped",
                              {"--depends", id02, "--loaded", p05, "--loaded", p02});
  INFO(swapped.output);
  CHECK(swapped.status == 6);
  CHECK(lines_starting(swapped.output, p05) ==
        std::vector<std::string>{p05 + ": cannot be loaded as --loaded: refused: EINVAL (-22): "
                                       "check against hypervisor build-id failed"});

  // Without --loaded the stack is unknown: the build says what it did not check.
  RunResult unnamed = s.build(tree, "05-stacked", "05-unnamed", {"--depends", id02});
  INFO(unnamed.output);
  CHECK(unnamed.status == 0);
  CHECK(lines_starting(unnamed.output, "            note: ") ==
        std::vector<std::string>{"            note: --depends " + id02 +
                                 " is not the build-id of " + s.xen_syms +
                                 ": stacking order not checked (name the payloads below this "
                                 "one with --loaded)"});
}
