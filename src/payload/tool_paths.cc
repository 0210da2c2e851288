// Helper program discovery (see tool_paths.h).
#include "payload/tool_paths.h"

#include <filesystem>
#include <unistd.h>
#include <vector>

#ifndef LP_LIBEXEC_SUBDIR
#define LP_LIBEXEC_SUBDIR "libexec/livepatch-build-tools"
#endif

namespace lp::payload {
namespace fs = std::filesystem;

std::string self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path().string() : exe.parent_path().string();
}

namespace {

// The CMake build tree the running program belongs to: the nearest folder at
// most three levels above it that holds CMakeCache.txt, or "" (an installed
// program). Found at run time rather than compiled in, so the binaries carry
// no build path and a package is the same whatever folder it was built in.
fs::path build_tree_of(const fs::path &self) {
  std::error_code ec;
  fs::path dir = self;
  for (int up = 0; up <= 3 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::is_regular_file(dir / "CMakeCache.txt", ec))
      return dir;
    if (dir == dir.root_path())
      break;
  }
  return {};
}

} // namespace

std::optional<std::string> find_tool(const std::string &name) {
  std::string self = self_dir();
  std::vector<fs::path> dirs = {self, fs::path(self) / ".." / LP_LIBEXEC_SUBDIR};
  if (fs::path tree = build_tree_of(self); !tree.empty())
    for (const char *sub : {"src/payload", "src/diff", "hypervisor/check", "src/sign"})
      dirs.push_back(tree / sub);
  for (const fs::path &d : dirs) {
    fs::path p = (d / name).lexically_normal();
    if (access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p))
      return p.string();
  }
  return std::nullopt;
}

} // namespace lp::payload
