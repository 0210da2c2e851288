// Build-id note encoding and decoding (see build_id_note.h).
#include "payload/build_id_note.h"

#include "elf/error.h"

#include <elf.h>
#include <fmt/format.h>

namespace lp::payload {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void put_u32(std::vector<uint8_t> &out, uint32_t v) {
  for (int i = 0; i < 4; i++)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint32_t get_u32(std::span<const uint8_t> b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

size_t align4(size_t n) { return (n + 3) & ~size_t(3); }

} // namespace

std::vector<uint8_t> parse_build_id_hex(std::string_view hex, const std::string &what) {
  if (hex.empty())
    throw FileError(what, "empty build-id");
  if (hex.size() % 2)
    throw FileError(what, fmt::format("build-id '{}' has an odd number of hex digits", hex));
  std::vector<uint8_t> out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      throw FileError(what, fmt::format("build-id '{}' is not hexadecimal", hex));
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::vector<uint8_t> build_id_note(std::span<const uint8_t> id) {
  std::vector<uint8_t> out;
  put_u32(out, 4);
  put_u32(out, static_cast<uint32_t>(id.size()));
  put_u32(out, kNtGnuBuildId);
  for (char c : {'G', 'N', 'U', '\0'})
    out.push_back(static_cast<uint8_t>(c));
  out.insert(out.end(), id.begin(), id.end());
  out.resize(align4(out.size()), 0);
  return out;
}

std::optional<std::vector<uint8_t>> note_build_id(std::span<const uint8_t> s) {
  if (s.size() <= 12)
    return std::nullopt;
  uint64_t namesz = get_u32(s, 0), descsz = get_u32(s, 4), type = get_u32(s, 8);
  if (type != kNtGnuBuildId || namesz < 4 || descsz == 0 || namesz + descsz > s.size() - 12)
    return std::nullopt;
  if (std::string_view(reinterpret_cast<const char *>(s.data() + 12), 3) != "GNU")
    return std::nullopt;
  size_t desc = 12 + align4(namesz);
  if (desc + descsz > s.size())
    return std::nullopt;
  return std::vector<uint8_t>(s.begin() + desc, s.begin() + desc + descsz);
}

void set_build_id_section(elf::Object &obj, const std::string &name, std::span<const uint8_t> id) {
  elf::Section *sec = obj.section_named(name);
  if (!sec) {
    auto fresh = std::make_unique<elf::Section>();
    fresh->name = name;
    sec = &obj.add_section(std::move(fresh));
  }
  sec->type = SHT_PROGBITS;
  sec->flags = SHF_ALLOC;
  sec->align = 4;
  sec->entsize = 0;
  sec->set_data(build_id_note(id));
  obj.reindex();
}

} // namespace lp::payload
