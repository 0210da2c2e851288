// Lookups in a linked hypervisor image (xen-syms), read lazily.
//
// open() maps the file (mapped_file.h), validates the ELF header and section
// table (section_table.h) and every symbol table entry's name offset and
// section index, which is one pass over 24-byte entries and touches no other
// section. Nothing is copied: sections are views into the mapping, symbols
// are read where they lie. A lookup by name scans the symbol table, tracking
// the STT_FILE scope of locals, until kScansBeforeIndex lookups were made;
// then the names of the lookup symbols are indexed once (views into the
// string table, so the index holds no strings of its own) and later lookups
// take the short list of one name. An ImageSymbol is made for a symbol the
// first time a lookup returns it and kept, so pointers stay valid and equal
// for the image's lifetime. Address reads binary-search the allocated
// PROGBITS sections sorted by address. One mutex serialises lookups: they
// are few per diffed object, and the index and the made symbols are shared.
#include "elf/image.h"

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/section_table.h"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <mutex>
#include <unordered_map>

namespace lp::elf {

std::string ImageSymbol::xen_name() const {
  if (file.empty())
    return name;
  return file + "#" + name;
}

namespace {

// A run that asks for a handful of names (the release check, a few changed
// functions) scans; one that asks for more pays for the index once.
constexpr unsigned kScansBeforeIndex = 8;

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

struct NameHash {
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

} // namespace

struct LinkedImage::State {
  std::string path;
  MappedFile file;
  SectionTable t;
  std::vector<ImageSection> sections;
  std::vector<const ImageSection *> by_addr; // allocated PROGBITS with contents, by address
  const uint8_t *symtab = nullptr;
  uint32_t nsyms = 0;
  const char *strtab = nullptr;

  std::mutex m; // guards everything below
  unsigned scans = 0;
  bool indexed = false;
  std::unordered_map<std::string_view, std::vector<uint32_t>, NameHash> by_name;
  std::vector<uint32_t> scope; // by symbol index: its STT_FILE symbol's index, 0 for none
  std::unordered_map<uint32_t, std::unique_ptr<ImageSymbol>> made;
  std::vector<ImageSymbol> all;
  bool all_made = false;

  Elf64_Sym sym(uint32_t i) const {
    Elf64_Sym s;
    std::memcpy(&s, symtab + size_t(i) * sizeof s, sizeof s);
    return s;
  }
  const char *name_of(const Elf64_Sym &s) const { return strtab + s.st_name; }
  bool modelled(uint32_t shndx) const {
    return shndx != t.symtab && shndx != t.strtab && shndx != t.shstrndx;
  }
  bool is_lookup(const Elf64_Sym &s) const {
    const uint8_t type = ELF64_ST_TYPE(s.st_info);
    if (type == STT_FILE || type == STT_SECTION || !strtab[s.st_name])
      return false;
    return s.st_shndx == SHN_ABS || (s.st_shndx != SHN_UNDEF && s.st_shndx < SHN_LORESERVE);
  }

