// Bad input: every corruption the reader promises to catch, manufactured by
// patching bytes of a valid gcc-built object. Each case must give exactly one
// line "<file>: <problem>" from read_object(), and elf-rewrite must print that
// line, exit 1 and leave no output file. These run under ASan/UBSan too, so a
// read out of bounds while validating would fail the suite.
#include "elf_fixture.h"

#include "elf/error.h"
#include "elf/reader.h"
#include "elf/writer.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <random>

using namespace lp::test;

namespace {

const char kSource[] = R"(
extern int g(int);
int f(int x) { return g(x) + 1; }
)";

struct Corruption {
  const char *what;
  // Patches the file and returns the expected problem text.
  std::function<std::string(RawElf &)> apply;
};

std::string section_count(RawElf &e) { return std::to_string(e.shnum()); }

const std::vector<Corruption> &corruptions() {
  static const std::vector<Corruption> table = {
      {"zero-length file", [](RawElf &e) { e.bytes.clear(); return std::string("file is empty"); }},
      {"truncated inside the identification",
       [](RawElf &e) {
         e.bytes.resize(10);
         return std::string("file is truncated: 10 bytes, shorter than the ELF identification");
       }},
      {"truncated inside the ELF header",
       [](RawElf &e) {
         e.bytes.resize(40);
         return std::string("file is truncated: 40 bytes, shorter than the 64-byte ELF header");
       }},
      {"truncated section header table",
       [](RawElf &e) {
         e.bytes.resize(e.bytes.size() - 100);
         return std::string("e_shoff or e_shnum corrupted");
       }},
      {"bad magic",
       [](RawElf &e) {
         e.bytes[1] = 'X';
         return std::string("not an ELF file (bad magic)");
       }},
      {"ELFCLASS32",
       [](RawElf &e) {
         e.bytes[EI_CLASS] = ELFCLASS32;
         return std::string("32-bit ELF (ELFCLASS32) is not supported; expected ELF64 x86-64");
       }},
      {"big-endian",
       [](RawElf &e) {
         e.bytes[EI_DATA] = ELFDATA2MSB;
         return std::string("big-endian ELF is not supported; expected little-endian x86-64");
       }},
      {"non-x86-64 machine",
       [](RawElf &e) {
         e.ehdr()->e_machine = EM_AARCH64;
         return std::string("unsupported machine 183 (e_machine); expected x86-64 (62)");
       }},
      {"e_shoff past the end",
       [](RawElf &e) {
         e.ehdr()->e_shoff = e.bytes.size();
         return std::string("e_shoff or e_shnum corrupted");
       }},
      {"e_shoff overflowing",
       [](RawElf &e) {
         e.ehdr()->e_shoff = ~uint64_t(0) - 8;
         return std::string("e_shoff or e_shnum corrupted");
       }},
      {"e_shnum too large",
       [](RawElf &e) {
         e.ehdr()->e_shnum = 0xfeff;
         return std::string("e_shoff or e_shnum corrupted");
       }},
      {"e_shstrndx out of range",
       [](RawElf &e) {
         std::string n = section_count(e);
         e.ehdr()->e_shstrndx = 90;
         return fmt::format("e_shstrndx 90 is out of range ({} sections)", n);
       }},
      {"extended section numbering in the header (e_shnum 0)",
       [](RawElf &e) {
         e.ehdr()->e_shnum = 0;
         return std::string("extended section numbering (SHN_XINDEX) is not supported");
       }},
      {"section running past the end",
       [](RawElf &e) {
         e.shdr(e.section(".text.f"))->sh_offset = e.bytes.size() - 2;
         return std::string("section .text.f runs past the end of the file");
       }},
      {"section size overflowing",
       [](RawElf &e) {
         e.shdr(e.section(".text.f"))->sh_size = ~uint64_t(0) - 16;
         return std::string("section .text.f runs past the end of the file");
       }},
      {"sh_link out of range",
       [](RawElf &e) {
         e.shdr(e.section(".rela.text.f"))->sh_link = 200;
         return fmt::format("section .rela.text.f has sh_link 200, but there are only {} sections",
                            section_count(e));
       }},
      {"sh_info out of range",
       [](RawElf &e) {
         e.shdr(e.section(".rela.text.f"))->sh_info = 300;
         return fmt::format("section .rela.text.f has sh_info 300, but there are only {} sections",
                            section_count(e));
       }},
      {"section name out of range",
       [](RawElf &e) {
         size_t i = e.section(".text.f");
         uint64_t size = e.shdr(e.ehdr()->e_shstrndx)->sh_size;
         e.shdr(i)->sh_name = 0x7fffffff;
         return fmt::format("section {} has name offset 2147483647, past the end of its string "
                            "table ({} bytes)",
                            i, size);
       }},
      {"symbol name out of range",
       [](RawElf &e) {
         size_t i = e.symbol("f");
         uint64_t size = e.shdr(e.shdr(e.symtab())->sh_link)->sh_size;
         e.sym(i)->st_name = 0x7fffffff;
         return fmt::format("symbol {} has name offset 2147483647, past the end of its string "
                            "table ({} bytes)",
                            i, size);
       }},
      {"symbol in a section that does not exist",
       [](RawElf &e) {
         size_t i = e.symbol("f");
         e.sym(i)->st_shndx = 500;
         return fmt::format("symbol {} (f) refers to section 500, but there are only {} sections", i,
                            section_count(e));
       }},
      {"symbol with SHN_XINDEX",
       [](RawElf &e) {
         size_t i = e.symbol("f");
         e.sym(i)->st_shndx = SHN_XINDEX;
         return fmt::format(
             "symbol {} (f) uses SHN_XINDEX; extended section numbering is not supported", i);
       }},
      {"relocation to a missing symbol",
       [](RawElf &e) {
         Elf64_Rela *r = e.rela(e.section(".rela.text.f"), 0);
         r->r_info = ELF64_R_INFO(999, ELF64_R_TYPE(r->r_info));
         return fmt::format("relocation 0 in .rela.text.f refers to symbol 999, but the symbol "
                            "table has {} entries",
                            e.sym_count());
       }},
      {"relocation to symbol index 0",
       [](RawElf &e) {
         Elf64_Rela *r = e.rela(e.section(".rela.text.f"), 0);
         r->r_info = ELF64_R_INFO(0, ELF64_R_TYPE(r->r_info));
         return std::string("relocation 0 in .rela.text.f refers to symbol index 0 (no symbol)");
       }},
      {"relocation past the end of its section",
       [](RawElf &e) {
         uint64_t size = e.shdr(e.section(".text.f"))->sh_size;
         e.rela(e.section(".rela.text.f"), 0)->r_offset = 0x10000;
         return fmt::format("relocation 0 in .rela.text.f has offset 0x10000, past the end of "
                            ".text.f ({} bytes)",
                            size);
       }},
      {"SHT_REL relocations",
       [](RawElf &e) {
         e.shdr(e.section(".rela.text.f"))->sh_type = SHT_REL;
         return std::string("section .rela.text.f is SHT_REL; only SHT_RELA relocations exist on "
                            "x86-64");
       }},
  };
  return table;
}

} // namespace

