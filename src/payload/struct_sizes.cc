// Special-section entry sizes from DWARF or a version table (see struct_sizes.h).
//
// The DWARF lookup (elf/dwarf.h) takes the first complete structure type with
// the wanted name, skipping declarations, which avoids upstream's "first
// DW_AT_byte_size after the name" text scan that picked up a pointer's size
// after a declaration-only DIE (problem 14).
#include "payload/struct_sizes.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include "elf/dwarf.h"
#include "elf/xen_versions.h"

#include <fmt/format.h>
#include <sstream>

namespace lp::payload {
namespace {

const std::map<std::string, std::string> kStructForKey = {
    {"alt_instr", "alt_instr"},
    {"bug_frame", "bug_frame"},
    {"exception_table_entry", "exception_table_entry"},
    {"alt_call", "alt_call"},
};

void check_range(const std::string &file, const StructSizes &sizes) {
  for (const auto &[key, size] : sizes)
    if (size < 1 || size > 16)
      throw FileError(file, fmt::format("invalid special struct size {} for {}", size, key));
}

} // namespace

StructSizes struct_sizes_from_dwarf(const std::string &xen_syms) {
  StructSizes found;
  std::vector<std::string_view> names;
  for (const auto &entry : kStructForKey)
    names.push_back(entry.second);
  std::vector<std::optional<uint64_t>> sizes = elf::dwarf_struct_byte_sizes(xen_syms, names);
  size_t i = 0;
  for (const auto &entry : kStructForKey)
    if (const std::optional<uint64_t> &size = sizes[i++])
      found[entry.first] = *size;
  check_range(xen_syms, found);
  return found;
}

StructSizes struct_sizes_for_version(int major, int minor) {
  const elf::XenRelease *r = elf::xen_release({major, minor});
  const elf::XenEntrySizes &t = (r ? *r : elf::default_xen_release()).sizes;
  StructSizes s = {
      {"alt_instr", t.alt_instr},
      {"bug_frame", t.bug_frame},
      {"exception_table_entry", t.exception_table_entry},
  };
  if (t.alt_call)
    s["alt_call"] = t.alt_call;
  return s;
}

StructSizes detect_struct_sizes(const std::string &xen_syms, int major, int minor,
                                std::string &source) {
  StructSizes dwarf = struct_sizes_from_dwarf(xen_syms);
  StructSizes out = struct_sizes_for_version(major, minor);
  for (const auto &[k, v] : dwarf)
    out[k] = v;
  source = dwarf.empty() ? "table" : dwarf.size() >= out.size() ? "DWARF" : "DWARF+table";
  return out;
}

std::string format_struct_sizes(const StructSizes &sizes) {
  std::string out;
  for (const auto &[k, v] : sizes)
    out += fmt::format("{}={}\n", k, v);
  return out;
}

StructSizes read_struct_sizes(const std::string &path) {
  std::istringstream in(lp::read_file(path));
  StructSizes out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    if (line.empty())
      continue;
    auto eq = line.find('=');
    char *end = nullptr;
    unsigned long v = eq == std::string::npos ? 0 : std::strtoul(line.c_str() + eq + 1, &end, 0);
    if (eq == std::string::npos || !end || *end)
      throw FileError(path, fmt::format("line {}: expected key=value, got '{}'", lineno, line));
    out[line.substr(0, eq)] = v;
  }
  check_range(path, out);
  return out;
}

} // namespace lp::payload
