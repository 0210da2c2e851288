// Adding, removing, locating and verifying `.note.Xen.signature`; see
// note_signature.h for the format and the rules.
//
// Signing is three steps so that the layout cannot change under the
// signature: the section is added through the ELF model with an all-zero
// descriptor of the final size and the object is serialised; the serialised
// bytes (descriptor still zero) are signed; the signature is written over the
// zero descriptor in place.
#include "sign/note_signature.h"

#include "elf/reader.h"
#include "elf/writer.h"
#include "sign/pkcs1_signature.h"
#include "sign/raw_sections.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace lp::sign {
namespace {

constexpr size_t kNoteHeader = 12;
constexpr char kXenName[4] = {'X', 'e', 'n', '\0'};

uint64_t align4(uint64_t v) { return (v + 3) & ~uint64_t{3}; }

uint32_t read_u32(std::span<const uint8_t> bytes, uint64_t offset) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

void put_u32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

[[noreturn]] void refuse(const std::string &name, const std::string &problem) {
  throw VerificationError(name, problem);
}

RawSection the_note_section(std::span<const uint8_t> file, const std::string &name) {
  auto found = raw_sections_named(file, kNoteSection, name);
  if (found.empty())
    refuse(name, fmt::format("not signed: no {} section", kNoteSection));
  if (found.size() > 1)
    refuse(name, fmt::format("{} sections named {}; a payload carries one signature",
                             found.size(), kNoteSection));
  if (found[0].type != SHT_NOTE)
    refuse(name, fmt::format("section {} has type {}, not SHT_NOTE", kNoteSection, found[0].type));
  return found[0];
}

bool is_xen_note(std::span<const uint8_t> note, uint32_t namesz) {
  return namesz == sizeof kXenName &&
         std::memcmp(note.data() + kNoteHeader, kXenName, sizeof kXenName) == 0;
}

// The bytes of the section: one note, name "Xen", descriptor of `size` zeros.
std::vector<uint8_t> zero_note(uint32_t size) {
  std::vector<uint8_t> out;
  put_u32(out, sizeof kXenName);
  put_u32(out, size);
  put_u32(out, kNoteTypeRsaSha256V1);
  out.insert(out.end(), kXenName, kXenName + sizeof kXenName);
  out.resize(align4(out.size() + size), 0);
  return out;
}

size_t checked_signature_size(EVP_PKEY *key, const std::string &key_name) {
  if (!is_rsa(key))
    throw FileError(key_name, "not an RSA key (the note signature is RSA PKCS#1 v1.5)");
  int size = EVP_PKEY_get_size(key);
  if (size < 1 || static_cast<unsigned>(size) > kMaxNoteDescriptor)
    throw FileError(key_name, fmt::format("RSA modulus of {} bytes: Xen accepts signature notes "
                                          "of 1..{} bytes",
                                          size, kMaxNoteDescriptor));
  return static_cast<size_t>(size);
}

// Drops `victim` and whatever exists only for it (its section symbol, its
// relocation section) from the model.
void remove_section(lp::elf::Object &obj, lp::elf::Section *victim) {
  using lp::elf::Section;
  using lp::elf::Symbol;
  for (const auto &s : obj.sections)
    if (s.get() != victim && s.get() != victim->rela &&
        (s->link == victim || s->info == victim))
      throw FileError(obj.path, fmt::format("cannot remove {}: section {} refers to it",
                                            kNoteSection, s->name));
  std::erase_if(obj.symbols, [&](const std::unique_ptr<Symbol> &sym) {
    return sym->section == victim;
  });
  Section *rela = victim->rela;
  std::erase_if(obj.sections, [&](const std::unique_ptr<Section> &s) {
    return s.get() == victim || s.get() == rela;
  });
}

// Xen's size rule, then the key's: an RSA signature is as long as the modulus.
void check_descriptor_size(const NoteSignatureLocation &loc, EVP_PKEY *key,
                           const std::string &name, const std::string &key_text) {
  if (loc.descriptor_size < 1 || loc.descriptor_size > kMaxNoteDescriptor)
    refuse(name, fmt::format("signature note descriptor is {} bytes; Xen accepts 1..{}",
                             loc.descriptor_size, kMaxNoteDescriptor));
  if (!is_rsa(key))
    refuse(name, "the note signature is RSA, but the verification key is " + key_text);
  int modulus = EVP_PKEY_get_size(key);
  if (static_cast<int>(loc.descriptor_size) != modulus)
    refuse(name, fmt::format("signature is {} bytes but the key's modulus is {} bytes",
                             loc.descriptor_size, modulus));
}

// What was signed: the whole file with the descriptor bytes zeroed.
std::vector<uint8_t> zeroed_copy(std::span<const uint8_t> file, const NoteSignatureLocation &loc) {
  std::vector<uint8_t> copy(file.begin(), file.end());
  std::fill_n(copy.begin() + static_cast<ptrdiff_t>(loc.descriptor_offset), loc.descriptor_size, 0);
  return copy;
}

} // namespace