  void check_symbols();
  void make_sections();
  void build_index();
  template <typename F> void each_named(std::string_view name, F &&f);
  const ImageSymbol *make(uint32_t i, uint32_t file);
  const ImageSymbol *find_global(std::string_view name, bool allow_weak);
  const ImageSymbol *find_local(std::string_view file, std::string_view name);
};

// What the reader refuses in a symbol table, in its words, checked once.
void LinkedImage::State::check_symbols() {
  const Elf64_Shdr &st = t.sh[t.symtab];
  const Elf64_Shdr &str = t.sh[t.strtab];
  if (!str.sh_size && st.sh_size > sizeof(Elf64_Sym))
    t.fail("symbol 1 has name offset 0, past the end of its string table (0 bytes)");
  symtab = t.bytes.data() + st.sh_offset;
  nsyms = static_cast<uint32_t>(st.sh_size / sizeof(Elf64_Sym));
  strtab = reinterpret_cast<const char *>(t.bytes.data()) + str.sh_offset;
  // Names at or past the last NUL run off the end of the string table.
  uint64_t terminated = str.sh_size;
  while (terminated > 0 && strtab[terminated - 1] != 0)
    --terminated;
  const uint32_t nsec = static_cast<uint32_t>(t.sh.size());
  for (uint32_t i = 1; i < nsyms; ++i) {
    const Elf64_Sym s = sym(i);
    if (s.st_name >= str.sh_size)
      t.string_at(t.strtab, s.st_name, "symbol", i); // throws, with the reader's message
    if (s.st_name >= terminated)
      t.fail(fmt::format("symbol {} has a name that runs past the end of its string table", i));
    const uint16_t x = s.st_shndx;
    if (x == SHN_UNDEF || x == SHN_ABS || x == SHN_COMMON)
      continue;
    const char *nm = name_of(s);
    if (x == SHN_XINDEX)
      t.fail(fmt::format("symbol {} ({}) uses SHN_XINDEX; extended section numbering is not "
                         "supported",
                         i, nm));
    if (x >= SHN_LORESERVE)
      t.fail(fmt::format("symbol {} ({}) has unsupported section index {:#x}", i, nm, x));
    if (x >= nsec)
      t.fail(fmt::format("symbol {} ({}) refers to section {}, but there are only {} sections", i,
                         nm, x, nsec));
    if (!modelled(x))
      t.fail(fmt::format("symbol {} ({}) is defined in {}, which is not a section the model holds",
                         i, nm, t.names[x]));
  }
}

void LinkedImage::State::make_sections() {
  sections.reserve(t.sh.size());
  for (uint32_t i = 1; i < t.sh.size(); ++i) {
    const Elf64_Shdr &h = t.sh[i];
    sections.push_back({t.names[i], h.sh_type, h.sh_flags, h.sh_addr, h.sh_size, t.contents(i)});
  }
  for (const ImageSection &s : sections)
    if ((s.flags & SHF_ALLOC) && s.type == SHT_PROGBITS && s.size)
      by_addr.push_back(&s);
  std::sort(by_addr.begin(), by_addr.end(),
            [](const ImageSection *a, const ImageSection *b) { return a->addr < b->addr; });
}

void LinkedImage::State::build_index() {
  scope.assign(nsyms, 0);
  uint32_t file = 0;
  for (uint32_t i = 1; i < nsyms; ++i) {
    const Elf64_Sym s = sym(i);
    if (ELF64_ST_TYPE(s.st_info) == STT_FILE)
      file = i;
    else if (ELF64_ST_BIND(s.st_info) == STB_LOCAL)
      scope[i] = file;
    if (is_lookup(s))
      by_name[name_of(s)].push_back(i);
  }
  indexed = true;
}

// Calls f(index, file scope) for every lookup symbol named `name`, in symbol table order.
template <typename F> void LinkedImage::State::each_named(std::string_view name, F &&f) {
  if (!indexed && ++scans > kScansBeforeIndex)
    build_index();
  if (indexed) {
    auto it = by_name.find(name);
    if (it != by_name.end())
      for (uint32_t i : it->second)
        if (f(i, scope[i]))
          return;
    return;
  }
  uint32_t file = 0;
  for (uint32_t i = 1; i < nsyms; ++i) {
    const Elf64_Sym s = sym(i);
    const char *nm = name_of(s);
    if (ELF64_ST_TYPE(s.st_info) == STT_FILE) {
      file = i;
      continue;
    }
    if (nm[0] != name[0] || name != nm || !is_lookup(s))
      continue;
    if (f(i, ELF64_ST_BIND(s.st_info) == STB_LOCAL ? file : 0))
      return;
  }
}

const ImageSymbol *LinkedImage::State::make(uint32_t i, uint32_t file) {
  auto &slot = made[i];
  if (!slot) {
    const Elf64_Sym s = sym(i);
    slot = std::make_unique<ImageSymbol>();
    slot->name = name_of(s);
    if (file)
      slot->file = name_of(sym(file));
    slot->address = s.st_value;
    slot->size = s.st_size;
    slot->type = ELF64_ST_TYPE(s.st_info);
    slot->bind = ELF64_ST_BIND(s.st_info);
  }
  return slot.get();
}

const ImageSymbol *LinkedImage::State::find_global(std::string_view name, bool allow_weak) {
  const ImageSymbol *found = nullptr;
  each_named(name, [&](uint32_t i, uint32_t file) {
    const uint8_t bind = ELF64_ST_BIND(sym(i).st_info);
    if (bind == STB_GLOBAL || (allow_weak && bind == STB_WEAK))
      found = make(i, file);
    return found != nullptr;
  });
  return found;
}

const ImageSymbol *LinkedImage::State::find_local(std::string_view file, std::string_view name) {
  uint32_t found = 0, found_file = 0;
  each_named(name, [&](uint32_t i, uint32_t scope_file) {
    if (ELF64_ST_BIND(sym(i).st_info) != STB_LOCAL ||
        file != (scope_file ? name_of(sym(scope_file)) : ""))
      return false;
    if (found)
      throw FileError(path, fmt::format("local symbol {}#{} is ambiguous: it is defined more "
                                        "than once in that file",
                                        file, name));
    found = i;
    found_file = scope_file;
    return false;
  });
  return found ? make(found, found_file) : nullptr;
}

LinkedImage::LinkedImage() : s_(std::make_unique<State>()) {}
LinkedImage::LinkedImage(LinkedImage &&) noexcept = default;
LinkedImage &LinkedImage::operator=(LinkedImage &&) noexcept = default;
LinkedImage::~LinkedImage() = default;

LinkedImage LinkedImage::open(const std::string &path) {
  LinkedImage img;
  State &s = *img.s_;
  s.path = path;
  s.file = MappedFile::open(path);
  s.t = read_section_table(s.file.bytes(), path);
  if (s.t.eh.e_type != ET_EXEC && s.t.eh.e_type != ET_DYN)
    throw FileError(path, "not a linked image (expected ET_EXEC or ET_DYN)");
  if (!s.t.symtab || s.t.sh[s.t.symtab].sh_size <= sizeof(Elf64_Sym))
    throw FileError(path, "has no symbol table");
  s.check_symbols();
  s.make_sections();
  return img;
}

const std::string &LinkedImage::path() const { return s_->path; }
uint16_t LinkedImage::e_type() const { return s_->t.eh.e_type; }
std::span<const ImageSection> LinkedImage::sections() const { return s_->sections; }

const ImageSection *LinkedImage::section_named(std::string_view name) const {
  for (const ImageSection &s : s_->sections)
    if (s.name == name)
      return &s;
  return nullptr;
}

namespace {

std::optional<Note> find_build_id(std::span<const ImageSection> sections) {
  for (const ImageSection &s : sections) {
    if (s.type != SHT_NOTE)
      continue;
    std::optional<Note> found;
    for_each_note(s.bytes, [&](const Note &n) {
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

std::optional<std::vector<uint8_t>> LinkedImage::build_id() const {
  std::optional<Note> n = find_build_id(s_->sections);
  if (!n)
    return std::nullopt;
  return std::vector<uint8_t>(n->desc.begin(), n->desc.end());
}

std::optional<std::vector<uint8_t>> LinkedImage::build_id_note() const {
  std::optional<Note> n = find_build_id(s_->sections);
  if (!n)
    return std::nullopt;
  return std::vector<uint8_t>(n->whole.begin(), n->whole.end());
}

const ImageSymbol *LinkedImage::global(std::string_view name, bool allow_weak) const {
  if (name.empty())
    return nullptr;
  std::lock_guard<std::mutex> lock(s_->m);
  return s_->find_global(name, allow_weak);
}

const ImageSymbol *LinkedImage::local(std::string_view file, std::string_view name) const {
  if (name.empty())
    return nullptr;
  std::lock_guard<std::mutex> lock(s_->m);
  return s_->find_local(file, name);
}

const ImageSymbol *LinkedImage::by_xen_name(std::string_view xen_name) const {
  size_t hash = xen_name.find('#');
  if (hash == std::string_view::npos)
    return global(xen_name);
  return local(xen_name.substr(0, hash), xen_name.substr(hash + 1));
}

bool LinkedImage::has_symbol_named(std::string_view name) const {
  const State &s = *s_;
  for (uint32_t i = 1; i < s.nsyms; ++i)
    if (name == s.name_of(s.sym(i)))
      return true;
  return false;
}

std::optional<std::vector<uint8_t>> LinkedImage::read(uint64_t addr, size_t len) const {
  const auto &by_addr = s_->by_addr;
  auto it = std::upper_bound(by_addr.begin(), by_addr.end(), addr,
                             [](uint64_t a, const ImageSection *s) { return a < s->addr; });
  if (it == by_addr.begin())
    return std::nullopt;
  const ImageSection *s = *(it - 1);
  const uint64_t off = addr - s->addr;
  if (off > s->bytes.size() || len > s->bytes.size() - off)
    return std::nullopt;
  return std::vector<uint8_t>(s->bytes.begin() + off, s->bytes.begin() + off + len);
}

std::span<const ImageSymbol> LinkedImage::symbols() const {
  State &s = *s_;
  std::lock_guard<std::mutex> lock(s.m);
  if (!s.all_made) {
    uint32_t file = 0;
    for (uint32_t i = 1; i < s.nsyms; ++i) {
      const Elf64_Sym e = s.sym(i);
      if (ELF64_ST_TYPE(e.st_info) == STT_FILE)
        file = i;
      if (!s.is_lookup(e))
        continue;
      const bool local = ELF64_ST_BIND(e.st_info) == STB_LOCAL;
      ImageSymbol is;
      is.name = s.name_of(e);
      if (local && file)
        is.file = s.name_of(s.sym(file));
      is.address = e.st_value;
      is.size = e.st_size;
      is.type = ELF64_ST_TYPE(e.st_info);
      is.bind = ELF64_ST_BIND(e.st_info);
      s.all.push_back(std::move(is));
    }
    s.all_made = true;
  }
  return s.all;
}

} // namespace lp::elf
