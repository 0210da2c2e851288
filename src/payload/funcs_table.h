// Reading the entries of a payload's .livepatch.funcs through its relocations.
//
// Each 104-byte struct livepatch_func names the function it replaces either by
// a pointer to its name (a relocation at +0, usually against .livepatch.strings)
// or by old_addr (a literal at +16 or a relocation against an undefined or, once
// prelinked, absolute symbol). The payload stage needs both views: the name
// for the build report, the address for expectations.
#pragma once

#include "elf/image.h"
#include "elf/object.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

inline constexpr size_t kFuncSize = 104;
inline constexpr size_t kFuncNameOff = 0;
inline constexpr size_t kFuncNewAddrOff = 8;
inline constexpr size_t kFuncOldAddrOff = 16;
inline constexpr size_t kFuncNewSizeOff = 24;
inline constexpr size_t kFuncOldSizeOff = 28;
inline constexpr size_t kFuncVersionOff = 32;
inline constexpr size_t kFuncExpectOff = 72;
inline constexpr size_t kExpectDataMax = 31;

struct FuncEntry {
  size_t offset = 0;            // of the entry inside .livepatch.funcs
  std::string name;             // "" if the entry has no name
  std::string new_symbol;       // the replacement function's symbol, "" for a NOP entry
  int64_t new_addr_addend = 0;  // of the relocation at +8
  uint64_t old_addr_literal = 0;
  const elf::Symbol *old_addr_sym = nullptr; // relocation target at +16, if any
  int64_t old_addr_addend = 0;
  uint32_t new_size = 0;
  uint32_t old_size = 0;
  uint8_t version = 0;
  bool is_nop() const { return new_symbol.empty(); }
};

// Decodes every entry. Throws lp::FileError(obj.path) if the section size is
// not a multiple of 104 or a name pointer does not lead to a NUL-terminated
// string.
std::vector<FuncEntry> read_funcs(const elf::Object &obj);

// The Xen address `e` patches, from its literal, its relocation or its name.
// Returns nullopt if it cannot be determined from `xen`.
std::optional<uint64_t> old_address(const FuncEntry &e, const elf::LinkedImage &xen);

} // namespace lp::payload
