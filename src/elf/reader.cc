// Reading ELF files into the object model.
//
// The reader works in three passes over the file, mapped (mapped_file.h), not
// copied:
//
//  1. Validate the raw ELF header and section header table with overflow-safe
//     arithmetic before libelf interprets anything (section_table.h):
//     identity, class, byte order, machine, the section table's bounds, every
//     section's file range, names, sh_link/sh_info, alignment. A failure is
//     one FileError naming the file and the first problem found.
//  2. Hand the bytes to libelf (elf_memory) and build Section objects from
//     its section data; SHF_COMPRESSED sections are inflated with zlib.
//  3. Build Symbols, then resolve what refers to what: relocations to their
//     symbols and target sections, groups to their members and signature,
//     STT_SECTION symbols to their sections, locals to their STT_FILE scope.
//     Every index is range-checked against tables built in the same pass, so
//     a corrupt index is an error rather than a wild pointer.
//
// The section header string table, the symbol table and its string table are
// consumed here and not kept in the model: the writer rebuilds them.
// Relocation and group sections of linked images (ET_EXEC/ET_DYN) are kept as
// raw bytes; only relocatable objects have their relocations decoded.
#include "elf/reader.h"

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/section_table.h"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <mutex>
#include <zlib.h>

namespace lp::elf {
namespace {

constexpr size_t kSymSize = sizeof(Elf64_Sym);
constexpr size_t kRelaSize = sizeof(Elf64_Rela);

void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

bool is_power_of_two_or_zero(uint64_t v) { return (v & (v - 1)) == 0; }

// One read in progress: the file's bytes (owned by the caller), its validated
// section table and the model being built. Index tables map input indices to
// model elements; a null entry is an index that names nothing in the model.
class Reader {
public:
  Reader(std::span<uint8_t> bytes, std::string name) : buf_(bytes), name_(std::move(name)) {}
  ~Reader() {
    if (elf_)
      elf_end(elf_);
  }
  Reader(const Reader &) = delete;
  Reader &operator=(const Reader &) = delete;

  Object run();

private:
  [[noreturn]] void fail(const std::string &problem) const { throw FileError(name_, problem); }

  std::string_view string_at(uint32_t strtab, uint64_t offset, const char *kind, size_t index) const {
    return t_.string_at(strtab, offset, kind, index);
  }
  bool is_modelled(uint32_t index) const {
    return index != t_.symtab && index != t_.strtab && index != t_.shstrndx;
  }

  void open_libelf();
  std::span<const uint8_t> raw_data(uint32_t index) const;
  void read_sections();
  std::vector<uint8_t> inflate(uint32_t index, std::span<const uint8_t> raw, uint64_t &align) const;
  void read_symbols();
  void link_sections();
  void read_relocations(Section &sec, uint32_t index);
  void read_group(Section &sec, uint32_t index);

  Section *section_ref(uint32_t index) const { return index < secs_.size() ? secs_[index] : nullptr; }

