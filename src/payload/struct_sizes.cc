// Special-section entry sizes from DWARF or a version table (see struct_sizes.h).
//
// The DWARF walk visits every DIE once and keeps the first complete (not
// DW_AT_declaration) structure type with a wanted name and a byte size, which
// avoids upstream's "first DW_AT_byte_size after the name" text scan that
// picked up a pointer's size after a declaration-only DIE (problem 14).
#include "payload/struct_sizes.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sstream>
#include <unistd.h>

namespace lp::payload {
namespace {

const std::map<std::string, std::string> kStructForKey = {
    {"alt_instr", "alt_instr"},
    {"bug_frame", "bug_frame"},
    {"exception_table_entry", "exception_table_entry"},
    {"alt_call", "alt_call"},
};

void visit(Dwarf_Die *die, StructSizes &found) {
  do {
    int tag = dwarf_tag(die);
    if (tag == DW_TAG_structure_type && !dwarf_hasattr(die, DW_AT_declaration)) {
      const char *name = dwarf_diename(die);
      int size = dwarf_bytesize(die);
      if (name && size > 0 && kStructForKey.count(name) && !found.count(name))
        found[name] = static_cast<uint64_t>(size);
    }
    Dwarf_Die child;
    if (dwarf_child(die, &child) == 0)
      visit(&child, found);
  } while (dwarf_siblingof(die, die) == 0);
}

void check_range(const std::string &file, const StructSizes &sizes) {
  for (const auto &[key, size] : sizes)
    if (size < 1 || size > 16)
      throw FileError(file, fmt::format("invalid special struct size {} for {}", size, key));
}

} // namespace

StructSizes struct_sizes_from_dwarf(const std::string &xen_syms) {
  StructSizes found;
  int fd = open(xen_syms.c_str(), O_RDONLY);
  if (fd < 0)
    throw FileError(xen_syms, "cannot open");
  Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
  if (dw) {
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (found.size() < kStructForKey.size() &&
           dwarf_nextcu(dw, off, &next, &hsize, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die cu;
      if (dwarf_offdie(dw, off + hsize, &cu))
        visit(&cu, found);
      off = next;
    }
    dwarf_end(dw);
  }
  close(fd);
  check_range(xen_syms, found);
  return found;
}

StructSizes struct_sizes_for_version(int major, int minor) {
  auto at_least = [&](int ma, int mi) { return major > ma || (major == ma && minor >= mi); };
  StructSizes s = {
      {"alt_instr", at_least(4, 11) ? 14u : 12u},
      {"bug_frame", 8},
      {"exception_table_entry", 8},
  };
  if (at_least(4, 21))
    s["alt_call"] = 4;
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
