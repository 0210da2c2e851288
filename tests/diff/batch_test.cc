// create-diff-object --batch: every job ends exactly as the one-pair command
// with the same arguments would (exit status, printed text, output object
// and JSON report byte for byte), whatever the number of threads; records
// come in job order; a bad job file is one line and exit 1.
#include "scenario.h"

#include "diff/batch.h"
#include "elf/atomic_file.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace lp::test;
using namespace lp::test::diff;
namespace fs = std::filesystem;

namespace {

constexpr const char *kSrc = R"(
__attribute__((noinline)) int f(int x) { return x * 3 + 1; }
__attribute__((noinline)) int g(int x) { return x - 7; }
int limit = 5;
__attribute__((noinline)) int h(void) { return limit; }
)";

std::string changed(std::string s, const std::string &from, const std::string &to) {
  return s.replace(s.find(from), from.size(), to);
}

// The job's arguments escaped for the job file (batch.h).
std::string job_line(const std::vector<std::string> &args) {
  std::string line;
  for (size_t i = 0; i < args.size(); ++i) {
    line += i ? "\t" : "";
    for (char c : args[i])
      line += c == '\t' ? std::string("\\t") : c == '\\' ? std::string("\\\\") : std::string(1, c);
  }
  return line + "\n";
}

std::string bytes_or_none(const std::string &path) {
  return fs::exists(path) ? lp::read_file(path) : std::string("<none>");
}

} // namespace

TEST_CASE("batch: each job's status, text, object and JSON are the one-pair run's", "[diff][batch]") {
  TempDir a, b, c;
  Pair changed_pair;
  changed_pair.sources = {{"x", kSrc, changed(kSrc, "x * 3", "x * 4")}};
  Outcome ok = run_pair(a, changed_pair);
  REQUIRE(ok.status() == 0);
  Pair refused_pair;
  refused_pair.sources = {{"x", kSrc, changed(kSrc, "limit = 5", "limit = 7")}};
  Outcome refused = run_pair(b, refused_pair);
  REQUIRE(refused.status() == 2);
  std::string garbage = c.write("bad.o", "\x7f" "ELF garbage");
  // A path with a tab goes through the job file's escapes.
  std::string tabbed = c.file("we\tird.o");
  fs::copy_file(a.file("o/x.o"), tabbed);

  const std::string xen = ok.xen_syms;
  std::vector<std::vector<std::string>> jobs = {
      {"--json", c.file("0.json"), a.file("o/x.o"), a.file("p/x.o"), xen, c.file("0.o")},
      {"--explain", "--object-name", "common/x.o", b.file("o/x.o"), b.file("p/x.o"),
       refused.xen_syms, c.file("1.o")},
      {"--json", c.file("2.json"), tabbed, tabbed, xen, c.file("2.o")},
      {garbage, a.file("p/x.o"), xen, c.file("3.o")},
      {"only-one-arg"},
      {"-d", a.file("o/x.o"), a.file("p/x.o"), c.file("missing-xen-syms"), c.file("5.o")},
      {"-r", "--xen-version", "4.20", a.file("o/x.o"), a.file("p/x.o"), xen, c.file("6.o")},
  };
  const std::vector<int> want_status = {0, 2, 3, 1, 1, 1, 0};

  // One process per job first; its files are moved aside.
  std::string want;
  std::vector<std::string> one_files;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::vector<std::string> argv = {tool_path("create-diff-object")};
    argv.insert(argv.end(), jobs[i].begin(), jobs[i].end());
    RunResult r = run(argv);
    INFO("job " << i << ": " << r.output);
    CHECK(r.status == want_status[i]);
    want += lp::diff::batch_record_header(i, r.status, r.output.size()) + r.output;
    for (const char *ext : {".o", ".json"}) {
      std::string f = c.file(std::to_string(i) + ext);
      one_files.push_back(bytes_or_none(f));
      fs::remove(f);
    }
  }
  std::string jobs_file;
  for (const auto &j : jobs)
    jobs_file += job_line(j);
  std::string path = c.write("jobs", jobs_file);

  for (const char *threads : {"1", "3"}) {
    RunResult batch = run({tool_path("create-diff-object"), "--batch", path, "-j", threads});
    INFO("-j " << threads);
    CHECK(batch.status == 0);
    CHECK(batch.output == want);
    size_t k = 0;
    for (size_t i = 0; i < jobs.size(); ++i)
      for (const char *ext : {".o", ".json"}) {
        std::string f = c.file(std::to_string(i) + ext);
        INFO(f);
        CHECK(bytes_or_none(f) == one_files[k++]);
        fs::remove(f);
      }
  }
  CHECK(one_files[0] != "<none>"); // the changed pair wrote its object
}

TEST_CASE("batch: a bad job file is one line and exit 1", "[diff][batch]") {
  TempDir dir;
  RunResult missing = run({tool_path("create-diff-object"), "--batch", dir.file("nope")});
  CHECK(missing.status == 1);
  CHECK(missing.output == dir.file("nope") + ": No such file or directory\n");
  std::string bad = dir.write("jobs", "a\tb\n\\q\n");
  RunResult escape = run({tool_path("create-diff-object"), "--batch", bad});
  CHECK(escape.status == 1);
  CHECK(escape.output == bad + ": line 2: a backslash must be followed by t, n or \\\n");
  RunResult empty = run({tool_path("create-diff-object"), "--batch", dir.write("none", "")});
  CHECK(empty.status == 0);
  CHECK(empty.output.empty());
}
