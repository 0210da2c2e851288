// Reading ELF files into the object model, through libelf.
//
// The reader accepts ELF64 little-endian x86-64 files: relocatable objects
// (ET_REL, as gcc emits them with -ffunction-sections -fdata-sections, and as
// `ld -r` or this toolchain writes them) and linked images (ET_EXEC/ET_DYN,
// such as xen-syms). It validates the raw header and section table itself
// before libelf interprets them, so that a corrupt file gives one line that
// names the file and the problem instead of undefined behaviour:
//
//   zero-length or truncated files, bad magic, ELFCLASS32, big-endian or a
//   machine other than EM_X86_64, e_shoff/e_shnum/e_shentsize out of range,
//   a section running past the end of the file, sh_link/sh_info out of range,
//   section or symbol names outside their string table, a symbol or relocation
//   naming a section or symbol that does not exist, SHN_XINDEX (extended
//   section numbering is refused), SHT_REL (only RELA exists on x86-64).
//
// SHF_COMPRESSED sections (zlib) are decompressed on read.
//
// In a relocatable object, SHT_RELA and SHT_GROUP sections are decoded into
// Section::relas / group_members and their `data` is left empty (size 0): the
// writer encodes them again. In a linked image they are kept as raw bytes and
// not decoded (nothing downstream needs a linked image's relocations).
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <span>
#include <string>

namespace lp::elf {

// Reads `path`. Throws lp::FileError("<path>", "<what is wrong>") on any
// problem; never returns a partially built model.
Object read_object(const std::string &path);

// Reads an in-memory image; `name` is used in error messages and as Object::path.
Object read_object_bytes(std::span<const uint8_t> bytes, const std::string &name);

} // namespace lp::elf
