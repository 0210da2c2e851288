// Sizes of C structures from a file's DWARF debug information, through libdw.
//
// Xen's special sections (.altinstructions, .bug_frames.N, .ex_table) are
// arrays of fixed-size records whose size depends on the Xen version and
// configuration. The diff engine and livepatch-build read the size from the
// DWARF of the object or xen-syms being processed instead of assuming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lp::elf {

// DW_AT_byte_size of the first DW_TAG_structure_type named `struct_name` that
// has one (declarations are skipped). nullopt when the file has no DWARF or no
// such structure. Relocatable objects have their .debug_* relocations applied.
// Throws lp::FileError(elf_path, ...) if the file cannot be opened or is not ELF.
std::optional<uint64_t> dwarf_struct_byte_size(const std::string &elf_path,
                                               std::string_view struct_name);

} // namespace lp::elf
