// A linked hypervisor image (xen-syms) seen the way a payload generator needs it.
//
// The diff engine needs the size and address of the function a payload replaces;
// the payload stage needs the image's build-id, the bytes at an address (for
// expectations and the ENDBR64 check) and name lookups for prelinking. Names
// follow Xen's runtime symbol table: globals by their plain name, statics as
// "<file>#<name>", where <file> is the STT_FILE symbol in whose scope the static
// sits (Xen's build makes it the source path relative to xen/, e.g.
// "common/version.c").
//
// The image is read lazily: open() maps the file and validates its headers,
// section table and symbol table (names inside the string table, section
// indices in range), nothing more. Lookups read the symbol table where it
// lies in the mapping, and read() and build_id() look at the bytes asked for;
// a section nobody asks for is never read, so a 24 MB xen-syms with DWARF
// costs the pages of its symbol table. The first few name lookups scan the
// symbol table (cheaper than indexing it for a run that asks twice); after
// that, lookups go through a hash index built once. A static name that
// appears twice under the same file is ambiguous and is reported as such,
// never resolved to the first match.
//
// Lookups are safe from several threads at once (the batch form of
// create-diff-object shares one image between its workers).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::elf {

struct ImageSymbol {
  std::string name; // as in the ELF symbol table (no file prefix)
  std::string file; // STT_FILE scope for locals, empty for globals
  uint64_t address = 0;
  uint64_t size = 0;
  uint8_t type = 0; // STT_*
  uint8_t bind = 0; // STB_*
  // The Xen runtime-table spelling: name, or file#name for locals.
  std::string xen_name() const;
};

// A section of the image: its header, and its bytes where they lie in the mapping.
struct ImageSection {
  std::string_view name;
  uint32_t type = 0;  // SHT_*
  uint64_t flags = 0; // SHF_*
  uint64_t addr = 0;
  uint64_t size = 0;
  std::span<const uint8_t> bytes; // empty for SHT_NOBITS
};

class LinkedImage {
public:
  // Throws lp::FileError if the file is unreadable, not an x86-64 ELF image,
  // or has no symbol table.
  static LinkedImage open(const std::string &path);

  LinkedImage(LinkedImage &&) noexcept;
  LinkedImage &operator=(LinkedImage &&) noexcept;
  ~LinkedImage();

  const std::string &path() const;
  uint16_t e_type() const; // ET_EXEC or ET_DYN

  // Every section but the null one, in file order.
  std::span<const ImageSection> sections() const;
  const ImageSection *section_named(std::string_view name) const;

  // The descriptor of the first NT_GNU_BUILD_ID note (any length), if any.
  std::optional<std::vector<uint8_t>> build_id() const;
  // The whole raw .note.gnu.build-id section contents (header, name, descriptor).
  std::optional<std::vector<uint8_t>> build_id_note() const;

  // STB_GLOBAL (and, when allow_weak, STB_WEAK) defined symbol by name.
  const ImageSymbol *global(std::string_view name, bool allow_weak = true) const;
  // STB_LOCAL defined symbol `name` in the scope of STT_FILE `file`.
  // Throws lp::FileError naming both if the pair occurs more than once.
  const ImageSymbol *local(std::string_view file, std::string_view name) const;
  // By Xen runtime name: "name" or "file#name".
  const ImageSymbol *by_xen_name(std::string_view xen_name) const;
  // Whether any symbol (defined or not, any binding or type) has this name.
  bool has_symbol_named(std::string_view name) const;

  // `len` bytes at virtual address `addr` from an allocated PROGBITS section,
  // or nullopt if the range is not wholly inside one.
  std::optional<std::vector<uint8_t>> read(uint64_t addr, size_t len) const;

  // Every defined, named symbol but STT_FILE/STT_SECTION, in symbol table
  // order (built on first call).
  std::span<const ImageSymbol> symbols() const;

private:
  struct State;
  LinkedImage();
  std::unique_ptr<State> s_;
};

} // namespace lp::elf
