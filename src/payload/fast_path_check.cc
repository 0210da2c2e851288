// Comparing the captures of make and of the fast path (see fast_path_check.h).
#include "payload/fast_path_check.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "payload/object_capture.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <set>

namespace lp::payload {
namespace fs = std::filesystem;

std::vector<std::string> compared_objects(const std::string &capture_dir,
                                          const std::vector<std::string> &patched_files) {
  std::vector<std::string> sorted = patched_files;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(capture_dir, ec))
    return out;
  for (const std::string &obj : captured_objects(capture_dir))
    if (!is_compile_h_object(obj) || patch_touches_source(obj, sorted))
      out.push_back(obj);
  return out;
}

std::vector<std::string> compare_captures(const std::string &make_dir, const std::string &fast_dir,
                                          const std::vector<std::string> &patched_files) {
  std::vector<std::string> made = compared_objects(make_dir, patched_files);
  std::vector<std::string> fast = compared_objects(fast_dir, patched_files);
  std::set<std::string> fast_set(fast.begin(), fast.end());
  std::set<std::string> made_set(made.begin(), made.end());
  std::vector<std::string> out;
  for (const std::string &obj : made)
    if (!fast_set.contains(obj))
      out.push_back(obj + ": rebuilt by make, not by the fast path");
  for (const std::string &obj : fast)
    if (!made_set.contains(obj))
      out.push_back(obj + ": rebuilt by the fast path, not by make");
  for (const std::string &obj : made) {
    if (!fast_set.contains(obj))
      continue;
    std::string a = lp::read_file(make_dir + "/" + obj);
    std::string b = lp::read_file(fast_dir + "/" + obj);
    if (a != b)
      out.push_back(fmt::format("{}: different bytes (make {} bytes, fast path {} bytes)", obj,
                                a.size(), b.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace lp::payload
