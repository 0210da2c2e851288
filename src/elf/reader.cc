// Reading ELF files into the object model.
//
// The reader works in three passes over one in-memory copy of the file:
//
//  1. Validate the raw ELF header and section header table with overflow-safe
//     arithmetic before libelf interprets anything: identity, class, byte
//     order, machine, the section table's bounds, every section's file range,
//     names, sh_link/sh_info, alignment. A failure is one FileError naming the
//     file and the first problem found.
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

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <mutex>
#include <zlib.h>

namespace lp::elf {
namespace {

constexpr size_t kShdrSize = sizeof(Elf64_Shdr);
constexpr size_t kSymSize = sizeof(Elf64_Sym);
constexpr size_t kRelaSize = sizeof(Elf64_Rela);

void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

bool fits(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

bool is_power_of_two_or_zero(uint64_t v) { return (v & (v - 1)) == 0; }

// One read in progress: the file's bytes, its raw section headers and the
// model being built. Index tables map input indices to model elements;
// a null entry is an index that names nothing in the model.
class Reader {
public:
  Reader(std::string bytes, std::string name) : buf_(std::move(bytes)), name_(std::move(name)) {}
  ~Reader() {
    if (elf_)
      elf_end(elf_);
  }
  Reader(const Reader &) = delete;
  Reader &operator=(const Reader &) = delete;

  Object run();

private:
  [[noreturn]] void fail(const std::string &problem) const { throw FileError(name_, problem); }

  void check_ident() const;
  void check_header();
  void load_section_headers();
  void check_sections();
  // `kind` and `index` name the referring element in an error message.
  std::string_view string_at(uint32_t strtab, uint64_t offset, const char *kind, size_t index) const;
  std::string_view section_name(uint32_t index) const { return names_[index]; }
  bool is_modelled(uint32_t index) const { return index != symtab_ && index != strtab_ && index != shstrndx_; }

  void open_libelf();
  std::span<const uint8_t> raw_data(uint32_t index) const;
  void read_sections();
  std::vector<uint8_t> inflate(uint32_t index, std::span<const uint8_t> raw, uint64_t &align) const;
  void read_symbols();
  void link_sections();
  void read_relocations(Section &sec, uint32_t index);
  void read_group(Section &sec, uint32_t index);

  Section *section_ref(uint32_t index) const { return index < secs_.size() ? secs_[index] : nullptr; }

  std::string buf_;
  std::string name_;
  Elf64_Ehdr eh_{};
  std::vector<Elf64_Shdr> sh_;
  std::vector<std::string_view> names_;
  uint32_t shstrndx_ = 0;
  uint32_t symtab_ = 0; // 0 when there is none
  uint32_t strtab_ = 0;
  Elf *elf_ = nullptr;
  Object obj_;
  std::vector<Section *> secs_;
  std::vector<Symbol *> syms_;
};

void Reader::check_ident() const {
  const auto *id = reinterpret_cast<const unsigned char *>(buf_.data());
  if (buf_.empty())
    fail("file is empty");
  if (buf_.size() < SELFMAG || std::memcmp(id, ELFMAG, SELFMAG) != 0)
    fail("not an ELF file (bad magic)");
  if (buf_.size() < EI_NIDENT)
    fail(fmt::format("file is truncated: {} bytes, shorter than the ELF identification", buf_.size()));
  if (id[EI_CLASS] == ELFCLASS32)
    fail("32-bit ELF (ELFCLASS32) is not supported; expected ELF64 x86-64");
  if (id[EI_CLASS] != ELFCLASS64)
    fail(fmt::format("unknown ELF class {}", id[EI_CLASS]));
  if (id[EI_DATA] == ELFDATA2MSB)
    fail("big-endian ELF is not supported; expected little-endian x86-64");
  if (id[EI_DATA] != ELFDATA2LSB)
    fail(fmt::format("unknown ELF data encoding {}", id[EI_DATA]));
  if (buf_.size() < sizeof(Elf64_Ehdr))
    fail(fmt::format("file is truncated: {} bytes, shorter than the 64-byte ELF header", buf_.size()));
}

void Reader::check_header() {
  check_ident();
  std::memcpy(&eh_, buf_.data(), sizeof eh_);
  if (eh_.e_machine != EM_X86_64)
    fail(fmt::format("unsupported machine {} (e_machine); expected x86-64 ({})", eh_.e_machine,
                     EM_X86_64));
  if (eh_.e_type != ET_REL && eh_.e_type != ET_EXEC && eh_.e_type != ET_DYN)
    fail(fmt::format("unsupported ELF type {} (e_type); expected ET_REL, ET_EXEC or ET_DYN", eh_.e_type));
  if ((eh_.e_shnum == 0 && eh_.e_shoff != 0) || eh_.e_shstrndx == SHN_XINDEX)
    fail("extended section numbering (SHN_XINDEX) is not supported");
  if (eh_.e_shnum == 0)
    return;
  if (eh_.e_shentsize != kShdrSize)
    fail(fmt::format("e_shentsize is {}, expected {}", eh_.e_shentsize, kShdrSize));
  if (!fits(eh_.e_shoff, uint64_t(eh_.e_shnum) * kShdrSize, buf_.size()))
    fail("e_shoff or e_shnum corrupted");
  if (eh_.e_shstrndx == SHN_UNDEF || eh_.e_shstrndx >= eh_.e_shnum)
    fail(fmt::format("e_shstrndx {} is out of range ({} sections)", eh_.e_shstrndx, eh_.e_shnum));
  shstrndx_ = eh_.e_shstrndx;
}

void Reader::load_section_headers() {
  sh_.resize(eh_.e_shnum);
  if (!sh_.empty())
    std::memcpy(sh_.data(), buf_.data() + eh_.e_shoff, sh_.size() * kShdrSize);
}

// A NUL-terminated string at `offset` inside section `strtab`, checked.
std::string_view Reader::string_at(uint32_t strtab, uint64_t offset, const char *kind,
                                   size_t index) const {
  const Elf64_Shdr &s = sh_[strtab];
  if (offset >= s.sh_size)
    fail(fmt::format("{} {} has name offset {}, past the end of its string table ({} bytes)", kind,
                     index, offset, s.sh_size));
  const char *start = buf_.data() + s.sh_offset + offset;
  const void *nul = std::memchr(start, 0, s.sh_size - offset);
  if (!nul)
    fail(fmt::format("{} {} has a name that runs past the end of its string table", kind, index));
  return {start, static_cast<size_t>(static_cast<const char *>(nul) - start)};
}

void Reader::check_sections() {
  const uint64_t total = buf_.size();
  const uint32_t n = static_cast<uint32_t>(sh_.size());
  if (n == 0)
    return;
  const Elf64_Shdr &str = sh_[shstrndx_];
  if (str.sh_type != SHT_STRTAB)
    fail(fmt::format("e_shstrndx {} is not a string table", shstrndx_));
  if (!fits(str.sh_offset, str.sh_size, total))
    fail("section header string table runs past the end of the file");
  names_.resize(n);
  for (uint32_t i = 1; i < n; ++i)
    names_[i] = string_at(shstrndx_, sh_[i].sh_name, "section", i);
  for (uint32_t i = 1; i < n; ++i) {
    const Elf64_Shdr &s = sh_[i];
    const std::string_view nm = names_[i];
    if (s.sh_type != SHT_NOBITS && !fits(s.sh_offset, s.sh_size, total))
      fail(fmt::format("section {} runs past the end of the file", nm));
    if (s.sh_link >= n)
      fail(fmt::format("section {} has sh_link {}, but there are only {} sections", nm, s.sh_link, n));
    bool info_is_section = s.sh_type == SHT_RELA || (s.sh_flags & SHF_INFO_LINK);
    if (info_is_section && s.sh_info >= n)
      fail(fmt::format("section {} has sh_info {}, but there are only {} sections", nm, s.sh_info, n));
    if (!is_power_of_two_or_zero(s.sh_addralign))
      fail(fmt::format("section {} has sh_addralign {}, which is not a power of two", nm,
                       s.sh_addralign));
    if (s.sh_addralign > kMaxSectionAlign)
      fail(fmt::format("section {} has sh_addralign {}, larger than the supported {}", nm,
                       s.sh_addralign, kMaxSectionAlign));
    if (s.sh_type == SHT_REL)
      fail(fmt::format("section {} is SHT_REL; only SHT_RELA relocations exist on x86-64", nm));
    if (s.sh_type == SHT_SYMTAB_SHNDX)
      fail(fmt::format("section {} is SHT_SYMTAB_SHNDX; extended section numbering (SHN_XINDEX) "
                       "is not supported",
                       nm));
    if (s.sh_type == SHT_SYMTAB) {
      if (symtab_)
        fail("more than one SHT_SYMTAB section");
      symtab_ = i;
    }
  }
  if (!symtab_)
    return;
  const Elf64_Shdr &st = sh_[symtab_];
  if (st.sh_entsize != kSymSize || st.sh_size % kSymSize != 0)
    fail(fmt::format("symbol table {} has entry size {} and size {}; expected multiples of {}",
                     names_[symtab_], st.sh_entsize, st.sh_size, kSymSize));
  if (st.sh_link == 0 || sh_[st.sh_link].sh_type != SHT_STRTAB)
    fail(fmt::format("symbol table {} has sh_link {}, which is not a string table", names_[symtab_],
                     st.sh_link));
  strtab_ = st.sh_link;
}

void Reader::open_libelf() {
  init_libelf();
  elf_ = elf_memory(buf_.data(), buf_.size());
  if (!elf_ || elf_kind(elf_) != ELF_K_ELF)
    fail(fmt::format("libelf cannot read the file: {}", elf_errmsg(-1)));
}

std::span<const uint8_t> Reader::raw_data(uint32_t index) const {
  const Elf64_Shdr &s = sh_[index];
  if (s.sh_type == SHT_NOBITS || s.sh_size == 0)
    return {};
  Elf_Scn *scn = elf_getscn(elf_, index);
  Elf_Data *d = scn ? elf_rawdata(scn, nullptr) : nullptr;
  if (!d || d->d_size != s.sh_size)
    fail(fmt::format("libelf cannot read section {}: {}", names_[index], elf_errmsg(-1)));
  return {static_cast<const uint8_t *>(d->d_buf), d->d_size};
}

// Decompresses an SHF_COMPRESSED section (ELFCOMPRESS_ZLIB). The declared
// size is bounded by zlib's maximum expansion ratio, so a corrupt header
// cannot make the reader allocate without limit.
std::vector<uint8_t> Reader::inflate(uint32_t index, std::span<const uint8_t> raw,
                                     uint64_t &align) const {
  const std::string_view nm = names_[index];
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
  const uint32_t n = static_cast<uint32_t>(sh_.size());
  secs_.assign(n, nullptr);
  obj_.sections.reserve(n);
  for (uint32_t i = 1; i < n; ++i) {
    if (!is_modelled(i))
      continue;
    const Elf64_Shdr &s = sh_[i];
    auto sec = std::make_unique<Section>();
    sec->name = names_[i];
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
  if (!symtab_)
    return;
  Elf_Data *d = elf_getdata(elf_getscn(elf_, symtab_), nullptr);
  const size_t count = sh_[symtab_].sh_size / kSymSize;
  if (count > 0 && (!d || d->d_size != sh_[symtab_].sh_size))
    fail(fmt::format("libelf cannot read the symbol table: {}", elf_errmsg(-1)));
  syms_.assign(count, nullptr);
  obj_.symbols.reserve(count);
  const uint32_t nsec = static_cast<uint32_t>(sh_.size());
  Symbol *scope = nullptr;
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym es;
    if (!gelf_getsym(d, static_cast<int>(i), &es))
      fail(fmt::format("libelf cannot read symbol {}: {}", i, elf_errmsg(-1)));
    auto sym = std::make_unique<Symbol>();
    sym->name = string_at(strtab_, es.st_name, "symbol", i);
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
                       sym->name, names_[x]));
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
  const Elf64_Shdr &s = sh_[index];
  if (s.sh_entsize != kRelaSize || s.sh_size % kRelaSize != 0)
    fail(fmt::format("relocation section {} has entry size {} and size {}; expected multiples of {}",
                     sec.name, s.sh_entsize, s.sh_size, kRelaSize));
  if (s.sh_link != symtab_ || !symtab_)
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
  const Elf64_Shdr &s = sh_[index];
  if (s.sh_size < 4 || s.sh_size % 4 != 0)
    fail(fmt::format("section group {} has size {}; expected a non-zero multiple of 4", sec.name,
                     s.sh_size));
  if (s.sh_link != symtab_ || !symtab_)
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
                       sec.name, m, sh_.size()));
    if (member->group)
      fail(fmt::format("section {} is a member of two section groups", member->name));
    member->group = &sec;
    sec.group_members.push_back(member);
  }
}

// Resolves sh_link/sh_info to sections, and decodes relocations and groups.
void Reader::link_sections() {
  for (uint32_t i = 1; i < sh_.size(); ++i) {
    Section *sec = secs_[i];
    if (!sec)
      continue;
    const Elf64_Shdr &s = sh_[i];
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
  check_header();
  obj_.path = name_;
  obj_.e_type = eh_.e_type;
  obj_.e_machine = eh_.e_machine;
  obj_.osabi = eh_.e_ident[EI_OSABI];
  obj_.abiversion = eh_.e_ident[EI_ABIVERSION];
  obj_.e_flags = eh_.e_flags;
  obj_.e_entry = eh_.e_entry;
  load_section_headers();
  check_sections();
  open_libelf();
  read_sections();
  read_symbols();
  link_sections();
  obj_.reindex();
  return std::move(obj_);
}

} // namespace

Object read_object(const std::string &path) {
  return Reader(read_file(path), path).run();
}

Object read_object_bytes(std::span<const uint8_t> bytes, const std::string &name) {
  return Reader(std::string(bytes.begin(), bytes.end()), name).run();
}

} // namespace lp::elf
