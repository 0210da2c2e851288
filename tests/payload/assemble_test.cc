// Payload assembly on a hand-made diff result: notes, .modinfo, stripped
// metadata symbols with retargeted relocations, a deterministic build-id.
#include "payload_fixture.h"

#include "elf/error.h"
#include "elf/reader.h"
#include "payload/assemble.h"
#include "payload/build_id_note.h"
#include "payload/digest.h"
#include "payload/payload_build_id.h"

#include <catch2/catch.hpp>
#include <elf.h>
#include <filesystem>

using namespace lp::payload;
using lp::test::TempDir;

namespace {

AssembleRequest request(const TempDir &dir, std::vector<std::string> objects) {
  AssembleRequest req;
  req.objects = std::move(objects);
  req.linked_path = dir.file("output.o");
  req.output = dir.file("demo.livepatch");
  req.depends = parse_build_id_hex("aabbccddeeff00112233445566778899aabbccdd", "--depends");
  req.xen_depends = parse_build_id_hex("0123456789abcdef0123456789abcdef", "--xen-depends");
  req.modinfo = {"demo", std::string(64, 'e'), "xen-livepatch-tools 0.1.0",
                 "0123456789abcdef0123456789abcdef", "", {}};
  return req;
}

const lp::elf::Symbol *symbol_named(const lp::elf::Object &obj, std::string_view name) {
  auto syms = obj.symbols_named(name);
  return syms.empty() ? nullptr : syms.front();
}

} // namespace

TEST_CASE("assembled payload carries both dependency notes and .modinfo", "[payload][assemble]") {
  TempDir dir;
  auto req = request(dir, {lp::test::standard_diff_object(dir)});
  AssembleResult res = assemble_payload(req);
  lp::elf::Object p = lp::elf::read_object(req.output);

  auto *dep = p.section_named(".livepatch.depends");
  auto *xdep = p.section_named(".livepatch.xen_depends");
  REQUIRE(dep);
  REQUIRE(xdep);
  CHECK(dep->data == build_id_note(req.depends));
  CHECK(xdep->data == build_id_note(req.xen_depends));
  CHECK(xdep->data[4] == 16);
  CHECK(dep->flags == SHF_ALLOC);

  auto *mi = p.section_named(".modinfo");
  REQUIRE(mi);
  CHECK((mi->flags & SHF_ALLOC));
  CHECK(mi->data.back() == 0);
  auto entries = parse_modinfo(mi->data);
  REQUIRE(entries.size() == 4);
  CHECK(entries[0] == std::pair<std::string, std::string>{"name", "demo"});
  CHECK(entries[1].first == "source_patch_sha256");
  CHECK(entries[3] == std::pair<std::string, std::string>{"xen_build_id",
                                                          "0123456789abcdef0123456789abcdef"});
  CHECK(res.functions == std::vector<std::string>{"foo"});
}

TEST_CASE("metadata symbols are stripped and relocations retargeted", "[payload][strip]") {
  TempDir dir;
  auto req = request(dir, {lp::test::standard_diff_object(dir)});
  AssembleResult res = assemble_payload(req);
  CHECK(res.stripped == std::vector<std::string>{"lp_funcs", "livepatch_load_data_my_load"});

  lp::elf::Object p = lp::elf::read_object(req.output);
  CHECK(!symbol_named(p, "lp_funcs"));
  CHECK(!symbol_named(p, "livepatch_load_data_my_load"));
  REQUIRE(symbol_named(p, "foo"));

  // funcs_ref = &lp_funcs[0].old_addr: now .livepatch.funcs + 16.
  auto *data = p.section_named(".data.rel.local.funcs_ref");
  if (!data)
    data = p.section_named(".data.funcs_ref");
  REQUIRE(data);
  REQUIRE(data->rela);
  REQUIRE(data->rela->relas.size() == 1);
  const auto &r = data->rela->relas[0];
  CHECK(r.sym->is_section());
  CHECK(r.sym->section->name == ".livepatch.funcs");
  CHECK(r.addend == 16);

  // The hook pointer still points at my_load.
  auto *hook = p.section_named(".livepatch.hooks.load");
  REQUIRE(hook);
  REQUIRE(hook->rela);
  CHECK(hook->rela->relas.size() == 1);
}

TEST_CASE("the payload build-id is SHA-1 over the file with the descriptor zeroed",
          "[payload][build-id]") {
  TempDir dir;
  auto req = request(dir, {lp::test::standard_diff_object(dir)});
  AssembleResult res = assemble_payload(req);
  auto bytes = lp::test::file_bytes(req.output);
  auto sec = find_section(bytes, ".note.gnu.build-id");
  REQUIRE(sec);
  auto note = std::vector<uint8_t>(bytes.begin() + sec->offset,
                                   bytes.begin() + sec->offset + sec->size);
  REQUIRE(note_build_id(note) == res.build_id);
  std::fill(bytes.begin() + sec->offset + 16, bytes.begin() + sec->offset + 36, 0);
  CHECK(sha1(bytes) == res.build_id);
  lp::elf::Object p = lp::elf::read_object(req.output);
  CHECK(p.section_named(".note.gnu.build-id")->type == SHT_NOTE);
}

TEST_CASE("identical inputs give byte-identical payloads, other inputs another id",
          "[payload][determinism]") {
  TempDir dir;
  auto obj = lp::test::standard_diff_object(dir);
  auto req = request(dir, {obj});
  auto first = assemble_payload(req);
  auto bytes1 = lp::test::file_bytes(req.output);
  auto second = assemble_payload(req);
  CHECK(lp::test::file_bytes(req.output) == bytes1);
  CHECK(first.build_id == second.build_id);

  req.modinfo.name = "other";
  auto third = assemble_payload(req);
  CHECK(third.build_id != first.build_id);
}

TEST_CASE("two diff objects link into one .livepatch.funcs array", "[payload][assemble]") {
  TempDir dir;
  auto a = lp::test::standard_diff_object(dir, "a");
  auto b = lp::test::compile_xen_c(dir, "b", R"(
#include <stdint.h>
struct livepatch_func {
  const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32];
};
int plain_fn(int x) { return x - 1; }
static struct livepatch_func f[] __attribute__((section(".livepatch.funcs"), used, aligned(8))) = {
  { .name = "plain_fn", .new_addr = plain_fn, .new_size = 4, .old_size = 16, .version = 2 },
};
)");
  auto req = request(dir, {b, a});
  AssembleResult res = assemble_payload(req);
  CHECK(res.functions == std::vector<std::string>{"foo", "plain_fn"});
  lp::elf::Object p = lp::elf::read_object(req.output);
  CHECK(p.section_named(".livepatch.funcs")->size == 208);
}

TEST_CASE("a link failure names the output and writes no payload", "[payload][assemble]") {
  TempDir dir;
  std::string bogus = dir.write("bogus.o", "not an object");
  auto req = request(dir, {bogus});
  CHECK_THROWS_AS(assemble_payload(req), lp::FileError);
  CHECK(!std::filesystem::exists(req.output));
}
