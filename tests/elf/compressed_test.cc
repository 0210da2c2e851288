// SHF_COMPRESSED sections are inflated on read: .debug_info of an object
// built with -gz=zlib must equal, byte for byte, .debug_info of the same
// source built with plain -g, and the model no longer flags it compressed.
#include "elf_fixture.h"

#include "elf/reader.h"
#include "elf/writer.h"

#include <catch2/catch.hpp>

using namespace lp::test;

TEST_CASE("zlib-compressed debug sections are decompressed on read", "[elf][compressed]") {
  TempDir dir;
  const char source[] = "struct point { int x, y; };\n"
                        "int norm1(struct point p) { return p.x + p.y; }\n";
  std::string plain = compile_host_c(dir, "plain", source, {"-O2", "-g"});
  std::string packed = compile_host_c(dir, "packed", source, {"-O2", "-g", "-gz=zlib"});

  RawElf raw(file_bytes(packed));
  REQUIRE((raw.shdr(raw.section(".debug_info"))->sh_flags & SHF_COMPRESSED) != 0);

  lp::elf::Object p = lp::elf::read_object(plain);
  lp::elf::Object z = lp::elf::read_object(packed);
  const lp::elf::Section *pi = p.section_named(".debug_info");
  const lp::elf::Section *zi = z.section_named(".debug_info");
  REQUIRE(pi);
  REQUIRE(zi);
  CHECK((zi->flags & SHF_COMPRESSED) == 0);
  CHECK(zi->size == zi->data.size());
  CHECK(zi->data.size() > 20);
  CHECK(zi->data == pi->data);
  CHECK(zi->align == pi->align);
  // Relocations still apply to the decompressed contents.
  REQUIRE(zi->rela);
  CHECK(zi->rela->relas.size() == pi->rela->relas.size());

  // The rewritten object is uncompressed and readelf reads its DWARF.
  std::string out = dir.file("rw.o");
  lp::elf::write_object(z, out);
  RawElf rw(file_bytes(out));
  CHECK((rw.shdr(rw.section(".debug_info"))->sh_flags & SHF_COMPRESSED) == 0);
  CHECK(must_run({"readelf", "--debug-dump=info", out}).find("norm1") != std::string::npos);
}
