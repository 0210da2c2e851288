// Sizes of C structures from a file's DWARF debug information, through libdw.
//
// Xen's special sections (.altinstructions, .bug_frames.N, .ex_table) are
// arrays of fixed-size records whose size depends on the Xen version and
// configuration. The diff engine and livepatch-build read the size from the
// DWARF of the object or xen-syms being processed instead of assuming it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

typedef struct Dwfl Dwfl;
typedef struct Dwarf Dwarf;

namespace lp::elf {

// A file's DWARF opened through libdwfl's offline reporting, so that a
// relocatable object's .debug_* relocations are applied before libdw reads
// them. dwarf() is null when the file has no DWARF. Throws
// lp::FileError(elf_path, ...) if the file cannot be opened or is not ELF.
class OfflineDwarf {
public:
  explicit OfflineDwarf(const std::string &elf_path);
  ~OfflineDwarf();
  OfflineDwarf(const OfflineDwarf &) = delete;
  OfflineDwarf &operator=(const OfflineDwarf &) = delete;
  Dwarf *dwarf() const { return dwarf_; }

private:
  Dwfl *dwfl_ = nullptr;
  Dwarf *dwarf_ = nullptr;
};

// DW_AT_byte_size of the first DW_TAG_structure_type named `struct_name` that
// has one (declarations are skipped). nullopt when the file has no DWARF or no
// such structure. Relocatable objects have their .debug_* relocations applied.
// Throws lp::FileError(elf_path, ...) if the file cannot be opened or is not ELF.
std::optional<uint64_t> dwarf_struct_byte_size(const std::string &elf_path,
                                               std::string_view struct_name);

// The same for several structures in one walk over the DWARF (which, in a
// xen-syms with debug info, is most of 20 MB): result i is the size of
// struct_names[i] (an empty name is not looked for). The walk stops once
// every name is found.
std::vector<std::optional<uint64_t>> dwarf_struct_byte_sizes(const std::string &elf_path,
                                                             std::span<const std::string_view> struct_names);

} // namespace lp::elf
