// Helpers shared by the ELF model tests: see elf_fixture.h.
#include "elf_fixture.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

namespace lp::test {

std::string must_run(const std::vector<std::string> &argv) {
  RunResult r = run(argv);
  INFO("command: " << argv[0] << "\noutput:\n" << r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

std::string compile_host_c(const TempDir &dir, const std::string &name, const std::string &source,
                           const std::vector<std::string> &flags) {
  std::string src = dir.write(name + ".c", source);
  std::string obj = dir.file(name + ".o");
  std::vector<std::string> argv = {"gcc"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), {"-c", src, "-o", obj});
  must_run(argv);
  return obj;
}

std::string assemble(const TempDir &dir, const std::string &name, const std::string &source) {
  std::string src = dir.write(name + ".s", source);
  std::string obj = dir.file(name + ".o");
  must_run({"as", "--64", src, "-o", obj});
  return obj;
}

std::vector<uint8_t> file_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

std::string RawElf::section_name(size_t i) {
  const Elf64_Shdr *str = shdr(ehdr()->e_shstrndx);
  return reinterpret_cast<const char *>(bytes.data() + str->sh_offset + shdr(i)->sh_name);
}

size_t RawElf::section(const std::string &name) {
  for (size_t i = 1; i < shnum(); ++i)
    if (section_name(i) == name)
      return i;
  FAIL("no section " << name);
  return 0;
}

size_t RawElf::symtab() {
  for (size_t i = 1; i < shnum(); ++i)
    if (shdr(i)->sh_type == SHT_SYMTAB)
      return i;
  FAIL("no symbol table");
  return 0;
}

size_t RawElf::symbol(const std::string &name) {
  const Elf64_Shdr *str = shdr(shdr(symtab())->sh_link);
  for (size_t i = 1; i < sym_count(); ++i)
    if (reinterpret_cast<const char *>(bytes.data() + str->sh_offset + sym(i)->st_name) == name)
      return i;
  FAIL("no symbol " << name);
  return 0;
}

} // namespace lp::test
