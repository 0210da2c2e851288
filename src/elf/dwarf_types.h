// The types of a translation unit, read from its DWARF.
//
// A live patch replaces code but keeps every object that already exists in
// the running hypervisor, so the diff engine must know whether the patched
// code sees those objects with the layout the original code gave them. This
// model holds what decides that: every struct, union, enum, typedef, base,
// pointer and array type of the object's compilation units (members with
// byte offset, bit position and type; enumerators with values), the global
// and static variables with their types, and for each function the types its
// parameters, locals and return value name. The comparison lives in
// src/diff/type_layout.cc; this is only the reading.
//
// Types refer to each other by index into DwarfTypes::types, so the graph is
// plain data (no DIE pointers survive the read). A file's DWARF is read once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lp::elf {

enum class TypeKind : uint8_t {
  Void,
  Base,      // int, char, _Bool, double, ...
  Struct,
  Union,
  Enum,
  Typedef,
  Pointer,
  Array,
  Qualified, // const, volatile, restrict, _Atomic
  Function,  // a subroutine type (only ever pointed at)
};

constexpr uint32_t kNoType = UINT32_MAX; // void, or an unreadable reference

struct TypeMember {
  std::string name;          // "" for an anonymous struct/union member
  uint32_t type = kNoType;
  uint64_t offset = 0;       // bytes from the start of the containing type
  uint64_t bit_offset = 0;   // bit-fields: bits from the start of the containing type
  uint32_t bit_size = 0;     // bit-fields: width; 0 for an ordinary member
};

struct Enumerator {
  std::string name;
  int64_t value = 0;
};

struct DwarfType {
  TypeKind kind = TypeKind::Void;
  std::string name;               // "" when anonymous
  std::string decl_file;          // relative to the unit's compilation directory
  int decl_line = 0;
  uint64_t size = 0;              // DW_AT_byte_size (pointers: 8)
  bool sized = false;             // false for declarations and flexible arrays
  uint64_t alignment = 0;         // DW_AT_alignment; 0 when not explicit
  unsigned encoding = 0;          // base types: DW_ATE_*
  std::string qualifier;          // Qualified: "const", "volatile", ...
  uint32_t target = kNoType;      // Typedef, Pointer, Array element, Qualified
  std::vector<uint64_t> counts;   // Array: elements per dimension (0: unknown)
  std::vector<TypeMember> members;
  std::vector<Enumerator> enumerators;
  bool declaration = false;       // `struct s;` without a definition
  bool file_scope = true;         // false: declared inside a function
};

struct DwarfVariable {
  std::string name;
  uint32_t type = kNoType;
  std::string decl_file;
  int decl_line = 0;
  bool declaration = false; // extern, defined elsewhere
  bool file_scope = true;   // false: a static local
  std::string function;     // static locals: the function that declares it
};

struct DwarfFunction {
  std::string name;
  std::vector<uint32_t> types; // return, parameters, locals (inlined code included)
};

struct DwarfTypes {
  std::string path;
  std::vector<DwarfType> types;
  std::vector<DwarfVariable> variables;
  std::vector<DwarfFunction> functions; // in DIE order; a name may repeat
};

// Reads every compilation unit of `elf_path`. nullopt when the file has no
// DWARF. Throws lp::FileError if the file cannot be opened or is not ELF.
std::optional<DwarfTypes> read_dwarf_types(const std::string &elf_path);

} // namespace lp::elf
