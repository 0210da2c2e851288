// The in-memory ELF object model shared by every stage of the toolchain.
//
// An Object is what the reader produces from an ELF64 x86-64 file and what the
// writer turns back into bytes. It holds sections, symbols and RELA relocations
// as linked C++ objects rather than as indices into tables, so that a stage can
// build a new object out of pieces of another (the diff engine copies changed
// functions from the patched object into an empty output object) without
// tracking index arithmetic. Indices exist only at the edges: the reader records
// each element's input index, and the writer assigns fresh ones.
//
// What the model deliberately does not hold: the section header string table,
// the symbol table and its string table. Those are derived data; the writer
// rebuilds them from `sections` and `symbols`. The contents of a SHT_RELA
// section and of a SHT_GROUP section are likewise derived, from `relas` and
// `group_members`.
//
// Ownership: the Object owns every Section and Symbol through unique_ptr, so
// raw pointers between elements stay valid for the Object's lifetime and across
// reordering of the vectors. An element must only point at elements of the same
// Object.
//
// Lookups by name are hash-based, lookups by input index are array-based. The
// index is built by the reader; a stage that adds, removes or renames elements
// calls reindex() before looking anything up again (the name tables view the
// elements' own names).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lp::elf {

struct Section;
struct Symbol;

// The largest section alignment the reader accepts and the writer emits.
// Real x86-64 objects and images use at most a page or a 2 MiB superpage;
// the cap keeps a corrupt sh_addralign from making the writer pad by
// exabytes.
inline constexpr uint64_t kMaxSectionAlign = uint64_t(1) << 24;

// One RELA entry. `sym` is never null in a well-formed model (a relocation
// against symbol index 0 is refused by the reader).
struct Rela {
  uint64_t offset = 0;
  uint32_t type = 0; // R_X86_64_*
  Symbol *sym = nullptr;
  int64_t addend = 0;
};

struct Section {
  std::string name;
  uint32_t type = 0; // SHT_*
  uint64_t flags = 0; // SHF_*; SHF_COMPRESSED is cleared after decompression
  uint64_t addr = 0;
  uint64_t align = 1;
  uint64_t entsize = 0;
  // Contents. For SHT_NOBITS `data` is empty and `size` is the memory size;
  // for every other type size == data.size(). Use set_data() to keep them equal.
  std::vector<uint8_t> data;
  uint64_t size = 0;

  // sh_link / sh_info when they name another section (SHF_LINK_ORDER, and the
  // target section of a SHT_RELA section, which also has SHF_INFO_LINK).
  // For SHT_RELA, SHT_SYMTAB and SHT_GROUP sections the writer derives sh_link
  // and sh_info itself; `link` stays null there.
  Section *link = nullptr;
  Section *info = nullptr;

  // SHT_RELA only: the relocations, in file order. `info` is the section they apply to.
  std::vector<Rela> relas;
  // Non-RELA sections: their relocation section, if any (the reverse of `info`).
  Section *rela = nullptr;

  // The STT_SECTION symbol of this section, if the symbol table has one.
  Symbol *secsym = nullptr;

  // SHT_GROUP only: the GRP_* flag word, the signature symbol and the members.
  uint32_t group_flags = 0;
  Symbol *group_signature = nullptr;
  std::vector<Section *> group_members;
  // Any section: the SHT_GROUP section it belongs to, if any.
  Section *group = nullptr;

  // Index in the file this section was read from; 0 for a section a stage created.
  uint32_t input_index = 0;

  bool is_rela() const;     // type == SHT_RELA
  bool is_alloc() const;    // SHF_ALLOC
  bool is_exec() const;     // SHF_EXECINSTR
  bool is_write() const;    // SHF_WRITE
  bool is_nobits() const;   // type == SHT_NOBITS
  bool is_strings() const;  // SHF_MERGE | SHF_STRINGS
  void set_data(std::vector<uint8_t> bytes); // also sets size
  std::span<const uint8_t> bytes() const { return data; }
};

