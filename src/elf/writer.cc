// Writing the object model as an ELF64 x86-64 relocatable object.
//
// The writer serialises by hand with <elf.h> structures rather than through
// libelf's layout engine: the layout is simple and fully ours, which makes the
// output a pure function of the model.
//
//   ELF header | section contents, each at its alignment, in model order |
//   .symtab | .strtab | .shstrtab | section header table
//
// Indices are assigned first: sections in vector order from 1, then symbols
// (null, locals in vector order, then the rest). Every pointer in the model
// is turned into an index through a hash map built from the Object's own
// vectors, so a relocation, symbol, group member or link that points at an
// element outside the Object is refused with a FileError instead of
// producing a file with a dangling index. String tables are deduplicated by
// exact string, in first-use order.
#include "elf/writer.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <unordered_map>

namespace lp::elf {
namespace {

uint64_t align_up(uint64_t v, uint64_t align) {
  return align <= 1 ? v : (v + align - 1) & ~(align - 1);
}

// A string table that starts and ends with NUL and stores each string once.
// Keys are views of the model's own strings (or literals), which outlive the
// writer, so adding a string allocates nothing but table space.
class StringTable {
public:
  StringTable() { data_.push_back('\0'); }
  uint32_t add(std::string_view s) {
    if (s.empty())
      return 0;
    auto [it, inserted] = offsets_.try_emplace(s, static_cast<uint32_t>(data_.size()));
    if (inserted) {
      data_.append(s);
      data_.push_back('\0');
    }
    return it->second;
  }
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t *>(data_.data()), data_.size()};
  }

private:
  std::string data_;
  std::unordered_map<std::string_view, uint32_t> offsets_;
};