bool has_note_section(std::span<const uint8_t> file, const std::string &name) {
  return !raw_sections_named(file, kNoteSection, name).empty();
}

NoteSignatureLocation locate_note_signature(std::span<const uint8_t> file,
                                            const std::string &name) {
  RawSection sec = the_note_section(file, name);
  auto notes = file.subspan(sec.offset, sec.size);
  std::optional<NoteSignatureLocation> found;
  for (uint64_t at = 0, index = 0; at < notes.size(); ++index) {
    uint64_t left = notes.size() - at;
    if (left < kNoteHeader)
      refuse(name, fmt::format("note {} in {} is truncated: {} bytes left, a note header needs {}",
                               index, kNoteSection, left, kNoteHeader));
    uint32_t namesz = read_u32(notes, at), descsz = read_u32(notes, at + 4);
    uint64_t need = kNoteHeader + align4(namesz) + align4(descsz);
    if (need > left)
      refuse(name, fmt::format("note {} in {} is truncated: it needs {} bytes, {} are left",
                               index, kNoteSection, need, left));
    if (is_xen_note(notes.subspan(at), namesz)) {
      if (found)
        refuse(name, fmt::format("two \"Xen\" signature notes in {}", kNoteSection));
      found = NoteSignatureLocation{sec.offset + at + kNoteHeader + align4(namesz), descsz,
                                    read_u32(notes, at + 8)};
    }
    at += need;
  }
  if (!found)
    refuse(name, fmt::format("not signed: no \"Xen\" note in {}", kNoteSection));
  return *found;
}

void check_note_type(uint32_t type, const std::string &name) {
  unsigned version = type & 0xffff, algorithm = (type >> 16) & 0xff, hash = type >> 24;
  if (version != 1)
    refuse(name, fmt::format("signature note type {:#010x}: version {} is not supported "
                             "(only version 1)", type, version));
  if (algorithm != 0)
    refuse(name, fmt::format("signature note type {:#010x}: algorithm {} is not supported "
                             "(only 0, RSA)", type, algorithm));
  if (hash != 0)
    refuse(name, fmt::format("signature note type {:#010x}: hash {} is not supported "
                             "(only 0, SHA-256)", type, hash));
}

std::vector<uint8_t> add_note_signature(std::span<const uint8_t> payload, const std::string &name,
                                        EVP_PKEY *key, const std::string &key_name) {
  size_t sig_size = checked_signature_size(key, key_name);
  lp::elf::Object obj = lp::elf::read_object_bytes(payload, name);
  auto sec = std::make_unique<lp::elf::Section>();
  sec->name = std::string(kNoteSection);
  sec->type = SHT_NOTE;
  sec->flags = SHF_ALLOC;
  sec->align = 4;
  sec->set_data(zero_note(static_cast<uint32_t>(sig_size)));
  obj.add_section(std::move(sec));
  obj.reindex();
  std::vector<uint8_t> bytes = lp::elf::serialize(obj);

  NoteSignatureLocation loc = locate_note_signature(bytes, name);
  std::vector<uint8_t> sig = pkcs1_sha256_sign(key, bytes, key_name);
  if (sig.size() != loc.descriptor_size)
    throw FileError(key_name, fmt::format("signature is {} bytes, expected {}", sig.size(),
                                          loc.descriptor_size));
  std::copy(sig.begin(), sig.end(), bytes.begin() + static_cast<ptrdiff_t>(loc.descriptor_offset));
  return bytes;
}

std::vector<uint8_t> remove_note_signature(std::span<const uint8_t> payload,
                                           const std::string &name) {
  lp::elf::Object obj = lp::elf::read_object_bytes(payload, name);
  while (lp::elf::Section *s = obj.section_named(kNoteSection)) {
    remove_section(obj, s);
    obj.reindex();
  }
  return lp::elf::serialize(obj);
}

size_t verify_note_signature(std::span<const uint8_t> file, const std::string &name,
                             EVP_PKEY *key, const std::string &key_text) {
  NoteSignatureLocation loc = locate_note_signature(file, name);
  check_note_type(loc.type, name);
  check_descriptor_size(loc, key, name, key_text);
  auto signature = file.subspan(loc.descriptor_offset, loc.descriptor_size);
  if (!pkcs1_sha256_verify(key, zeroed_copy(file, loc), signature))
    refuse(name, "note signature does not verify with " + key_text);
  return signature.size();
}

SignatureInfo describe_note_signature(std::span<const uint8_t> file, const std::string &name) {
  NoteSignatureLocation loc = locate_note_signature(file, name);
  SignatureInfo info;
  info.format = Format::note;
  info.signature_size = loc.descriptor_size;
  info.signed_size = file.size();
  info.algorithm = loc.type == kNoteTypeRsaSha256V1
                       ? std::string("RSA PKCS#1 v1.5, SHA-256 (note type 0x00000001)")
                       : fmt::format("unsupported (note type {:#010x})", loc.type);
  return info;
}

} // namespace lp::sign
