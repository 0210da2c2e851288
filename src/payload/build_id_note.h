// GNU build-id notes: the format of .note.gnu.build-id, .livepatch.depends and
// .livepatch.xen_depends.
//
// Xen parses only the first note of each of those sections: a 12-byte header
// (namesz, descsz, type = NT_GNU_BUILD_ID), the name "GNU\0", then the
// descriptor. A build-id is whatever length the producer chose (SHA-1 gives
// 20 bytes, an EFI CodeView GUID 16), so nothing here assumes 20: upstream's
// hard-coded 20 (problem 26) broke payloads for PE-built hypervisors.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

inline constexpr uint32_t kNtGnuBuildId = 3;

// Decodes a build-id given as hex text (as `readelf -n` prints it). `what`
// names the source in the error (e.g. "--depends"). Throws lp::FileError on
// empty text, an odd number of digits or a non-hex character.
std::vector<uint8_t> parse_build_id_hex(std::string_view hex, const std::string &what);

// The note bytes: header, "GNU\0", descriptor padded to 4 bytes.
std::vector<uint8_t> build_id_note(std::span<const uint8_t> id);

// The descriptor of the first note in `section`, if it is a well-formed GNU
// build-id note by Xen's rules (§3.1 of the ABI reference).
std::optional<std::vector<uint8_t>> note_build_id(std::span<const uint8_t> section);

// Offset of the descriptor inside a note section built by build_id_note().
inline constexpr size_t kNoteDescOffset = 16;

// Adds (or replaces) a SHT_PROGBITS, SHF_ALLOC section `name`, align 4,
// holding build_id_note(id): how .livepatch.depends and .livepatch.xen_depends
// are made.
void set_build_id_section(elf::Object &obj, const std::string &name, std::span<const uint8_t> id);

} // namespace lp::payload
