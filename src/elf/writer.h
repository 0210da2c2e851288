// Writing the object model as an ELF64 x86-64 relocatable object (ET_REL).
//
// The writer assigns fresh section indices (vector order, starting at 1) and
// symbol indices (the null symbol, then every STB_LOCAL symbol, then the rest,
// each group in vector order), rebuilds .shstrtab, .symtab and .strtab, encodes
// RELA and GROUP sections from the model, and sets sh_link/sh_info
// consistently (.symtab sh_info = number of locals). STT_SECTION symbols get
// st_name 0. Derived tables are appended after the model's sections in the
// order .symtab, .strtab, .shstrtab.
//
// Output is a pure function of the model: the same model gives the same bytes.
// Files are written atomically (temporary file in the same folder, then rename),
// so a failure never leaves a half-written output behind.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lp::elf {

// Serialises `obj`. Throws lp::FileError(obj.path, ...) if the model is
// inconsistent (e.g. a relocation whose symbol is not in obj.symbols).
std::vector<uint8_t> serialize(const Object &obj);

// serialize() and write atomically to `path` with the given mode.
void write_object(const Object &obj, const std::string &path, unsigned mode = 0644);

} // namespace lp::elf
