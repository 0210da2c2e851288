// Finding a section by name in the raw bytes of an ELF file, the way Xen's
// loader does, without the object model.
//
// Verification must look at exactly the bytes Xen hashes, at the offsets Xen
// uses, so it reads the section header table itself rather than a model that
// could normalise something away. Signing uses the same lookup to find where
// the serialised file put the signature descriptor. Every offset and size is
// bounds-checked against the buffer; a malformed header table is an error that
// names the file, never undefined behaviour.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::sign {

struct RawSection {
  uint32_t index = 0;
  uint32_t type = 0;   // SHT_*
  uint64_t flags = 0;  // SHF_*
  uint64_t offset = 0; // sh_offset, checked to lie within the file with size
  uint64_t size = 0;
};

// True if `bytes` starts like an ELF64 little-endian file.
bool looks_like_elf64(std::span<const uint8_t> bytes);

// Every section called `name`, in section-table order. Throws lp::FileError
// (file, problem) if the file is not ELF64 little-endian or its section table
// or section-name string table lies outside the file. A matching section whose
// contents lie outside the file is reported too (SHT_NOBITS sections, which
// have no contents, are returned with their size).
std::vector<RawSection> raw_sections_named(std::span<const uint8_t> bytes, std::string_view name,
                                           const std::string &file);

} // namespace lp::sign