struct Symbol {
  std::string name; // for STT_SECTION symbols: empty as in the file (use section->name)
  uint8_t bind = 0;  // STB_*
  uint8_t type = 0;  // STT_*
  uint8_t other = 0; // st_other (visibility)
  // The section the symbol is defined in, or null. When null, `shndx` tells
  // which special index it has: SHN_UNDEF, SHN_ABS or SHN_COMMON.
  Section *section = nullptr;
  uint16_t shndx = 0;
  uint64_t value = 0;
  uint64_t size = 0;
  // For local symbols: the STT_FILE symbol whose scope they are in (the most
  // recent STT_FILE before them in the symbol table), or null.
  Symbol *file = nullptr;

  // Index in the file's symbol table; 0 for a symbol a stage created.
  uint32_t input_index = 0;

  bool is_local() const { return bind == 0; }   // STB_LOCAL
  bool is_global() const { return bind == 1; }  // STB_GLOBAL
  bool is_weak() const { return bind == 2; }    // STB_WEAK
  bool is_func() const { return type == 2; }    // STT_FUNC
  bool is_object() const { return type == 1; }  // STT_OBJECT
  bool is_section() const { return type == 3; } // STT_SECTION
  bool is_file() const { return type == 4; }    // STT_FILE
  bool is_undefined() const { return section == nullptr && shndx == 0; }
  // The name a reader of the object would print: the section name for STT_SECTION.
  std::string_view display_name() const;
};

class Object {
public:
  // Where the object came from (or will go); used in every error message.
  std::string path;

  // ELF header fields that survive a round trip. Class, data encoding and
  // version are fixed (ELF64, little-endian, EV_CURRENT).
  uint16_t e_type = 1; // ET_REL
  uint16_t e_machine = 62; // EM_X86_64
  uint8_t osabi = 0;
  uint8_t abiversion = 0;
  uint32_t e_flags = 0;
  uint64_t e_entry = 0;

  // In output order. Excludes the null section and the derived tables
  // (.symtab, .strtab, .shstrtab).
  std::vector<std::unique_ptr<Section>> sections;
  // In output order, excluding the null symbol. The writer emits locals before
  // globals (stable within each group), so order only matters within a binding.
  std::vector<std::unique_ptr<Symbol>> symbols;

  Section &add_section(std::unique_ptr<Section> s);
  Symbol &add_symbol(std::unique_ptr<Symbol> s);

  // Rebuild the lookup tables below after elements were added, removed or renamed.
  void reindex();

  // First section with this name, or null.
  Section *section_named(std::string_view name) const;
  // Section with this input index, or null.
  Section *section_at(uint32_t input_index) const;
  // Symbol with this input index, or null.
  Symbol *symbol_at(uint32_t input_index) const;
  // Every symbol with this name (STT_SECTION symbols are not indexed by name).
  std::span<Symbol *const> symbols_named(std::string_view name) const;
  // The defined or undefined STB_GLOBAL/STB_WEAK symbol with this name, or null.
  Symbol *global_symbol(std::string_view name) const;
  // The STB_LOCAL symbol `name` in the scope of the STT_FILE symbol named
  // `file`, or null. Throws FileError if the pair is ambiguous.
  Symbol *local_symbol(std::string_view file, std::string_view name) const;

private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  // Where one name's symbols lie in named_symbols_.
  struct NameRange {
    uint32_t first = 0, count = 0;
  };
  std::unordered_map<std::string_view, Section *, Hash> section_by_name_;
  std::vector<Section *> section_by_index_; // by input index; null: none
  std::vector<Symbol *> symbol_by_index_;
  std::unordered_map<std::string_view, NameRange, Hash> symbols_by_name_;
  std::vector<Symbol *> named_symbols_; // grouped by name, in symbol table order within a name
};

} // namespace lp::elf
