// Build-id notes of any length, and hex parsing with clear errors.
#include "elf/error.h"
#include "payload/build_id_note.h"

#include <catch2/catch.hpp>

using namespace lp::payload;

TEST_CASE("a 20-byte build-id note has Xen's layout", "[payload][note]") {
  auto id = parse_build_id_hex("00112233445566778899aabbccddeeff00112233", "--depends");
  auto note = build_id_note(id);
  REQUIRE(note.size() == 36);
  std::vector<uint8_t> head(note.begin(), note.begin() + 16);
  CHECK(head == std::vector<uint8_t>{4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0});
  CHECK(std::vector<uint8_t>(note.begin() + 16, note.end()) == id);
  CHECK(note_build_id(note) == id);
}

TEST_CASE("build-ids of other lengths keep their length", "[payload][note]") {
  for (const char *hex : {"0123456789abcdef0123456789abcdef", "a1b2c3", "ff"}) {
    auto id = parse_build_id_hex(hex, "--xen-depends");
    auto note = build_id_note(id);
    CHECK(note[4] == id.size());
    CHECK(note.size() % 4 == 0);
    CHECK(note_build_id(note) == id);
  }
}

TEST_CASE("bad hex build-ids are refused naming the option", "[payload][note]") {
  auto message = [](const char *hex) {
    try {
      parse_build_id_hex(hex, "--depends");
    } catch (const lp::FileError &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message("") == "--depends: empty build-id");
  CHECK(message("abc") == "--depends: build-id 'abc' has an odd number of hex digits");
  CHECK(message("zz") == "--depends: build-id 'zz' is not hexadecimal");
}

TEST_CASE("set_build_id_section makes an allocated PROGBITS note section", "[payload][note]") {
  lp::elf::Object obj;
  std::vector<uint8_t> id = {1, 2, 3, 4, 5};
  set_build_id_section(obj, ".livepatch.depends", id);
  auto *sec = obj.section_named(".livepatch.depends");
  REQUIRE(sec);
  CHECK(sec->type == 1 /* SHT_PROGBITS */);
  CHECK(sec->flags == 2 /* SHF_ALLOC */);
  CHECK(sec->align == 4);
  CHECK(note_build_id(sec->data) == id);
}
