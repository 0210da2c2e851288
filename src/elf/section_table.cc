// Validation of the ELF header and section header table (see section_table.h).
#include "elf/section_table.h"

#include "elf/error.h"
#include "elf/object.h"

#include <cstring>
#include <fmt/format.h>

namespace lp::elf {
namespace {

constexpr size_t kShdrSize = sizeof(Elf64_Shdr);
constexpr size_t kSymSize = sizeof(Elf64_Sym);

bool fits(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

bool is_power_of_two_or_zero(uint64_t v) { return (v & (v - 1)) == 0; }

void check_ident(const SectionTable &t) {
  const auto *id = t.bytes.data();
  const size_t size = t.bytes.size();
  if (size == 0)
    t.fail("file is empty");
  if (size < SELFMAG || std::memcmp(id, ELFMAG, SELFMAG) != 0)
    t.fail("not an ELF file (bad magic)");
  if (size < EI_NIDENT)
    t.fail(fmt::format("file is truncated: {} bytes, shorter than the ELF identification", size));
  if (id[EI_CLASS] == ELFCLASS32)
    t.fail("32-bit ELF (ELFCLASS32) is not supported; expected ELF64 x86-64");
  if (id[EI_CLASS] != ELFCLASS64)
    t.fail(fmt::format("unknown ELF class {}", id[EI_CLASS]));
  if (id[EI_DATA] == ELFDATA2MSB)
    t.fail("big-endian ELF is not supported; expected little-endian x86-64");
  if (id[EI_DATA] != ELFDATA2LSB)
    t.fail(fmt::format("unknown ELF data encoding {}", id[EI_DATA]));
  if (size < sizeof(Elf64_Ehdr))
    t.fail(fmt::format("file is truncated: {} bytes, shorter than the 64-byte ELF header", size));
}

void check_header(SectionTable &t) {
  check_ident(t);
  std::memcpy(&t.eh, t.bytes.data(), sizeof t.eh);
  const Elf64_Ehdr &eh = t.eh;
  if (eh.e_machine != EM_X86_64)
    t.fail(fmt::format("unsupported machine {} (e_machine); expected x86-64 ({})", eh.e_machine,
                       EM_X86_64));
  if (eh.e_type != ET_REL && eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    t.fail(fmt::format("unsupported ELF type {} (e_type); expected ET_REL, ET_EXEC or ET_DYN",
                       eh.e_type));
  if ((eh.e_shnum == 0 && eh.e_shoff != 0) || eh.e_shstrndx == SHN_XINDEX)
    t.fail("extended section numbering (SHN_XINDEX) is not supported");
  if (eh.e_shnum == 0)
    return;
  if (eh.e_shentsize != kShdrSize)
    t.fail(fmt::format("e_shentsize is {}, expected {}", eh.e_shentsize, kShdrSize));
  if (!fits(eh.e_shoff, uint64_t(eh.e_shnum) * kShdrSize, t.bytes.size()))
    t.fail("e_shoff or e_shnum corrupted");
  if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
    t.fail(fmt::format("e_shstrndx {} is out of range ({} sections)", eh.e_shstrndx, eh.e_shnum));
  t.shstrndx = eh.e_shstrndx;
  t.sh.resize(eh.e_shnum);
  std::memcpy(t.sh.data(), t.bytes.data() + eh.e_shoff, t.sh.size() * kShdrSize);
}

void check_section(const SectionTable &t, uint32_t i) {
  const Elf64_Shdr &s = t.sh[i];
  const uint32_t n = static_cast<uint32_t>(t.sh.size());
  const std::string_view nm = t.names[i];
  if (s.sh_type != SHT_NOBITS && !fits(s.sh_offset, s.sh_size, t.bytes.size()))
    t.fail(fmt::format("section {} runs past the end of the file", nm));
  if (s.sh_link >= n)
    t.fail(fmt::format("section {} has sh_link {}, but there are only {} sections", nm, s.sh_link, n));
  bool info_is_section = s.sh_type == SHT_RELA || (s.sh_flags & SHF_INFO_LINK);
  if (info_is_section && s.sh_info >= n)
    t.fail(fmt::format("section {} has sh_info {}, but there are only {} sections", nm, s.sh_info, n));
  if (!is_power_of_two_or_zero(s.sh_addralign))
    t.fail(fmt::format("section {} has sh_addralign {}, which is not a power of two", nm,
                       s.sh_addralign));
  if (s.sh_addralign > kMaxSectionAlign)
    t.fail(fmt::format("section {} has sh_addralign {}, larger than the supported {}", nm,
                       s.sh_addralign, kMaxSectionAlign));
  if (s.sh_type == SHT_REL)
    t.fail(fmt::format("section {} is SHT_REL; only SHT_RELA relocations exist on x86-64", nm));
  if (s.sh_type == SHT_SYMTAB_SHNDX)
    t.fail(fmt::format("section {} is SHT_SYMTAB_SHNDX; extended section numbering (SHN_XINDEX) "
                       "is not supported",
                       nm));
}

void check_sections(SectionTable &t) {
  const uint32_t n = static_cast<uint32_t>(t.sh.size());
  if (n == 0)
    return;
  const Elf64_Shdr &str = t.sh[t.shstrndx];
  if (str.sh_type != SHT_STRTAB)
    t.fail(fmt::format("e_shstrndx {} is not a string table", t.shstrndx));
  if (!fits(str.sh_offset, str.sh_size, t.bytes.size()))
    t.fail("section header string table runs past the end of the file");
  t.names.resize(n);
  for (uint32_t i = 1; i < n; ++i)
    t.names[i] = t.string_at(t.shstrndx, t.sh[i].sh_name, "section", i);
  for (uint32_t i = 1; i < n; ++i) {
    check_section(t, i);
    if (t.sh[i].sh_type == SHT_SYMTAB) {
      if (t.symtab)
        t.fail("more than one SHT_SYMTAB section");
      t.symtab = i;
    }
  }
  if (!t.symtab)
    return;
  const Elf64_Shdr &st = t.sh[t.symtab];
  if (st.sh_entsize != kSymSize || st.sh_size % kSymSize != 0)
    t.fail(fmt::format("symbol table {} has entry size {} and size {}; expected multiples of {}",
                       t.names[t.symtab], st.sh_entsize, st.sh_size, kSymSize));
  if (st.sh_link == 0 || t.sh[st.sh_link].sh_type != SHT_STRTAB)
    t.fail(fmt::format("symbol table {} has sh_link {}, which is not a string table",
                       t.names[t.symtab], st.sh_link));
  t.strtab = st.sh_link;
}

} // namespace

void SectionTable::fail(const std::string &problem) const { throw FileError(name, problem); }

std::string_view SectionTable::string_at(uint32_t table, uint64_t offset, const char *kind,
                                         size_t index) const {
  const Elf64_Shdr &s = sh[table];
  if (offset >= s.sh_size)
    fail(fmt::format("{} {} has name offset {}, past the end of its string table ({} bytes)", kind,
                     index, offset, s.sh_size));
  const char *start = reinterpret_cast<const char *>(bytes.data()) + s.sh_offset + offset;
  const void *nul = std::memchr(start, 0, s.sh_size - offset);
  if (!nul)
    fail(fmt::format("{} {} has a name that runs past the end of its string table", kind, index));
  return {start, static_cast<size_t>(static_cast<const char *>(nul) - start)};
}

std::span<const uint8_t> SectionTable::contents(uint32_t index) const {
  const Elf64_Shdr &s = sh[index];
  if (s.sh_type == SHT_NOBITS)
    return {};
  return bytes.subspan(s.sh_offset, s.sh_size);
}

SectionTable read_section_table(std::span<const uint8_t> bytes, const std::string &name) {
  SectionTable t;
  t.bytes = bytes;
  t.name = name;
  check_header(t);
  check_sections(t);
  return t;
}

} // namespace lp::elf
