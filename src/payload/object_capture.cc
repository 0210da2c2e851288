// Narrowing captured objects to the ones worth diffing (see object_capture.h).
#include "payload/object_capture.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

bool same_bytes(const std::string &a, const std::string &b) {
  std::error_code ec;
  if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec)
    return false;
  return lp::read_file(a) == lp::read_file(b);
}

std::string stem_path(const std::string &object) {
  return object.substr(0, object.size() - 2); // drop ".o"
}

} // namespace

std::vector<std::string> captured_objects(const std::string &capture_dir) {
  std::set<std::string> objs;
  std::ifstream list(capture_dir + "/changed_objs");
  std::string line;
  while (std::getline(list, line))
    if (!line.empty() && fs::exists(capture_dir + "/" + line))
      objs.insert(line);
  for (auto it = fs::recursive_directory_iterator(capture_dir);
       it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && it->path().extension() == ".o")
      objs.insert(it->path().lexically_relative(capture_dir).string());
  return {objs.begin(), objs.end()};
}

bool is_compile_h_object(const std::string &object) {
  static const std::array<const char *, 2> suffixes = {"common/version.o", "efi/boot.o"};
  for (const char *s : suffixes)
    if (object == s || object.ends_with(std::string("/") + s))
      return true;
  return false;
}

bool patch_touches_source(const std::string &object, const std::vector<std::string> &patched) {
  std::string stem = stem_path(object);
  for (const char *ext : {".c", ".S"})
    if (std::binary_search(patched.begin(), patched.end(), stem + ext))
      return true;
  return false;
}

ObjectPlan plan_objects(const std::string &patched_dir, const std::string &original_dir,
                        const std::vector<std::string> &patched_files) {
  ObjectPlan plan;
  std::vector<std::string> sorted_patched = patched_files;
  std::sort(sorted_patched.begin(), sorted_patched.end());
  plan.rebuilt = captured_objects(patched_dir);
  for (const std::string &obj : plan.rebuilt) {
    std::string orig = original_dir + "/" + obj;
    if (!fs::exists(orig))
      plan.new_objects.push_back(obj);
    else if (is_compile_h_object(obj) && !patch_touches_source(obj, sorted_patched))
      plan.compile_h_only.push_back(obj);
    else if (same_bytes(orig, patched_dir + "/" + obj))
      plan.identical.push_back(obj);
    else
      plan.changed.push_back(obj);
  }
  return plan;
}

void collect_originals(const std::vector<std::string> &objects, const std::string &pristine_root,
                       const std::string &original_dir) {
  std::string list;
  fs::create_directories(original_dir);
  for (const std::string &obj : objects) {
    fs::path src = fs::path(pristine_root) / obj;
    if (!fs::exists(src))
      continue;
    fs::path dst = fs::path(original_dir) / obj;
    fs::create_directories(dst.parent_path());
    lp::copy_file_atomically(src.string(), dst.string());
    list += obj + "\n";
  }
  lp::write_file_atomically(original_dir + "/changed_objs",
                            std::span(reinterpret_cast<const uint8_t *>(list.data()), list.size()));
}

} // namespace lp::payload
