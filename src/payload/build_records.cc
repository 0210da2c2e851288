// Loading the original build's records (see build_records.h).
#include "payload/build_records.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "payload/compiler_wrapper.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string_view>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

bool is_object(const std::string &path) { return path.ends_with(".o") && !is_ignored_object(path); }

std::string basename_of(const std::string &p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

void add_record(BuildRecords &r, const std::string &file, CompileRecord rec) {
  std::string key = rec.object;
  auto &users = is_object(key) ? r.object_users : r.generated_users;
  for (const std::string &dep : rec.deps) // the source comes first in gcc's list
    users[dep].push_back(key);
  if (is_object(key)) {
    r.written[key] = fs::last_write_time(file);
    r.objects[key] = std::move(rec);
  } else {
    r.generated[key] = std::move(rec);
  }
}

void load_inputs(BuildRecords &r, const std::string &path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string output, input;
    if (!(words >> output))
      continue;
    while (words >> input)
      r.readers[input].push_back(output);
  }
}

} // namespace

BuildRecords load_build_records(const std::string &records_dir, const std::string &build_root) {
  BuildRecords r;
  std::error_code ec;
  if (!fs::is_directory(records_dir, ec))
    return r;
  r.present = true;
  for (auto it = fs::recursive_directory_iterator(records_dir);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file() || it->path().extension() != ".compile")
      continue;
    std::string file = it->path().string();
    std::string error;
    auto rec = parse_compile_record(lp::read_file(file), build_root, error);
    if (!rec) {
      r.unreadable.push_back(file + ": " + error);
      continue;
    }
    add_record(r, file, std::move(*rec));
  }
  load_inputs(r, records_dir + "/inputs");
  if (fs::exists(records_dir + "/environment", ec)) {
    r.has_environment = true;
    r.environment = parse_environment(lp::read_file(records_dir + "/environment"));
  }
  std::ifstream untraced(records_dir + "/untraced");
  for (std::string line; std::getline(untraced, line);)
    if (!line.empty())
      r.untraced.push_back(line);
  return r;
}

bool is_link_output(const std::string &output) {
  // An image and its stages: xen-syms, .xen-syms.0, xen.efi, .xen.efi.1r.o.
  static const std::array<std::string_view, 4> names = {"xen-syms", "xen.efi", ".xen-syms.",
                                                        ".xen.efi."};
  std::string base = basename_of(output);
  if (output.ends_with(".o"))
    return true;
  return base == names[0] || base == names[1] || base.starts_with(names[2]) ||
         base.starts_with(names[3]);
}

} // namespace lp::payload