TEST_CASE("the valid base object reads cleanly", "[elf][bad-input]") {
  TempDir dir;
  std::string obj = compile_xen_c(dir, "base", kSource);
  lp::elf::Object o = lp::elf::read_object(obj);
  REQUIRE(o.section_named(".rela.text.f"));
  CHECK(o.section_named(".rela.text.f")->relas.size() >= 1);
}

TEST_CASE("each corruption gives one line naming the file and the problem", "[elf][bad-input]") {
  TempDir dir;
  const std::string base = compile_xen_c(dir, "base", kSource);
  const std::vector<uint8_t> valid = file_bytes(base);
  const std::string rewrite = tool_path("elf-rewrite");
  for (const Corruption &c : corruptions()) {
    DYNAMIC_SECTION(c.what) {
      RawElf e(valid);
      const std::string problem = c.apply(e);
      const std::string bad = dir.file("bad.o");
      write_bytes(bad, e.bytes);
      const std::string expected = bad + ": " + problem;
      try {
        lp::elf::read_object(bad);
        FAIL("read_object accepted: " << c.what);
      } catch (const lp::FileError &err) {
        CHECK(std::string(err.what()) == expected);
        CHECK(err.file() == bad);
      }
      const std::string out = dir.file("out.o");
      RunResult r = run({rewrite, bad, out});
      CHECK(r.status == 1);
      CHECK(r.output == expected + "\n");
      CHECK_FALSE(std::filesystem::exists(out));
    }
  }
}

TEST_CASE("elf-rewrite reports a missing input file", "[elf][bad-input]") {
  TempDir dir;
  RunResult r = run({tool_path("elf-rewrite"), dir.file("missing.o"), dir.file("out.o")});
  CHECK(r.status == 1);
  CHECK(r.output == dir.file("missing.o") + ": No such file or directory\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("out.o")));
}

// Random corruption, biased towards the ELF header, the section header table
// and the symbol table: read must either succeed or throw FileError (never
// crash, hang or throw anything else), and whatever it accepts must serialise
// and read back. Under ASan/UBSan this is a small deterministic fuzz run.
TEST_CASE("random corruption is either accepted consistently or refused", "[elf][bad-input]") {
  TempDir dir;
  const std::vector<uint8_t> valid = file_bytes(compile_xen_c(dir, "base", kSource));
  RawElf probe(valid);
  const uint64_t shoff = probe.ehdr()->e_shoff;
  const uint64_t shsize = probe.shnum() * sizeof(Elf64_Shdr);
  const uint64_t symoff = probe.shdr(probe.symtab())->sh_offset;
  const uint64_t symsize = probe.shdr(probe.symtab())->sh_size;
  std::mt19937_64 rng(12345);
  size_t accepted = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      uint64_t where;
      switch (rng() % 4) {
      case 0: where = rng() % sizeof(Elf64_Ehdr); break;
      case 1: where = shoff + rng() % shsize; break;
      case 2: where = symoff + rng() % symsize; break;
      default: where = rng() % bytes.size(); break;
      }
      bytes[where] = static_cast<uint8_t>(rng());
    }
    if (rng() % 8 == 0)
      bytes.resize(rng() % bytes.size());
    try {
      lp::elf::Object o = lp::elf::read_object_bytes(bytes, "fuzz.o");
      ++accepted;
      std::vector<uint8_t> out;
      try {
        out = lp::elf::serialize(o);
      } catch (const lp::FileError &) {
        continue; // an accepted but unwritable model (e.g. RELA in an ET_EXEC) is refused cleanly
      }
      CHECK_NOTHROW(lp::elf::read_object_bytes(out, "fuzz-out.o"));
    } catch (const lp::FileError &e) {
      ++refused;
      CHECK(std::string(e.what()).rfind("fuzz.o: ", 0) == 0);
    }
  }
  CHECK(accepted > 0);
  CHECK(refused > 0);
}

TEST_CASE("elf-rewrite has --help and exits 1 on a usage error", "[elf][bad-input]") {
  RunResult help = run({tool_path("elf-rewrite"), "--help"});
  CHECK(help.status == 0);
  CHECK(help.output.find("IN") != std::string::npos);
  CHECK(help.output.find("OUT") != std::string::npos);
  CHECK(run({tool_path("elf-rewrite")}).status == 1);
}
