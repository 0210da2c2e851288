// Decoding .livepatch.funcs (see funcs_table.h).
#include "payload/funcs_table.h"

#include "elf/error.h"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <unordered_map>

namespace lp::payload {
namespace {

template <typename T> T load(const std::vector<uint8_t> &d, size_t at) {
  T v{};
  if (at + sizeof(T) <= d.size())
    std::memcpy(&v, d.data() + at, sizeof(T));
  return v;
}

std::string c_string_at(const elf::Object &obj, const elf::Rela &r) {
  const elf::Section *sec = r.sym->section;
  int64_t at = static_cast<int64_t>(r.sym->value) + r.addend;
  if (!sec || sec->is_nobits() || at < 0 || static_cast<uint64_t>(at) >= sec->data.size())
    throw FileError(obj.path, fmt::format(".livepatch.funcs: name pointer to {}+{} is not a string",
                                          r.sym->display_name(), r.addend));
  const auto *p = reinterpret_cast<const char *>(sec->data.data() + at);
  size_t max = sec->data.size() - at;
  size_t len = strnlen(p, max);
  if (len == max)
    throw FileError(obj.path, fmt::format(".livepatch.funcs: name in {} is not NUL-terminated",
                                          sec->name));
  return std::string(p, len);
}

} // namespace

std::vector<FuncEntry> read_funcs(const elf::Object &obj) {
  std::vector<FuncEntry> out;
  const elf::Section *sec = obj.section_named(".livepatch.funcs");
  if (!sec)
    return out;
  if (sec->size % kFuncSize)
    throw FileError(obj.path, fmt::format(".livepatch.funcs size {} is not a multiple of {}",
                                          sec->size, kFuncSize));
  std::unordered_map<uint64_t, const elf::Rela *> rela_at;
  if (sec->rela)
    for (const elf::Rela &r : sec->rela->relas)
      rela_at[r.offset] = &r;
  for (size_t off = 0; off < sec->size; off += kFuncSize) {
    FuncEntry e;
    e.offset = off;
    e.old_addr_literal = load<uint64_t>(sec->data, off + kFuncOldAddrOff);
    e.new_size = load<uint32_t>(sec->data, off + kFuncNewSizeOff);
    e.old_size = load<uint32_t>(sec->data, off + kFuncOldSizeOff);
    e.version = load<uint8_t>(sec->data, off + kFuncVersionOff);
    if (auto it = rela_at.find(off + kFuncNameOff); it != rela_at.end())
      e.name = c_string_at(obj, *it->second);
    if (auto it = rela_at.find(off + kFuncNewAddrOff); it != rela_at.end()) {
      e.new_symbol = std::string(it->second->sym->display_name());
      e.new_addr_addend = it->second->addend;
    }
    if (auto it = rela_at.find(off + kFuncOldAddrOff); it != rela_at.end()) {
      e.old_addr_sym = it->second->sym;
      e.old_addr_addend = it->second->addend;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<uint64_t> old_address(const FuncEntry &e, const elf::LinkedImage &xen) {
  if (e.old_addr_sym) {
    const elf::Symbol &s = *e.old_addr_sym;
    if (!s.section && s.shndx == SHN_ABS)
      return s.value + e.old_addr_addend;
    if (s.is_undefined())
      if (const elf::ImageSymbol *hit = xen.by_xen_name(s.name))
        return hit->address + e.old_addr_addend;
    return std::nullopt;
  }
  if (e.old_addr_literal)
    return e.old_addr_literal;
  if (!e.name.empty())
    if (const elf::ImageSymbol *hit = xen.by_xen_name(e.name))
      return hit->address;
  return std::nullopt;
}

} // namespace lp::payload
