// Raw ELF section lookup by name; see raw_sections.h.
//
// The header fields are copied out with memcpy, so a file buffer of any
// alignment is read without undefined behaviour.
#include "sign/raw_sections.h"

#include "elf/error.h"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>

namespace lp::sign {
namespace {

template <typename T> T read_at(std::span<const uint8_t> bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

bool range_fits(std::span<const uint8_t> bytes, uint64_t offset, uint64_t size) {
  return offset <= bytes.size() && size <= bytes.size() - offset;
}

Elf64_Ehdr read_header(std::span<const uint8_t> bytes, const std::string &file) {
  if (!looks_like_elf64(bytes))
    throw FileError(file, "not an ELF64 little-endian file");
  auto eh = read_at<Elf64_Ehdr>(bytes, 0);
  if (eh.e_shnum == 0 || eh.e_shnum >= SHN_LORESERVE)
    throw FileError(file, fmt::format("unsupported section count {}", eh.e_shnum));
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    throw FileError(file, fmt::format("e_shentsize is {}, expected {}", eh.e_shentsize,
                                      sizeof(Elf64_Shdr)));
  if (!range_fits(bytes, eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)))
    throw FileError(file, "section header table lies outside the file");
  if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
    throw FileError(file, fmt::format("e_shstrndx {} is out of range", eh.e_shstrndx));
  return eh;
}

Elf64_Shdr section_header(std::span<const uint8_t> bytes, const Elf64_Ehdr &eh, unsigned i) {
  return read_at<Elf64_Shdr>(bytes, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr));
}

// The section-name string table, checked to lie inside the file.
std::span<const uint8_t> name_table(std::span<const uint8_t> bytes, const Elf64_Ehdr &eh,
                                    const std::string &file) {
  Elf64_Shdr sh = section_header(bytes, eh, eh.e_shstrndx);
  if (sh.sh_type != SHT_STRTAB || !range_fits(bytes, sh.sh_offset, sh.sh_size))
    throw FileError(file, "section name string table is malformed");
  return bytes.subspan(sh.sh_offset, sh.sh_size);
}

// Whether the NUL-terminated string at `offset` in `table` equals `name`.
bool name_matches(std::span<const uint8_t> table, uint32_t offset, std::string_view name) {
  if (offset >= table.size() || name.size() >= table.size() - offset)
    return false;
  return std::memcmp(table.data() + offset, name.data(), name.size()) == 0 &&
         table[offset + name.size()] == 0;
}

} // namespace

bool looks_like_elf64(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(Elf64_Ehdr) && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0 &&
         bytes[EI_CLASS] == ELFCLASS64 && bytes[EI_DATA] == ELFDATA2LSB;
}

std::vector<RawSection> raw_sections_named(std::span<const uint8_t> bytes, std::string_view name,
                                           const std::string &file) {
  Elf64_Ehdr eh = read_header(bytes, file);
  auto names = name_table(bytes, eh, file);
  std::vector<RawSection> found;
  for (unsigned i = 1; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section_header(bytes, eh, i);
    if (!name_matches(names, sh.sh_name, name))
      continue;
    if (sh.sh_type != SHT_NOBITS && !range_fits(bytes, sh.sh_offset, sh.sh_size))
      throw FileError(file, fmt::format("section {} [{}] lies outside the file", name, i));
    found.push_back({i, sh.sh_type, sh.sh_flags, sh.sh_offset, sh.sh_size});
  }
  return found;
}

} // namespace lp::sign
