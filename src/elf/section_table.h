// The validated ELF header and section header table of an ELF64 x86-64 file.
//
// Both ways of reading ELF go through here first: the reader (reader.h),
// which builds the whole object model, and the linked-image view (image.h),
// which looks only at a symbol table, a note and a few bytes of xen-syms. So
// the checks that make a corrupt file one line naming the file and the
// problem, instead of undefined behaviour, are written once, with
// overflow-safe arithmetic:
//
//   zero-length or truncated files, bad magic, ELFCLASS32, big-endian or a
//   machine other than EM_X86_64, an e_type other than ET_REL/ET_EXEC/ET_DYN,
//   e_shoff/e_shnum/e_shentsize out of range, a section running past the end
//   of the file, sh_link/sh_info out of range, section names outside their
//   string table, bad alignment, SHN_XINDEX (extended section numbering is
//   refused), SHT_REL (only RELA exists on x86-64), more than one symbol
//   table, a symbol table with a bad entry size or string table link.
//
// Nothing here allocates per byte of the file: the table holds copies of the
// section headers and views of the names in `bytes`, which must outlive it.
#pragma once

#include <cstdint>
#include <elf.h>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::elf {

struct SectionTable {
  std::span<const uint8_t> bytes;
  std::string name;                     // the file, for error messages
  Elf64_Ehdr eh{};
  std::vector<Elf64_Shdr> sh;           // index 0 is the null section
  std::vector<std::string_view> names;  // section names, by index
  uint32_t shstrndx = 0;
  uint32_t symtab = 0;                  // 0 when there is none
  uint32_t strtab = 0;                  // the symbol table's string table

  [[noreturn]] void fail(const std::string &problem) const;
  // A NUL-terminated string at `offset` inside string table section `strtab`,
  // checked; `kind` and `index` name the referring element in the error.
  std::string_view string_at(uint32_t strtab, uint64_t offset, const char *kind,
                             size_t index) const;
  // The file bytes of section `index` (empty for SHT_NOBITS).
  std::span<const uint8_t> contents(uint32_t index) const;
};

// Throws lp::FileError("<name>", "<what is wrong>") for the first problem found.
SectionTable read_section_table(std::span<const uint8_t> bytes, const std::string &name);

} // namespace lp::elf
