// LinkedImage on a small xen-syms look-alike: objects compiled with Xen's
// flags, their STT_FILE symbols renamed to tree paths with objcopy (as Xen's
// build does), linked with ld at Xen's text address with a SHA-1 build-id.
// Two files define a static `helper`; two more files both named
// common/dup.c define a static `dup`, which makes "common/dup.c#dup"
// ambiguous. Addresses and the build-id are checked against nm and readelf.
#include "elf_fixture.h"

#include "elf/error.h"
#include "elf/image.h"
#include "elf/insn.h"

#include <catch2/catch.hpp>
#include <set>
#include <sstream>

using namespace lp::test;
using lp::elf::LinkedImage;

namespace {

constexpr uint64_t kTextBase = 0xffff82d040200000;

std::string build_image(const TempDir &dir) {
  std::vector<std::string> objs = {assemble(dir, "thunk", R"(
  .text
  .globl __x86_return_thunk
__x86_return_thunk:
  ret
  .section .note.GNU-stack,"",@progbits
)")};
  struct Unit { const char *name, *path, *source; };
  const Unit units[] = {
      {"a", "common/a.c",
       "__attribute__((noipa)) static int helper(int x) { return x + 0x11111; }\n"
       "int a_func(int x) { return helper(x) * 2; }\n"},
      {"b", "arch/x86/b.c",
       "__attribute__((noipa)) static int helper(int x) { return x + 0x22222; }\n"
       "int b_func(int x) { return helper(x) * 3; }\n"
       "__attribute__((weak)) int w_func(void) { return 1; }\n"},
      {"d1", "common/dup.c",
       "__attribute__((noipa)) static int dup(void) { return 1; }\n"
       "int d1_func(void) { return dup(); }\n"},
      {"d2", "common/dup.c",
       "__attribute__((noipa)) static int dup(void) { return 2; }\n"
       "int d2_func(void) { return dup(); }\n"},
  };
  for (const Unit &u : units) {
    std::string obj = compile_xen_c(dir, u.name, u.source);
    must_run({"objcopy", "--redefine-sym", std::string(u.name) + ".c=" + u.path, obj});
    objs.push_back(obj);
  }
  std::vector<std::string> argv = {"ld", "-Ttext=0xffff82d040200000", "--build-id=sha1",
                                   "-e", "a_func", "-o", dir.file("xen-syms")};
  argv.insert(argv.end(), objs.begin(), objs.end());
  must_run(argv);
  return dir.file("xen-syms");
}

// Addresses nm prints for `name` with the given type letter.
std::set<uint64_t> nm_addresses(const std::string &image, const std::string &name, char type) {
  std::set<uint64_t> out;
  std::istringstream in(must_run({"nm", image}));
  std::string addr, t, n;
  while (in >> addr >> t >> n)
    if (n == name && t[0] == type)
      out.insert(std::stoull(addr, nullptr, 16));
  return out;
}

std::string hex(const std::vector<uint8_t> &bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes)
    s += {digits[b >> 4], digits[b & 15]};
  return s;
}

} // namespace

TEST_CASE("linked image lookups by global, local and Xen name", "[elf][image]") {
  TempDir dir;
  const std::string path = build_image(dir);
  LinkedImage img = LinkedImage::open(path);
  CHECK(img.e_type() == ET_EXEC);

  const auto *a_func = img.global("a_func");
  REQUIRE(a_func);
  CHECK(a_func->type == STT_FUNC);
  CHECK(nm_addresses(path, "a_func", 'T') == std::set<uint64_t>{a_func->address});
  CHECK(a_func->address >= kTextBase);
  CHECK(img.by_xen_name("a_func") == a_func);
  CHECK(a_func->xen_name() == "a_func");

  const auto *ha = img.local("common/a.c", "helper");
  const auto *hb = img.local("arch/x86/b.c", "helper");
  REQUIRE(ha);
  REQUIRE(hb);
  CHECK(ha != hb);
  CHECK(nm_addresses(path, "helper", 't') == std::set<uint64_t>{ha->address, hb->address});
  CHECK(ha->xen_name() == "common/a.c#helper");
  CHECK(img.by_xen_name("common/a.c#helper") == ha);
  CHECK(img.by_xen_name("arch/x86/b.c#helper") == hb);
  CHECK(img.global("helper") == nullptr);
  CHECK(img.local("common/a.c", "nope") == nullptr);
  CHECK(img.local("common/b.c", "helper") == nullptr);

  // The bytes read at each static are that file's function.
  lp::elf::InsnDecoder decoder;
  auto code_a = img.read(ha->address, ha->size);
  auto code_b = img.read(hb->address, hb->size);
  REQUIRE(code_a);
  REQUIRE(code_b);
  INFO(decoder.disassemble_at(*code_a, 0) << " / " << decoder.disassemble_at(*code_b, 0));
  CHECK(decoder.disassemble_at(*code_a, 0).find("0x11111") != std::string::npos);
  CHECK(decoder.disassemble_at(*code_b, 0).find("0x22222") != std::string::npos);

  REQUIRE(img.global("w_func"));
  CHECK(img.global("w_func")->bind == STB_WEAK);
  CHECK(img.global("w_func", /*allow_weak=*/false) == nullptr);

  // Same static twice under one file name: refused, never resolved to the first.
  try {
    img.by_xen_name("common/dup.c#dup");
    FAIL("ambiguous static resolved");
  } catch (const lp::FileError &e) {
    CHECK(std::string(e.what()) == path + ": local symbol common/dup.c#dup is ambiguous: it is "
                                          "defined more than once in that file");
  }
}

TEST_CASE("linked image build-id and address reads", "[elf][image]") {
  TempDir dir;
  const std::string path = build_image(dir);
  LinkedImage img = LinkedImage::open(path);

  auto id = img.build_id();
  REQUIRE(id);
  CHECK(id->size() == 20);
  std::string notes = must_run({"readelf", "-n", path});
  CHECK(notes.find("Build ID: " + hex(*id)) != std::string::npos);

  auto note = img.build_id_note();
  REQUIRE(note);
  REQUIRE(note->size() == 12 + 4 + 20);
  const std::vector<uint8_t> header = {4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0};
  CHECK(std::vector<uint8_t>(note->begin(), note->begin() + 16) == header);
  CHECK(std::vector<uint8_t>(note->begin() + 16, note->end()) == *id);

  const auto *a_func = img.global("a_func");
  REQUIRE(a_func);
  CHECK(img.read(a_func->address, a_func->size));
  CHECK_FALSE(img.read(0x1000, 4));
  const lp::elf::ImageSection *text = img.section_named(".text");
  REQUIRE(text);
  CHECK_FALSE(img.read(text->addr + text->size - 2, 8));
  CHECK(img.read(text->addr + text->size - 2, 2));
}

TEST_CASE("LinkedImage refuses a relocatable object and a missing file", "[elf][image]") {
  TempDir dir;
  std::string obj = compile_xen_c(dir, "r", "int x;\n");
  CHECK_THROWS_AS(LinkedImage::open(obj), lp::FileError);
  CHECK_THROWS_AS(LinkedImage::open(dir.file("missing")), lp::FileError);
}
