// Entry sizes of Xen's special sections, and where they came from.
//
// A wrong size splits .altinstructions or .bug_frames.N into garbage, so the
// source of each size is explicit and logged, in this order:
//
//   1. --struct-sizes FILE: key=value lines (alt_instr, bug_frame,
//      exception_table_entry, alt_call); livepatch-build writes this file
//      into its output folder so a later `-k build` run uses the same sizes;
//   2. DWARF in xen-syms (struct alt_instr, bug_frame, exception_table_entry,
//      alt_call), when Xen was built with debug info (one walk for all four);
//   3. the table of Xen releases (elf/xen_versions.h), for the target release
//      (target_release.cc): Xen 4.21 added .alt_call_sites.
//
// Never environment variables: upstream's silent fallback when they were not
// exported (-k build) produced "group size mismatch" or corrupt payloads.
#include "diff/engine.h"

#include "elf/atomic_file.h"
#include "elf/dwarf.h"
#include "elf/error.h"
#include "elf/image.h"

#include <charconv>
#include <fmt/format.h>
#include <sstream>

namespace lp::diff {

namespace {

struct Field {
  std::string_view key;
  uint32_t StructSizes::*member;
};

constexpr Field kFields[] = {
    {"alt_instr", &StructSizes::alt_instr},
    {"bug_frame", &StructSizes::bug_frame},
    {"exception_table_entry", &StructSizes::exception_table_entry},
    {"alt_call", &StructSizes::alt_call},
};

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

StructSizes from_file(const std::string &path, StructSizes sizes) {
  std::istringstream in(read_file(path));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty())
      continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      throw FileError(path, fmt::format("line {}: expected key=value", n));
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size() || v == 0 || v > 64)
      throw FileError(path, fmt::format("line {}: size of {} must be 1..64, got '{}'", n, key, value));
    const Field *f = nullptr;
    for (const Field &x : kFields)
      if (x.key == key)
        f = &x;
    if (!f)
      throw FileError(path, fmt::format("line {}: unknown structure '{}'", n, key));
    sizes.*(f->member) = v;
  }
  sizes.source = "--struct-sizes " + path;
  return sizes;
}

// The release's sizes. Before 4.21 there is no .alt_call_sites; the 4-byte
// default stays for hand-made objects that carry one anyway.
StructSizes from_release(const elf::XenRelease &r) {
  StructSizes sizes;
  sizes.alt_instr = r.sizes.alt_instr;
  sizes.bug_frame = r.sizes.bug_frame;
  sizes.exception_table_entry = r.sizes.exception_table_entry;
  if (r.sizes.alt_call)
    sizes.alt_call = r.sizes.alt_call;
  sizes.source = "table for Xen " + r.version.str();
  return sizes;
}

// Without .debug_info (Xen before 4.20 builds without debug info) there is
// nothing libdw could find: do not open the image a second time to learn so.
bool has_dwarf(const elf::LinkedImage &xen) {
  return xen.section_named(".debug_info") || xen.section_named(".zdebug_info");
}

} // namespace

StructSizes choose_struct_sizes(const Options &o, const elf::LinkedImage &xen,
                                const elf::XenRelease &release, Log &log) {
  StructSizes sizes = from_release(release);
  if (!o.struct_sizes.empty()) {
    sizes = from_file(o.struct_sizes, sizes);
  } else {
    bool any = false;
    std::vector<std::optional<uint64_t>> found(std::size(kFields));
    if (has_dwarf(xen)) {
      // A release without .alt_call_sites has no struct alt_call: looking
      // for it would walk every unit of the DWARF (most of a 24 MB file)
      // to find nothing, and the table's size stays either way.
      std::vector<std::string_view> names;
      for (const Field &f : kFields)
        names.push_back(f.key == "alt_call" && !release.alt_call_sites ? "" : f.key);
      found = elf::dwarf_struct_byte_sizes(xen.path(), names);
    }
    for (size_t i = 0; i < std::size(kFields); ++i) {
      const std::optional<uint64_t> &v = found[i];
      if (v && *v > 0 && *v <= 64) {
        sizes.*(kFields[i].member) = static_cast<uint32_t>(*v);
        any = true;
      }
    }
    if (any)
      sizes.source = "DWARF in xen-syms";
  }
  log.normal(fmt::format("struct sizes from {}: alt_instr={} bug_frame={} exception_table_entry={} "
                        "alt_call={}",
                        sizes.source, sizes.alt_instr, sizes.bug_frame,
                        sizes.exception_table_entry, sizes.alt_call));
  return sizes;
}

} // namespace lp::diff
