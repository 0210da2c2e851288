// livepatch-build diffs all changed objects of a payload in one
// `create-diff-object --batch` process (-j 2: two objects at a time in
// threads); its output must be what one create-diff-object process per object
// would give. For every example patch of the in-tree hypervisor
// (tests/fixtures/patches; 05 on a tree holding 02), built warm on the test
// image's tree, each job of <out>/create-diff-object.jobs is run again as a
// one-pair command into a folder of its own, and the test compares: the
// object it writes, byte for byte, with the one the batch wrote into the
// payload's output folder (or both absent), and create-diff-object.log with
// the one-pair runs' text under livepatch-build's per-object headers.
#include "support/fixture.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using lp::test::RunResult;

namespace {

// One line of a job file: arguments at tabs, \t \n \\ unescaped (batch.h).
std::vector<std::string> job_args(const std::string &line) {
  std::vector<std::string> args(1);
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\t') {
      args.emplace_back();
    } else if (line[i] == '\\' && i + 1 < line.size()) {
      char c = line[++i];
      args.back() += c == 't' ? '\t' : c == 'n' ? '\n' : c;
    } else {
      args.back() += line[i];
    }
  }
  return args;
}

std::vector<std::vector<std::string>> read_jobs(const std::string &path) {
  std::vector<std::vector<std::string>> jobs;
  std::string text = lp::test::read_text(path);
  for (size_t at = 0, end; at < text.size(); at = end + 1) {
    end = std::min(text.find('\n', at), text.size());
    if (end > at)
      jobs.push_back(job_args(text.substr(at, end - at)));
  }
  return jobs;
}

std::string bytes_or_none(const std::string &path) {
  return fs::exists(path) ? lp::test::read_text(path) : std::string("<none>");
}

std::vector<std::string> example_patches() {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(LP_SOURCE_DIR "/tests/fixtures/patches"))
    if (e.path().extension() == ".patch")
      names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Refused by design (fixtures/patches/README.md): initialised data, and a
// struct layout change without the author's declaration.
int expected_status(const std::string &patch) {
  return patch.starts_with("06-") || patch.starts_with("08-") ? 2 : 0;
}

} // namespace

TEST_CASE("batch: livepatch-build's diff of every example patch is byte-identical to one-pair "
          "create-diff-object runs",
          "[batch][e2e][livepatch-build]") {
  const std::string image = MINIXEN_IMAGE_DIR; // .../image/xen
  const std::string root = fs::path(image).parent_path().string();
  const std::string xen_syms = image + "/xen-syms";
  const std::string xen_id = lp::test::build_id_of(xen_syms);
  // The examples include <livepatch/livepatch.h> (fixtures/patches/README.md).
  ::setenv("LIVEPATCH_INCLUDE", LP_SOURCE_DIR "/include", 1);
  lp::test::TempDir dir;
  const std::string with_02 = dir.file("tree-with-02");
  REQUIRE(lp::test::run({"cp", "-a", root, with_02}).status == 0);
  REQUIRE(lp::test::run_shell("patch -s -d " + with_02 + " -p1 < " LP_SOURCE_DIR
                              "/tests/fixtures/patches/02-table-bounds-xsa.patch")
              .status == 0);
  const std::vector<std::string> patches = example_patches();
  REQUIRE(patches.size() >= 9);
  size_t objects = 0, written = 0;
  for (const std::string &patch : patches) {
    const std::string out = dir.file(patch);
    RunResult build = lp::test::run(
        {lp::test::tool_path("livepatch-build"), "-s", patch.starts_with("05-") ? with_02 : root,
         "-p", LP_SOURCE_DIR "/tests/fixtures/patches/" + patch + ".patch", "-c",
         image + "/.config", "-o", out, "--xen-syms", xen_syms, "--depends", xen_id, "-j", "2",
         "--cache-dir", root + "/../livepatch-build-cache"});
    INFO(patch << ":\n" << build.output);
    REQUIRE(build.status == expected_status(patch));
    const auto jobs = read_jobs(out + "/create-diff-object.jobs");
    REQUIRE(!jobs.empty());
    std::string want_log;
    for (size_t i = 0; i < jobs.size(); ++i) {
      const auto &args = jobs[i];
      REQUIRE(args.size() >= 4);
      const std::string original = args[args.size() - 4];
      const std::string prefix = out + "/original/";
      REQUIRE(original.starts_with(prefix));
      std::vector<std::string> argv = {lp::test::tool_path("create-diff-object")};
      argv.insert(argv.end(), args.begin(), args.end() - 1);
      const std::string one = dir.file(patch + "-job" + std::to_string(i) + ".o");
      argv.push_back(one);
      RunResult r = lp::test::run(argv);
      INFO("job " << i << ": " << original.substr(prefix.size()) << "\n" << r.output);
      CHECK(bytes_or_none(one) == bytes_or_none(args.back()));
      written += fs::exists(one);
      ++objects;
      want_log += "Run create-diff-object on " + original.substr(prefix.size()) + "\n" + r.output;
      if (!r.output.empty() && r.output.back() != '\n')
        want_log += "\n";
    }
    CHECK(lp::test::read_text(out + "/create-diff-object.log") == want_log);
  }
  CHECK(written >= patches.size() - 2); // every payload's objects were compared, not only absences
  CHECK(objects >= written);
}