template <typename T> void append_pod(std::vector<uint8_t> &out, const T &v) {
  const auto *p = reinterpret_cast<const uint8_t *>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

class Writer {
public:
  explicit Writer(const Object &obj) : obj_(obj) {}
  std::vector<uint8_t> run();

private:
  [[noreturn]] void fail(const std::string &problem) const { throw FileError(obj_.path, problem); }
  void number_sections();
  void number_symbols();
  // Output index of an element, or 0 if it is not in the object.
  uint32_t index_of(const Section *s) const;
  uint32_t index_of(const Symbol *s) const;
  // Output index of an element that `referrer()` (called only on failure, to
  // name the referring element) points at; FileError if it is not in the object.
  template <typename Referrer> uint32_t must_index(const Section *s, Referrer &&referrer) const;
  template <typename Referrer> uint32_t must_index(const Symbol *s, Referrer &&referrer) const;
  std::vector<uint8_t> encode_relas(const Section &sec) const;
  std::vector<uint8_t> encode_group(const Section &sec) const;
  std::vector<uint8_t> encode_symtab();
  Elf64_Shdr header_for(const Section &sec, std::vector<uint8_t> &derived);
  void place(Elf64_Shdr &sh, std::span<const uint8_t> bytes);

  const Object &obj_;
  std::unordered_map<const Section *, uint32_t> sec_index_;
  std::unordered_map<const Symbol *, uint32_t> sym_index_;
  std::vector<const Symbol *> sym_order_;
  uint32_t first_global_ = 1;
  uint32_t symtab_index_ = 0;
  StringTable shstr_;
  StringTable str_;
  // Placed contents: (offset, bytes) in file order; derived bytes are owned here.
  std::vector<std::pair<uint64_t, std::span<const uint8_t>>> chunks_;
  std::vector<std::vector<uint8_t>> owned_;
  uint64_t offset_ = sizeof(Elf64_Ehdr);
};

void Writer::number_sections() {
  const size_t total = obj_.sections.size() + 4; // null + .symtab .strtab .shstrtab
  if (total >= SHN_LORESERVE)
    fail(fmt::format("{} sections need extended section numbering, which is not supported", total));
  sec_index_.reserve(obj_.sections.size());
  uint32_t i = 1;
  for (const auto &s : obj_.sections)
    if (!sec_index_.try_emplace(s.get(), i++).second)
      fail(fmt::format("section {} appears twice in the object", s->name));
  symtab_index_ = i;
}

void Writer::number_symbols() {
  sym_order_.reserve(obj_.symbols.size());
  for (const auto &s : obj_.symbols)
    if (s->is_local())
      sym_order_.push_back(s.get());
  first_global_ = static_cast<uint32_t>(sym_order_.size()) + 1;
  for (const auto &s : obj_.symbols)
    if (!s->is_local())
      sym_order_.push_back(s.get());
  sym_index_.reserve(sym_order_.size());
  for (size_t i = 0; i < sym_order_.size(); ++i)
    if (!sym_index_.try_emplace(sym_order_[i], static_cast<uint32_t>(i + 1)).second)
      fail(fmt::format("symbol {} appears twice in the object", sym_order_[i]->display_name()));
}

uint32_t Writer::index_of(const Section *s) const {
  auto it = sec_index_.find(s);
  return it == sec_index_.end() ? 0 : it->second;
}

uint32_t Writer::index_of(const Symbol *s) const {
  auto it = sym_index_.find(s);
  return it == sym_index_.end() ? 0 : it->second;
}

template <typename Referrer>
uint32_t Writer::must_index(const Section *s, Referrer &&referrer) const {
  if (uint32_t i = index_of(s))
    return i;
  fail(fmt::format("{} refers to section {}, which is not in the object", referrer(),
                   s ? s->name : std::string("(null)")));
}

template <typename Referrer>
uint32_t Writer::must_index(const Symbol *s, Referrer &&referrer) const {
  if (uint32_t i = index_of(s))
    return i;
  fail(fmt::format("{} refers to symbol {}, which is not in the object", referrer(),
                   s ? std::string(s->display_name()) : std::string("(null)")));
}

std::vector<uint8_t> Writer::encode_relas(const Section &sec) const {
  std::vector<uint8_t> out;
  out.reserve(sec.relas.size() * sizeof(Elf64_Rela));
  for (size_t j = 0; j < sec.relas.size(); ++j) {
    const Rela &r = sec.relas[j];
    uint32_t sym = must_index(r.sym, [&] { return fmt::format("relocation {} in {}", j, sec.name); });
    Elf64_Rela er{r.offset, ELF64_R_INFO(sym, r.type), r.addend};
    append_pod(out, er);
  }
  return out;
}

std::vector<uint8_t> Writer::encode_group(const Section &sec) const {
  std::vector<uint8_t> out;
  out.reserve(4 * (sec.group_members.size() + 1));
  append_pod(out, sec.group_flags);
  for (const Section *m : sec.group_members)
    append_pod(out, must_index(m, [&] { return "section group " + sec.name; }));
  return out;
}

// Special section indices a symbol without a section may carry.
bool is_special_index(uint16_t shndx) {
  return shndx == SHN_UNDEF || shndx == SHN_ABS || shndx == SHN_COMMON;
}

std::vector<uint8_t> Writer::encode_symtab() {
  std::vector<uint8_t> out;
  out.reserve((sym_order_.size() + 1) * sizeof(Elf64_Sym));
  append_pod(out, Elf64_Sym{});
  for (const Symbol *s : sym_order_) {
    Elf64_Sym es{};
    es.st_name = s->is_section() ? 0 : str_.add(s->name);
    es.st_info = ELF64_ST_INFO(s->bind, s->type);
    es.st_other = s->other;
    if (s->section)
      es.st_shndx = static_cast<uint16_t>(must_index(s->section, [&] { return "symbol " + s->name; }));
    else if (is_special_index(s->shndx))
      es.st_shndx = s->shndx;
    else
      fail(fmt::format("symbol {} has no section and section index {}", s->display_name(), s->shndx));
    es.st_value = s->value;
    es.st_size = s->size;
    append_pod(out, es);
  }
  return out;
}

// Header of one model section; `derived` receives encoded contents for
// RELA and GROUP sections.
Elf64_Shdr Writer::header_for(const Section &sec, std::vector<uint8_t> &derived) {
  Elf64_Shdr sh{};
  sh.sh_name = shstr_.add(sec.name);
  sh.sh_type = sec.type;
  sh.sh_flags = sec.flags & ~uint64_t(SHF_COMPRESSED);
  sh.sh_addr = sec.addr;
  sh.sh_addralign = (sec.is_alloc() && sec.align == 0) ? 1 : sec.align;
  sh.sh_entsize = sec.entsize;
  if ((sh.sh_addralign & (sh.sh_addralign - 1)) != 0 || sh.sh_addralign > kMaxSectionAlign)
    fail(fmt::format("section {} has unsupported alignment {}", sec.name, sec.align));
  if (sec.type == SHT_RELA) {
    if (!sec.info)
      fail(fmt::format("relocation section {} has no target section", sec.name));
    derived = encode_relas(sec);
    sh.sh_link = symtab_index_;
    sh.sh_info = must_index(sec.info, [&] { return "relocation section " + sec.name; });
    sh.sh_flags |= SHF_INFO_LINK;
    sh.sh_entsize = sizeof(Elf64_Rela);
    sh.sh_addralign = 8;
  } else if (sec.type == SHT_GROUP) {
    if (!sec.group_signature)
      fail(fmt::format("section group {} has no signature symbol", sec.name));
    derived = encode_group(sec);
    sh.sh_link = symtab_index_;
    sh.sh_info = must_index(sec.group_signature, [&] { return "section group " + sec.name; });
    sh.sh_entsize = 4;
    sh.sh_addralign = 4;
  } else {
    if (!sec.is_nobits() && sec.size != sec.data.size())
      fail(fmt::format("section {} has size {} but {} bytes of data", sec.name, sec.size,
                       sec.data.size()));
    if (sec.link)
      sh.sh_link = must_index(sec.link, [&] { return "section " + sec.name; });
    if (sec.info)
      sh.sh_info = must_index(sec.info, [&] { return "section " + sec.name; });
  }
  if (sec.is_nobits())
    sh.sh_size = sec.size;
  return sh;
}

// Gives `sh` its file offset (aligned) and size, and queues the bytes.
void Writer::place(Elf64_Shdr &sh, std::span<const uint8_t> bytes) {
  offset_ = align_up(offset_, sh.sh_addralign);
  sh.sh_offset = offset_;
  if (sh.sh_type == SHT_NOBITS)
    return;
  sh.sh_size = bytes.size();
  chunks_.emplace_back(offset_, bytes);
  offset_ += bytes.size();
}

std::vector<uint8_t> Writer::run() {
  number_sections();
  number_symbols();
  std::vector<Elf64_Shdr> shdrs(1);
  shdrs.reserve(obj_.sections.size() + 4);
  owned_.reserve(obj_.sections.size() + 1);
  for (const auto &s : obj_.sections) {
    std::vector<uint8_t> derived;
    Elf64_Shdr sh = header_for(*s, derived);
    if (s->type == SHT_RELA || s->type == SHT_GROUP) {
      owned_.push_back(std::move(derived));
      place(sh, owned_.back());
    } else {
      place(sh, s->data);
    }
    shdrs.push_back(sh);
  }
  owned_.push_back(encode_symtab());
  Elf64_Shdr symtab{shstr_.add(".symtab"), SHT_SYMTAB, 0, 0, 0, 0, symtab_index_ + 1, first_global_,
                    8, sizeof(Elf64_Sym)};
  place(symtab, owned_.back());
  shdrs.push_back(symtab);
  Elf64_Shdr strtab{shstr_.add(".strtab"), SHT_STRTAB, 0, 0, 0, 0, 0, 0, 1, 0};
  place(strtab, str_.bytes());
  shdrs.push_back(strtab);
  Elf64_Shdr shstrtab{shstr_.add(".shstrtab"), SHT_STRTAB, 0, 0, 0, 0, 0, 0, 1, 0};
  place(shstrtab, shstr_.bytes()); // the table is complete once its own name is in it
  shdrs.push_back(shstrtab);

  const uint64_t shoff = align_up(offset_, 8);
  std::vector<uint8_t> out(shoff + shdrs.size() * sizeof(Elf64_Shdr), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = obj_.osabi;
  eh.e_ident[EI_ABIVERSION] = obj_.abiversion;
  eh.e_type = ET_REL;
  eh.e_machine = obj_.e_machine;
  eh.e_version = EV_CURRENT;
  eh.e_shoff = shoff;
  eh.e_flags = obj_.e_flags;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = static_cast<uint16_t>(shdrs.size());
  eh.e_shstrndx = static_cast<uint16_t>(shdrs.size() - 1);
  std::memcpy(out.data(), &eh, sizeof eh);
  for (const auto &[off, bytes] : chunks_)
    if (!bytes.empty())
      std::memcpy(out.data() + off, bytes.data(), bytes.size());
  std::memcpy(out.data() + shoff, shdrs.data(), shdrs.size() * sizeof(Elf64_Shdr));
  return out;
}

} // namespace

std::vector<uint8_t> serialize(const Object &obj) { return Writer(obj).run(); }

void write_object(const Object &obj, const std::string &path, unsigned mode) {
  std::vector<uint8_t> bytes = serialize(obj);
  write_file_atomically(path, bytes, mode);
}

} // namespace lp::elf
