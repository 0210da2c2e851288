// The payload's own build-id, computed deterministically.
//
// Xen refuses to load a payload whose .note.gnu.build-id equals one already
// loaded, and a stacked payload names its predecessor by this id, so the id
// must change whenever the payload's bytes change and must not change
// otherwise. `ld --build-id=sha1` hashes the file it wrote; we do the same on
// the final bytes, after every other transformation (notes, .modinfo,
// stripping, prelinking, expectations): the section is written with a zeroed
// 20-byte descriptor, the SHA-1 of the whole serialized file is taken, and the
// digest is patched into the descriptor. The result is a pure function of the
// file's other bytes, so identical inputs give byte-identical payloads.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace lp::payload {

// Adds (or resets) .note.gnu.build-id: SHT_NOTE, SHF_ALLOC, align 4, with a
// zeroed SHA-1-sized descriptor.
void add_build_id_placeholder(elf::Object &obj);

// Fills the descriptor of .note.gnu.build-id in serialized ELF `bytes` with
// the SHA-1 of `bytes` (descriptor zeroed first). Returns the id. Throws
// std::runtime_error if the section is missing or malformed.
std::vector<uint8_t> seal_build_id(std::vector<uint8_t> &bytes);

// File offset and size of section `name` in serialized ELF64 bytes, if present.
struct SectionSpan {
  uint64_t offset = 0;
  uint64_t size = 0;
};
std::optional<SectionSpan> find_section(std::span<const uint8_t> bytes, std::string_view name);

} // namespace lp::payload
