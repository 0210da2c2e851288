// Special-section entry sizes: DWARF first, then the per-version table; the
// file written for `-k build` reads back the same.
#include "payload_fixture.h"

#include "elf/error.h"
#include "payload/struct_sizes.h"

#include <catch2/catch.hpp>

using namespace lp::payload;
using lp::test::TempDir;

TEST_CASE("struct sizes come from xen-syms DWARF", "[payload][struct-sizes]") {
  TempDir dir;
  auto xen = lp::test::make_xen_syms(dir, R"(
struct alt_instr { int orig; int repl; unsigned short cpuid; unsigned char a, b, c, d; }
  __attribute__((packed));
struct bug_frame;
struct bug_frame *declared_only;
struct exception_table_entry { int addr, cont; };
struct alt_instr alt_example;
struct exception_table_entry ex_example;
)", {"-g"});
  std::string source;
  StructSizes s = detect_struct_sizes(xen, 4, 17, source);
  CHECK(s.at("alt_instr") == 14);
  CHECK(s.at("exception_table_entry") == 8);
  CHECK(s.at("bug_frame") == 8); // declaration only in DWARF: from the table
  CHECK(source == "DWARF+table");
  CHECK(struct_sizes_from_dwarf(xen).count("bug_frame") == 0);
}

TEST_CASE("without DWARF the version table applies", "[payload][struct-sizes]") {
  TempDir dir;
  auto xen = lp::test::standard_xen_syms(dir);
  std::string source;
  CHECK(detect_struct_sizes(xen, 4, 17, source) ==
        StructSizes{{"alt_instr", 14}, {"bug_frame", 8}, {"exception_table_entry", 8}});
  CHECK(source == "table");
  CHECK(struct_sizes_for_version(4, 20) ==
        StructSizes{{"alt_instr", 14}, {"bug_frame", 8}, {"exception_table_entry", 8}});
  CHECK(struct_sizes_for_version(4, 21).at("alt_call") == 4);
  CHECK(struct_sizes_for_version(4, 22).at("alt_call") == 4);
}

TEST_CASE("struct sizes file round-trips and rejects nonsense", "[payload][struct-sizes]") {
  TempDir dir;
  StructSizes s = struct_sizes_for_version(4, 21);
  auto path = dir.write("struct_sizes", format_struct_sizes(s));
  CHECK(read_struct_sizes(path) == s);
  CHECK(format_struct_sizes(s) == "alt_call=4\nalt_instr=14\nbug_frame=8\nexception_table_entry=8\n");
  auto bad = dir.write("bad", "alt_instr=40\n");
  CHECK_THROWS_WITH(read_struct_sizes(bad), Catch::Contains("invalid special struct size 40"));
  auto junk = dir.write("junk", "alt_instr\n");
  CHECK_THROWS_WITH(read_struct_sizes(junk), Catch::Contains("line 1: expected key=value"));
}
