// The payload's deterministic build-id (see payload_build_id.h).
//
// find_section() reads just enough of the serialized file (ELF header, section
// headers, .shstrtab) to locate a section; the bytes come from our own writer,
// but every offset is still range-checked before use.
#include "payload/payload_build_id.h"

#include "payload/build_id_note.h"
#include "payload/digest.h"

#include <cstring>
#include <elf.h>
#include <optional>
#include <stdexcept>

namespace lp::payload {
namespace {

constexpr size_t kSha1Size = 20;

template <typename T> std::optional<T> read_at(std::span<const uint8_t> bytes, uint64_t off) {
  if (off > bytes.size() || bytes.size() - off < sizeof(T))
    return std::nullopt;
  T v;
  std::memcpy(&v, bytes.data() + off, sizeof(T));
  return v;
}

} // namespace

void add_build_id_placeholder(elf::Object &obj) {
  elf::Section *sec = obj.section_named(".note.gnu.build-id");
  if (!sec) {
    auto fresh = std::make_unique<elf::Section>();
    fresh->name = ".note.gnu.build-id";
    sec = &obj.add_section(std::move(fresh));
  }
  sec->type = SHT_NOTE;
  sec->flags = SHF_ALLOC;
  sec->align = 4;
  sec->entsize = 0;
  sec->set_data(build_id_note(std::vector<uint8_t>(kSha1Size, 0)));
  obj.reindex();
}

std::optional<SectionSpan> find_section(std::span<const uint8_t> bytes, std::string_view name) {
  auto eh = read_at<Elf64_Ehdr>(bytes, 0);
  if (!eh || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shstrndx >= eh->e_shnum)
    return std::nullopt;
  auto strtab = read_at<Elf64_Shdr>(bytes, eh->e_shoff + uint64_t(eh->e_shstrndx) * sizeof(Elf64_Shdr));
  if (!strtab || strtab->sh_offset > bytes.size() || strtab->sh_size > bytes.size() - strtab->sh_offset)
    return std::nullopt;
  for (unsigned i = 1; i < eh->e_shnum; i++) {
    auto sh = read_at<Elf64_Shdr>(bytes, eh->e_shoff + uint64_t(i) * sizeof(Elf64_Shdr));
    if (!sh || sh->sh_name >= strtab->sh_size)
      return std::nullopt;
    const char *s = reinterpret_cast<const char *>(bytes.data() + strtab->sh_offset + sh->sh_name);
    size_t max = strtab->sh_size - sh->sh_name;
    if (std::string_view(s, strnlen(s, max)) != name)
      continue;
    if (sh->sh_offset > bytes.size() || sh->sh_size > bytes.size() - sh->sh_offset)
      return std::nullopt;
    return SectionSpan{sh->sh_offset, sh->sh_size};
  }
  return std::nullopt;
}

std::vector<uint8_t> seal_build_id(std::vector<uint8_t> &bytes) {
  auto sec = find_section(bytes, ".note.gnu.build-id");
  if (!sec || sec->size < kNoteDescOffset + kSha1Size)
    throw std::runtime_error("payload has no .note.gnu.build-id placeholder");
  uint8_t *desc = bytes.data() + sec->offset + kNoteDescOffset;
  std::memset(desc, 0, kSha1Size);
  std::vector<uint8_t> id = sha1(bytes);
  std::memcpy(desc, id.data(), kSha1Size);
  return id;
}

} // namespace lp::payload
