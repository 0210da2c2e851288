// The `.note.Xen.signature` format (xen-livepatch-abi.md §8): where the
// signature lives, how it is added, checked and removed.
//
// Verification follows Xen's loader step by step, on the raw bytes: first
// section of that name, notes walked with 12 + ALIGN4(namesz) + ALIGN4(descsz)
// bytes of room each, exactly one note named "Xen", its type decoded as
// version (bits 0-15), algorithm (16-23) and hash (24-31), the descriptor size
// checked, then the descriptor zeroed in a copy of the whole file and the
// PKCS#1 v1.5 / SHA-256 signature checked over that copy. It is stricter than
// Xen where Xen is lax (reviewers' points in §8.3): the section must be
// SHT_NOTE and there must be only one section of that name.
#pragma once

#include "sign/sign.h"

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::sign {

inline constexpr std::string_view kNoteSection = ".note.Xen.signature";
inline constexpr uint32_t kNoteTypeRsaSha256V1 = 0x00000001; // version 1, RSA (0), SHA-256 (0)
inline constexpr uint32_t kMaxNoteDescriptor = 1023;         // Xen: descsz < 1024

struct NoteSignatureLocation {
  uint64_t descriptor_offset = 0; // in the file
  uint32_t descriptor_size = 0;
  uint32_t type = 0;
};

// True if the file has a section called .note.Xen.signature. Throws
// lp::FileError if `file` is not ELF64 or its section table is malformed.
bool has_note_section(std::span<const uint8_t> file, const std::string &name);

// The signature note, found by Xen's rules. Throws VerificationError if the
// section is missing or malformed, has no or two "Xen" notes.
NoteSignatureLocation locate_note_signature(std::span<const uint8_t> file,
                                            const std::string &name);

// Throws VerificationError unless `type` is version 1, RSA, SHA-256.
void check_note_type(uint32_t type, const std::string &name);

// `payload` (an ELF object without a signature section) with the section
// added and the signature written into it.
std::vector<uint8_t> add_note_signature(std::span<const uint8_t> payload, const std::string &name,
                                        EVP_PKEY *key, const std::string &key_name);

// `payload` rewritten through the ELF model without its .note.Xen.signature
// section(s).
std::vector<uint8_t> remove_note_signature(std::span<const uint8_t> payload,
                                           const std::string &name);

// Throws VerificationError unless the note signature verifies with `key`
// (described in messages by `key_text`). Returns the signature size.
size_t verify_note_signature(std::span<const uint8_t> file, const std::string &name,
                             EVP_PKEY *key, const std::string &key_text);

SignatureInfo describe_note_signature(std::span<const uint8_t> file, const std::string &name);

} // namespace lp::sign