  std::span<uint8_t> buf_;
  std::string name_;
  SectionTable t_;
  Elf *elf_ = nullptr;
  Object obj_;
  std::vector<Section *> secs_;
  std::vector<Symbol *> syms_;
};

void Reader::open_libelf() {
  init_libelf();
  elf_ = elf_memory(reinterpret_cast<char *>(buf_.data()), buf_.size());
  if (!elf_ || elf_kind(elf_) != ELF_K_ELF)
    fail(fmt::format("libelf cannot read the file: {}", elf_errmsg(-1)));
}

std::span<const uint8_t> Reader::raw_data(uint32_t index) const {
  const Elf64_Shdr &s = t_.sh[index];
  if (s.sh_type == SHT_NOBITS || s.sh_size == 0)
    return {};
  Elf_Scn *scn = elf_getscn(elf_, index);
  Elf_Data *d = scn ? elf_rawdata(scn, nullptr) : nullptr;
  if (!d || d->d_size != s.sh_size)
    fail(fmt::format("libelf cannot read section {}: {}", t_.names[index], elf_errmsg(-1)));
  return {static_cast<const uint8_t *>(d->d_buf), d->d_size};
}

// Decompresses an SHF_COMPRESSED section (ELFCOMPRESS_ZLIB). The declared
// size is bounded by zlib's maximum expansion ratio, so a corrupt header
// cannot make the reader allocate without limit.
std::vector<uint8_t> Reader::inflate(uint32_t index, std::span<const uint8_t> raw,
                                     uint64_t &align) const {
  const std::string_view nm = t_.names[index];
  Elf64_Chdr ch{};
  if (raw.size() < sizeof ch)
    fail(fmt::format("compressed section {} is shorter than its compression header", nm));
  std::memcpy(&ch, raw.data(), sizeof ch);
  if (ch.ch_type != ELFCOMPRESS_ZLIB)
    fail(fmt::format("compressed section {} uses unsupported compression type {}", nm, ch.ch_type));
  const uint64_t packed = raw.size() - sizeof ch;
  if (ch.ch_size > packed * 1032 + 64)
    fail(fmt::format("compressed section {} claims an impossible size {}", nm, ch.ch_size));
  if (!is_power_of_two_or_zero(ch.ch_addralign) || ch.ch_addralign > kMaxSectionAlign)
    fail(fmt::format("compressed section {} has unsupported alignment {}", nm, ch.ch_addralign));
  std::vector<uint8_t> out(ch.ch_size);
  uLongf out_len = out.size();
  int rc = uncompress(out.data(), &out_len, raw.data() + sizeof ch, packed);
  if (rc != Z_OK || out_len != out.size())
    fail(fmt::format("compressed section {} does not decompress to its declared size", nm));
  align = ch.ch_addralign;
  return out;
}

void Reader::read_sections() {
  const uint32_t n = static_cast<uint32_t>(t_.sh.size());
  secs_.assign(n, nullptr);
  obj_.sections.reserve(n);
  for (uint32_t i = 1; i < n; ++i) {
    if (!is_modelled(i))
      continue;
    const Elf64_Shdr &s = t_.sh[i];
    auto sec = std::make_unique<Section>();
    sec->name = t_.names[i];
    sec->type = s.sh_type;
    sec->flags = s.sh_flags;
    sec->addr = s.sh_addr;
    sec->align = s.sh_addralign;
    sec->entsize = s.sh_entsize;
    sec->input_index = i;
    bool derived = obj_.e_type == ET_REL && (s.sh_type == SHT_RELA || s.sh_type == SHT_GROUP);
    if (s.sh_type == SHT_NOBITS) {
      sec->size = s.sh_size;
    } else if (!derived) {
      std::span<const uint8_t> raw = raw_data(i);
      if (s.sh_flags & SHF_COMPRESSED) {
        sec->set_data(inflate(i, raw, sec->align));
        sec->flags &= ~uint64_t(SHF_COMPRESSED);
      } else {
        sec->set_data({raw.begin(), raw.end()});
      }
    }
    secs_[i] = &obj_.add_section(std::move(sec));
  }
}

void Reader::read_symbols() {
  if (!t_.symtab)
    return;
  Elf_Data *d = elf_getdata(elf_getscn(elf_, t_.symtab), nullptr);
  const size_t count = t_.sh[t_.symtab].sh_size / kSymSize;
  if (count > 0 && (!d || d->d_size != t_.sh[t_.symtab].sh_size))
    fail(fmt::format("libelf cannot read the symbol table: {}", elf_errmsg(-1)));
  syms_.assign(count, nullptr);
  obj_.symbols.reserve(count);
  const uint32_t nsec = static_cast<uint32_t>(t_.sh.size());
  Symbol *scope = nullptr;
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym es;
    if (!gelf_getsym(d, static_cast<int>(i), &es))
      fail(fmt::format("libelf cannot read symbol {}: {}", i, elf_errmsg(-1)));
    auto sym = std::make_unique<Symbol>();
    sym->name = string_at(t_.strtab, es.st_name, "symbol", i);
    sym->bind = GELF_ST_BIND(es.st_info);
    sym->type = GELF_ST_TYPE(es.st_info);
    sym->other = es.st_other;
    sym->value = es.st_value;
    sym->size = es.st_size;
    sym->input_index = static_cast<uint32_t>(i);
    const uint16_t x = es.st_shndx;
    if (x == SHN_XINDEX)
      fail(fmt::format("symbol {} ({}) uses SHN_XINDEX; extended section numbering is not supported",
                       i, sym->name));
    if (x == SHN_UNDEF || x == SHN_ABS || x == SHN_COMMON) {
      sym->shndx = x;
    } else if (x >= SHN_LORESERVE) {
      fail(fmt::format("symbol {} ({}) has unsupported section index {:#x}", i, sym->name, x));
    } else if (x >= nsec) {
      fail(fmt::format("symbol {} ({}) refers to section {}, but there are only {} sections", i,
                       sym->name, x, nsec));
    } else if (!secs_[x]) {
      fail(fmt::format("symbol {} ({}) is defined in {}, which is not a section the model holds", i,
                       sym->name, t_.names[x]));
    } else {
      sym->section = secs_[x];
      sym->shndx = x;
    }
    if (sym->is_file())
      scope = sym.get();
    else if (sym->is_local())
      sym->file = scope;
    if (sym->is_section() && sym->section && !sym->section->secsym)
      sym->section->secsym = sym.get();
    syms_[i] = &obj_.add_symbol(std::move(sym));
  }
}

void Reader::read_relocations(Section &sec, uint32_t index) {
  const Elf64_Shdr &s = t_.sh[index];
  if (s.sh_entsize != kRelaSize || s.sh_size % kRelaSize != 0)
    fail(fmt::format("relocation section {} has entry size {} and size {}; expected multiples of {}",
                     sec.name, s.sh_entsize, s.sh_size, kRelaSize));
  if (s.sh_link != t_.symtab || !t_.symtab)
    fail(fmt::format("relocation section {} has sh_link {}, which is not the symbol table", sec.name,
                     s.sh_link));
  Section *target = section_ref(s.sh_info);
  if (!target)
    fail(fmt::format("relocation section {} applies to section {}, which the model does not hold",
                     sec.name, s.sh_info));
  sec.info = target;
  target->rela = &sec;
  const size_t count = s.sh_size / kRelaSize;
  if (count == 0)
    return;
  Elf_Data *d = elf_getdata(elf_getscn(elf_, index), nullptr);
  if (!d || d->d_size != s.sh_size)
    fail(fmt::format("libelf cannot read {}: {}", sec.name, elf_errmsg(-1)));
  const uint64_t target_size = target->size;
  sec.relas.reserve(count);
  for (size_t j = 0; j < count; ++j) {
    GElf_Rela er;
    if (!gelf_getrela(d, static_cast<int>(j), &er))
      fail(fmt::format("libelf cannot read relocation {} in {}: {}", j, sec.name, elf_errmsg(-1)));
    const uint64_t symi = GELF_R_SYM(er.r_info);
    if (symi == 0)
      fail(fmt::format("relocation {} in {} refers to symbol index 0 (no symbol)", j, sec.name));
    if (symi >= syms_.size())
      fail(fmt::format("relocation {} in {} refers to symbol {}, but the symbol table has {} entries",
                       j, sec.name, symi, syms_.size()));
    if (er.r_offset >= target_size)
      fail(fmt::format("relocation {} in {} has offset {:#x}, past the end of {} ({} bytes)", j,
                       sec.name, er.r_offset, target->name, target_size));
    sec.relas.push_back(Rela{er.r_offset, static_cast<uint32_t>(GELF_R_TYPE(er.r_info)),
                             syms_[symi], er.r_addend});
  }
}

void Reader::read_group(Section &sec, uint32_t index) {
  const Elf64_Shdr &s = t_.sh[index];
  if (s.sh_size < 4 || s.sh_size % 4 != 0)
    fail(fmt::format("section group {} has size {}; expected a non-zero multiple of 4", sec.name,
                     s.sh_size));
  if (s.sh_link != t_.symtab || !t_.symtab)
    fail(fmt::format("section group {} has sh_link {}, which is not the symbol table", sec.name,
                     s.sh_link));
  if (s.sh_info == 0 || s.sh_info >= syms_.size())
    fail(fmt::format("section group {} has signature symbol {}, but the symbol table has {} entries",
                     sec.name, s.sh_info, syms_.size()));
  sec.group_signature = syms_[s.sh_info];
  std::span<const uint8_t> raw = raw_data(index);
  const size_t words = raw.size() / 4;
  std::memcpy(&sec.group_flags, raw.data(), 4);
  sec.group_members.reserve(words - 1);
  for (size_t w = 1; w < words; ++w) {
    uint32_t m;
    std::memcpy(&m, raw.data() + 4 * w, 4);
    Section *member = section_ref(m);
    if (!member || m == 0)
      fail(fmt::format("section group {} lists section {}, which the model does not hold ({} "
                       "sections)",
                       sec.name, m, t_.sh.size()));
    if (member->group)
      fail(fmt::format("section {} is a member of two section groups", member->name));
    member->group = &sec;
    sec.group_members.push_back(member);
  }
}

// Resolves sh_link/sh_info to sections, and decodes relocations and groups.
void Reader::link_sections() {
  for (uint32_t i = 1; i < t_.sh.size(); ++i) {
    Section *sec = secs_[i];
    if (!sec)
      continue;
    const Elf64_Shdr &s = t_.sh[i];
    const bool rel = obj_.e_type == ET_REL;
    if (rel && s.sh_type == SHT_RELA) {
      read_relocations(*sec, i);
    } else if (rel && s.sh_type == SHT_GROUP) {
      read_group(*sec, i);
    } else {
      sec->link = s.sh_link ? section_ref(s.sh_link) : nullptr;
      bool info_is_section = s.sh_type == SHT_RELA || (s.sh_flags & SHF_INFO_LINK);
      sec->info = info_is_section && s.sh_info ? section_ref(s.sh_info) : nullptr;
    }
  }
}

Object Reader::run() {
  t_ = read_section_table(buf_, name_);
  const Elf64_Ehdr &eh = t_.eh;
  obj_.path = name_;
  obj_.e_type = eh.e_type;
  obj_.e_machine = eh.e_machine;
  obj_.osabi = eh.e_ident[EI_OSABI];
  obj_.abiversion = eh.e_ident[EI_ABIVERSION];
  obj_.e_flags = eh.e_flags;
  obj_.e_entry = eh.e_entry;
  open_libelf();
  read_sections();
  read_symbols();
  link_sections();
  obj_.reindex();
  return std::move(obj_);
}

} // namespace

Object read_object(const std::string &path) {
  MappedFile file = MappedFile::open(path);
  return Reader(file.bytes(), path).run();
}

Object read_object_bytes(std::span<const uint8_t> bytes, const std::string &name) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.end()); // libelf wants a mutable buffer
  return Reader(copy, name).run();
}

} // namespace lp::elf
