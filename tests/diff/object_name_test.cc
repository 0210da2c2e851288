// How create-diff-object names the object in its log lines: by its path
// below xen/ (Xen's own way of naming things), because two changed objects
// of one patch can share a basename (arch/x86/hvm/dm.o, ...).
#include "scenario.h"

#include "diff/create_diff_object.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

using namespace lp::test;
using namespace lp::test::diff;
namespace fs = std::filesystem;

namespace {

// The verdict lines of create-diff-object's output (not the struct sizes echo).
std::string changed_lines(const std::string &output) {
  std::string out;
  size_t at = 0;
  while (at < output.size()) {
    size_t end = output.find('\n', at);
    std::string line = output.substr(at, end == std::string::npos ? end : end - at);
    if (line.find("changed function") != std::string::npos)
      out += line + "\n";
    at = end == std::string::npos ? output.size() : end + 1;
  }
  return out;
}

} // namespace

TEST_CASE("object name: the path below xen/ when the path shows one, else as given",
          "[diff][cli][name]") {
  using lp::diff::object_log_name;
  CHECK(object_log_name("/o/original/xen/arch/x86/hvm/dm.o") == "arch/x86/hvm/dm.o");
  CHECK(object_log_name("xen/common/sched/core.o") == "common/sched/core.o");
  // A folder called xen above the tree is not Xen's xen/.
  CHECK(object_log_name("/home/xen/build/xen/drivers/passthrough/iommu.o") ==
        "drivers/passthrough/iommu.o");
  // Xen's own arch/x86/guest/xen/ folder is below xen/, not xen/ itself.
  CHECK(object_log_name("/b/xen/arch/x86/guest/xen/xen.o") == "arch/x86/guest/xen/xen.o");
  CHECK(object_log_name("o/dm.o") == "o/dm.o");
  CHECK(object_log_name("dm.o") == "dm.o");
}

TEST_CASE("object name: log lines of two same-named objects tell them apart",
          "[diff][cli][name]") {
  TempDir dir;
  const char *src = "__attribute__((noinline)) int f(int x) { return x * 3 + 1; }\n";
  std::string patched = std::string(src).replace(std::string(src).find("x * 3"), 5, "x * 4");
  Pair p;
  p.sources = {{"dm", src, patched}};
  Outcome o = run_pair(dir, p);
  REQUIRE(o.status() == 0);
  for (const std::string folder : {"hvm", "mm"}) {
    fs::create_directories(dir.file("orig/xen/arch/x86/" + folder));
    fs::copy_file(dir.file("o/dm.o"), dir.file("orig/xen/arch/x86/" + folder + "/dm.o"));
  }
  RunResult hvm = run({tool_path("create-diff-object"), dir.file("orig/xen/arch/x86/hvm/dm.o"),
                       dir.file("p/dm.o"), o.xen_syms, dir.file("hvm.o")});
  RunResult mm = run({tool_path("create-diff-object"), dir.file("orig/xen/arch/x86/mm/dm.o"),
                      dir.file("p/dm.o"), o.xen_syms, dir.file("mm.o")});
  CHECK(hvm.status == 0);
  // Every line carries the name, not only the verdicts.
  CHECK(!hvm.output.empty());
  std::istringstream lines(hvm.output);
  for (std::string line; std::getline(lines, line);)
    CHECK(line.starts_with("arch/x86/hvm/dm.o: "));
  CHECK(mm.status == 0);
  CHECK(changed_lines(hvm.output) == "arch/x86/hvm/dm.o: changed function: f\n");
  CHECK(changed_lines(mm.output) == "arch/x86/mm/dm.o: changed function: f\n");
  // livepatch-build passes the name; standalone users may too.
  RunResult named = run({tool_path("create-diff-object"), "--object-name", "arch/x86/dm.o",
                         dir.file("o/dm.o"), dir.file("p/dm.o"), o.xen_syms, dir.file("n.o")});
  CHECK(changed_lines(named.output) == "arch/x86/dm.o: changed function: f\n");
  // Not recognisable: the path as given.
  RunResult plain = run({tool_path("create-diff-object"), dir.file("o/dm.o"), dir.file("p/dm.o"),
                         o.xen_syms, dir.file("plain.o")});
  CHECK(changed_lines(plain.output) == dir.file("o/dm.o") + ": changed function: f\n");
}
