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
// Lookups are hash-based. A static name that appears twice under the same file
// is ambiguous and is reported as such, never resolved to the first match.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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

class LinkedImage {
public:
  // Throws lp::FileError if the file is unreadable, not an x86-64 ELF image,
  // or has no symbol table.
  static LinkedImage open(const std::string &path);

  const std::string &path() const { return obj_.path; }
  const Object &object() const { return obj_; }

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

  // `len` bytes at virtual address `addr` from an allocated PROGBITS section,
  // or nullopt if the range is not wholly inside one.
  std::optional<std::vector<uint8_t>> read(uint64_t addr, size_t len) const;

  std::span<const ImageSymbol> symbols() const { return symbols_; }

private:
  const std::vector<size_t> *named(std::string_view name) const;

  Object obj_;
  std::vector<ImageSymbol> symbols_;
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::vector<size_t>, NameHash, std::equal_to<>> by_name_;
  // Allocated PROGBITS sections with contents, sorted by address, for read().
  std::vector<const Section *> by_addr_;
};

} // namespace lp::elf
