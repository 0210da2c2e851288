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
