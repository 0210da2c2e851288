// Lookups in a linked hypervisor image (xen-syms).
//
// open() reads the image through the reader, then flattens its defined
// symbols into ImageSymbols with their STT_FILE scope resolved to a string,
// and indexes them by plain name. A global lookup filters the (short) list for
// one name by binding; a local lookup filters it by file and refuses a pair
// that occurs twice. Address reads binary-search the allocated PROGBITS
// sections sorted by address.
#include "elf/image.h"

#include "elf/error.h"
#include "elf/reader.h"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

namespace lp::elf {

std::string ImageSymbol::xen_name() const {
  if (file.empty())
    return name;
  return file + "#" + name;
}

namespace {

bool is_lookup_symbol(const Symbol &s) {
  if (s.is_file() || s.is_section() || s.name.empty())
    return false;
  return s.section != nullptr || s.shndx == SHN_ABS;
}

ImageSymbol to_image_symbol(const Symbol &s) {
  ImageSymbol is;
  is.name = s.name;
  if (s.is_local() && s.file)
    is.file = s.file->name;
  is.address = s.value;
  is.size = s.size;
  is.type = s.type;
  is.bind = s.bind;
  return is;
}

// One note record inside a SHT_NOTE section.
struct Note {
  uint32_t type;
  std::string_view name;
  std::span<const uint8_t> desc;
  std::span<const uint8_t> whole;
};

uint64_t align4(uint64_t v) { return (v + 3) & ~uint64_t(3); }

// Walks the notes of `data`, stopping at the first malformed one.
template <typename F> bool for_each_note(std::span<const uint8_t> data, F &&f) {
  uint64_t pos = 0;
  while (data.size() - pos >= 12) {
    uint32_t hdr[3];
    std::memcpy(hdr, data.data() + pos, 12);
    const uint64_t name_at = pos + 12;
    const uint64_t desc_at = name_at + align4(hdr[0]);
    const uint64_t end = desc_at + align4(hdr[1]);
    if (desc_at + hdr[1] > data.size() || end > data.size() + 3)
      return false;
    std::string_view name(reinterpret_cast<const char *>(data.data() + name_at),
                          hdr[0] ? hdr[0] - 1 : 0);
    const uint64_t whole_end = std::min<uint64_t>(end, data.size());
    if (f(Note{hdr[2], name, data.subspan(desc_at, hdr[1]), data.subspan(pos, whole_end - pos)}))
      return true;
    pos = whole_end;
  }
  return false;
}

std::optional<Note> find_build_id(const Object &obj) {
  for (const auto &s : obj.sections) {
    if (s->type != SHT_NOTE)
      continue;
    std::optional<Note> found;
    for_each_note(s->data, [&](const Note &n) {
      if (n.type == NT_GNU_BUILD_ID && n.name == "GNU")
        found = n;
      return found.has_value();
    });
    if (found)
      return found;
  }
  return std::nullopt;
}

} // namespace

LinkedImage LinkedImage::open(const std::string &path) {
  LinkedImage img;
  img.obj_ = read_object(path);
  if (img.obj_.e_type != ET_EXEC && img.obj_.e_type != ET_DYN)
    throw FileError(path, "not a linked image (expected ET_EXEC or ET_DYN)");
  if (img.obj_.symbols.empty())
    throw FileError(path, "has no symbol table");
  img.symbols_.reserve(img.obj_.symbols.size());
  for (const auto &s : img.obj_.symbols)
    if (is_lookup_symbol(*s))
      img.symbols_.push_back(to_image_symbol(*s));
  img.by_name_.reserve(img.symbols_.size());
  for (size_t i = 0; i < img.symbols_.size(); ++i)
    img.by_name_[img.symbols_[i].name].push_back(i);
  for (const auto &s : img.obj_.sections)
    if (s->is_alloc() && s->type == SHT_PROGBITS && s->size)
      img.by_addr_.push_back(s.get());
  std::sort(img.by_addr_.begin(), img.by_addr_.end(),
            [](const Section *a, const Section *b) { return a->addr < b->addr; });
  return img;
}

std::optional<std::vector<uint8_t>> LinkedImage::build_id() const {
  std::optional<Note> n = find_build_id(obj_);
  if (!n)
    return std::nullopt;
  return std::vector<uint8_t>(n->desc.begin(), n->desc.end());
}

std::optional<std::vector<uint8_t>> LinkedImage::build_id_note() const {
  std::optional<Note> n = find_build_id(obj_);
  if (!n)
    return std::nullopt;
  return std::vector<uint8_t>(n->whole.begin(), n->whole.end());
}

const std::vector<size_t> *LinkedImage::named(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

const ImageSymbol *LinkedImage::global(std::string_view name, bool allow_weak) const {
  const std::vector<size_t> *list = named(name);
  if (!list)
    return nullptr;
  for (size_t i : *list) {
    const ImageSymbol &s = symbols_[i];
    if (s.bind == STB_GLOBAL || (allow_weak && s.bind == STB_WEAK))
      return &s;
  }
  return nullptr;
}

const ImageSymbol *LinkedImage::local(std::string_view file, std::string_view name) const {
  const std::vector<size_t> *list = named(name);
  if (!list)
    return nullptr;
  const ImageSymbol *found = nullptr;
  for (size_t i : *list) {
    const ImageSymbol &s = symbols_[i];
    if (s.bind != STB_LOCAL || s.file != file)
      continue;
    if (found)
      throw FileError(obj_.path, fmt::format("local symbol {}#{} is ambiguous: it is defined more "
                                             "than once in that file",
                                             file, name));
    found = &s;
  }
  return found;
}

const ImageSymbol *LinkedImage::by_xen_name(std::string_view xen_name) const {
  size_t hash = xen_name.find('#');
  if (hash == std::string_view::npos)
    return global(xen_name);
  return local(xen_name.substr(0, hash), xen_name.substr(hash + 1));
}

std::optional<std::vector<uint8_t>> LinkedImage::read(uint64_t addr, size_t len) const {
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), addr,
                             [](uint64_t a, const Section *s) { return a < s->addr; });
  if (it == by_addr_.begin())
    return std::nullopt;
  const Section *s = *(it - 1);
  const uint64_t off = addr - s->addr;
  if (off > s->data.size() || len > s->data.size() - off)
    return std::nullopt;
  return std::vector<uint8_t>(s->data.begin() + off, s->data.begin() + off + len);
}

} // namespace lp::elf
