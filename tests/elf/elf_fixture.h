// Helpers shared by the ELF model tests: host-flag compilation, whole-file
// bytes, and a raw view of an ELF64 file whose header fields a test can patch
// to manufacture corrupt input from a valid gcc-built object.
#pragma once

#include "support/fixture.h"

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <string>
#include <vector>

namespace lp::test {

// Compiles dir/<name>.c (written from `source`) with plain host gcc and
// `flags`; fails the test on a compiler error. Returns the object path.
std::string compile_host_c(const TempDir &dir, const std::string &name, const std::string &source,
                           const std::vector<std::string> &flags);

// Assembles dir/<name>.s; fails the test on an assembler error.
std::string assemble(const TempDir &dir, const std::string &name, const std::string &source);

std::vector<uint8_t> file_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes);

// Runs a command that must succeed; fails the test with its output otherwise.
std::string must_run(const std::vector<std::string> &argv);

// An ELF64 file as bytes, with typed access to its header, section headers,
// symbols and relocations for patching.
class RawElf {
public:
  explicit RawElf(std::vector<uint8_t> bytes) : bytes(std::move(bytes)) {}
  std::vector<uint8_t> bytes;

  Elf64_Ehdr *ehdr() { return reinterpret_cast<Elf64_Ehdr *>(bytes.data()); }
  Elf64_Shdr *shdr(size_t i) {
    return reinterpret_cast<Elf64_Shdr *>(bytes.data() + ehdr()->e_shoff) + i;
  }
  size_t shnum() { return ehdr()->e_shnum; }
  std::string section_name(size_t i);
  // Index of the section named `name`; fails the test if there is none.
  size_t section(const std::string &name);
  size_t symtab();
  Elf64_Sym *sym(size_t i) {
    return reinterpret_cast<Elf64_Sym *>(bytes.data() + shdr(symtab())->sh_offset) + i;
  }
  // Index of the symbol named `name`; fails the test if there is none.
  size_t symbol(const std::string &name);
  size_t sym_count() { return shdr(symtab())->sh_size / sizeof(Elf64_Sym); }
  Elf64_Rela *rela(size_t sec, size_t i) {
    return reinterpret_cast<Elf64_Rela *>(bytes.data() + shdr(sec)->sh_offset) + i;
  }
};

} // namespace lp::test
