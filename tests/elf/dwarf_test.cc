// dwarf_struct_byte_size reads structure sizes from a -g object (with its
// .debug_info relocations applied), skips declarations, and says "no answer"
// for objects without DWARF.
#include "elf_fixture.h"

#include "elf/dwarf.h"
#include "elf/error.h"

#include <catch2/catch.hpp>

using namespace lp::test;

// The same declarations are compiled into the fixture and into this test, so
// the expected sizes are the host compiler's sizeof (x86-64 on both sides).
#define STRUCTS                                                                                    \
  struct alt_instr { int orig; int repl; unsigned short cpuid; unsigned char a, b, c; };          \
  struct exception_table_entry { int addr, cont; };
#define STR2(...) #__VA_ARGS__
#define STR(...) STR2(__VA_ARGS__)
STRUCTS

TEST_CASE("struct sizes come from DWARF", "[elf][dwarf]") {
  TempDir dir;
  const std::string source = STR(STRUCTS) R"(
struct only_declared;
struct alt_instr alts[3];
struct exception_table_entry ex[2];
struct only_declared *opaque;
)";
  std::string with_debug = compile_xen_c(dir, "dbg", source, {"-g"});
  CHECK(lp::elf::dwarf_struct_byte_size(with_debug, "alt_instr") == sizeof(alt_instr));
  CHECK(sizeof(alt_instr) == 16); // padded: the DWARF size is the padded size
  CHECK(lp::elf::dwarf_struct_byte_size(with_debug, "exception_table_entry") ==
        sizeof(exception_table_entry));
  CHECK(lp::elf::dwarf_struct_byte_size(with_debug, "only_declared") == std::nullopt);
  CHECK(lp::elf::dwarf_struct_byte_size(with_debug, "no_such_struct") == std::nullopt);

  std::string without = compile_xen_c(dir, "nodbg", source);
  CHECK(lp::elf::dwarf_struct_byte_size(without, "alt_instr") == std::nullopt);

  CHECK_THROWS_AS(lp::elf::dwarf_struct_byte_size(dir.file("missing.o"), "alt_instr"),
                  lp::FileError);
}
