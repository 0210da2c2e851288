// Special-section entry sizes, for create-diff-object's --struct-sizes file.
//
// create-diff-object splits .altinstructions, .bug_frames.N, .ex_table and
// .alt_call_sites into per-entry groups, so it must know each entry's size;
// alt_instr grew from 12 to 14 bytes in Xen 4.11. Upstream read the sizes with
// `readelf -wi | awk` into environment variables exported only during the
// build phase, so `-k build` silently fell back to defaults (problem 42). Here
// the sizes come from the original xen-syms DWARF when it has any (Xen 4.17's
// default build has none), otherwise from the release table, and are
// written to <out>/struct_sizes as key=value lines that a later `-k build`
// run reads back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lp::payload {

// key (alt_instr, bug_frame, exception_table_entry, alt_call) -> bytes.
using StructSizes = std::map<std::string, uint64_t>;

// Sizes found in `xen_syms`' DWARF (only the structures it describes).
// Throws lp::FileError if a size is outside 1..16.
StructSizes struct_sizes_from_dwarf(const std::string &xen_syms);

// The sizes of Xen `major`.`minor` on x86-64, from the release table
// (elf/xen_versions.h); a release outside it gets Xen 4.17's.
StructSizes struct_sizes_for_version(int major, int minor);

// DWARF where present, the version table for the rest. Returns the sizes and
// where they came from ("DWARF", "table" or "DWARF+table").
StructSizes detect_struct_sizes(const std::string &xen_syms, int major, int minor,
                                std::string &source);

std::string format_struct_sizes(const StructSizes &sizes);
// Throws lp::FileError(path) on a malformed line.
StructSizes read_struct_sizes(const std::string &path);

} // namespace lp::payload
