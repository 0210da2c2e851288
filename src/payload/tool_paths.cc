// Helper program discovery (see tool_paths.h).
#include "payload/tool_paths.h"

#include <filesystem>
#include <unistd.h>
#include <vector>

#ifndef LP_BUILD_TREE
#define LP_BUILD_TREE ""
#endif
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

std::optional<std::string> find_tool(const std::string &name) {
  std::string self = self_dir();
  std::vector<fs::path> dirs = {self, fs::path(self) / ".." / LP_LIBEXEC_SUBDIR};
  std::string tree = LP_BUILD_TREE;
  if (!tree.empty())
    for (const char *sub : {"src/payload", "src/diff", "hypervisor/check", "src/sign"})
      dirs.push_back(fs::path(tree) / sub);
  for (const fs::path &d : dirs) {
    fs::path p = (d / name).lexically_normal();
    if (access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p))
      return p.string();
  }
  return std::nullopt;
}

} // namespace lp::payload
