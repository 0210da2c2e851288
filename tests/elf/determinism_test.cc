// The writer is a pure function of the model, and reading what it wrote gives
// back the same model: serialize(read(x)) is stable across calls and is a
// fixed point of read-then-serialize. Also: the writer refuses a model whose
// elements point outside the Object.
#include "elf_fixture.h"

#include "elf/error.h"
#include "elf/reader.h"
#include "elf/writer.h"

#include <catch2/catch.hpp>

using namespace lp::test;
using namespace lp::elf;

namespace {

const char kSource[] = R"(
static int hidden_counter;
int visible = 5;
static const char *const names[] = {"a", "bb", "ccc"};
__attribute__((noinline)) static int step(int x) { return x + hidden_counter++; }
const char *name_at(int i) { return names[i]; }
int run(int n) { int t = 0; for (int i = 0; i < n; ++i) t += step(i) * visible; return t; }
)";

} // namespace

TEST_CASE("serialize(read(x)) is deterministic and a fixed point", "[elf][writer]") {
  TempDir dir;
  for (const auto &obj : {compile_xen_c(dir, "x", kSource),
                          compile_host_c(dir, "h", kSource, {"-O2", "-g", "-gz=zlib"})}) {
    INFO(obj);
    std::vector<uint8_t> raw = file_bytes(obj);
    std::vector<uint8_t> once = serialize(read_object_bytes(raw, obj));
    std::vector<uint8_t> twice = serialize(read_object_bytes(raw, obj));
    CHECK(once == twice);
    std::vector<uint8_t> again = serialize(read_object_bytes(once, "once"));
    CHECK(again == once);
    // The rewritten object is still an object that ld accepts.
    write_bytes(dir.file("once.o"), once);
    must_run({"ld", "-r", dir.file("once.o"), "-o", dir.file("relinked.o")});
  }
}

TEST_CASE("the model read back from the writer matches the original model", "[elf][writer]") {
  TempDir dir;
  Object a = read_object(compile_xen_c(dir, "x", kSource));
  Object b = read_object_bytes(serialize(a), "rewritten");
  REQUIRE(a.sections.size() == b.sections.size());
  for (size_t i = 0; i < a.sections.size(); ++i) {
    const Section &x = *a.sections[i], &y = *b.sections[i];
    INFO(x.name);
    CHECK(x.name == y.name);
    CHECK(x.type == y.type);
    CHECK(x.flags == y.flags);
    CHECK(x.data == y.data);
    CHECK(x.size == y.size);
    REQUIRE(x.relas.size() == y.relas.size());
    for (size_t j = 0; j < x.relas.size(); ++j) {
      CHECK(x.relas[j].offset == y.relas[j].offset);
      CHECK(x.relas[j].type == y.relas[j].type);
      CHECK(x.relas[j].addend == y.relas[j].addend);
      CHECK(x.relas[j].sym->display_name() == y.relas[j].sym->display_name());
    }
    CHECK((x.info ? x.info->name : "") == (y.info ? y.info->name : ""));
  }
  Symbol *step = a.local_symbol("x.c", "step");
  REQUIRE(step);
  CHECK(step->is_func());
  REQUIRE(step->section);
  CHECK(step->section->name == ".text.step");
  CHECK(step->section->secsym);
  REQUIRE(a.global_symbol("visible"));
  CHECK(a.global_symbol("visible")->section->name == ".data.visible");
  CHECK(a.section_named(".text.run")->rela == a.section_named(".rela.text.run"));
}

TEST_CASE("the writer refuses a model that points outside the object", "[elf][writer]") {
  TempDir dir;
  Object a = read_object(compile_xen_c(dir, "x", kSource));
  Symbol stray;
  stray.name = "stray";
  Section *rela = a.section_named(".rela.text.run");
  REQUIRE(rela);
  REQUIRE(!rela->relas.empty());
  rela->relas[0].sym = &stray;
  a.path = "model.o";
  try {
    serialize(a);
    FAIL("serialize accepted a relocation to a foreign symbol");
  } catch (const lp::FileError &e) {
    CHECK(std::string(e.what()) ==
          "model.o: relocation 0 in .rela.text.run refers to symbol stray, which is not in the "
          "object");
  }
}

TEST_CASE("writer output has the layout ld and Xen's loader rely on", "[elf][writer]") {
  TempDir dir;
  RawElf e(serialize(read_object(compile_xen_c(dir, "x", kSource))));
  const Elf64_Ehdr &eh = *e.ehdr();
  CHECK(eh.e_type == ET_REL);
  CHECK(eh.e_phnum == 0);
  CHECK(eh.e_shstrndx == e.shnum() - 1);
  const size_t symtab = e.symtab();
  bool saw_nobits = false;
  for (size_t i = 1; i < e.shnum(); ++i) {
    const Elf64_Shdr &s = *e.shdr(i);
    INFO(e.section_name(i));
    CHECK(s.sh_offset >= sizeof(Elf64_Ehdr));
    CHECK(s.sh_offset <= e.bytes.size());
    if (s.sh_type != SHT_NOBITS)
      CHECK(s.sh_offset + s.sh_size <= eh.e_shoff);
    saw_nobits |= s.sh_type == SHT_NOBITS;
    if (s.sh_flags & SHF_ALLOC)
      CHECK(s.sh_addralign >= 1);
    if (s.sh_type == SHT_RELA) {
      CHECK(s.sh_link == symtab);
      CHECK(s.sh_info > 0);
      CHECK(s.sh_info < e.shnum());
      CHECK((s.sh_flags & SHF_INFO_LINK) != 0);
      CHECK(s.sh_entsize == sizeof(Elf64_Rela));
    }
    if (s.sh_type == SHT_STRTAB) {
      REQUIRE(s.sh_size >= 1);
      CHECK(e.bytes[s.sh_offset] == 0);
      CHECK(e.bytes[s.sh_offset + s.sh_size - 1] == 0);
    }
  }
  CHECK(saw_nobits);
  CHECK(e.shdr(symtab)->sh_entsize == sizeof(Elf64_Sym));
  size_t locals = 1;
  while (locals < e.sym_count() && ELF64_ST_BIND(e.sym(locals)->st_info) == STB_LOCAL)
    ++locals;
  CHECK(e.shdr(symtab)->sh_info == locals);
  for (size_t i = 1; i < e.sym_count(); ++i) {
    if (i >= locals)
      CHECK(ELF64_ST_BIND(e.sym(i)->st_info) != STB_LOCAL);
    if (ELF64_ST_TYPE(e.sym(i)->st_info) == STT_SECTION)
      CHECK(e.sym(i)->st_name == 0);
  }
}
