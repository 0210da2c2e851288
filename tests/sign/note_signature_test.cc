// The .note.Xen.signature format: layout, agreement with the openssl command
// line in both directions, determinism, and every refusal Xen's rules (and
// ours) call for.
#include "sign_fixture.h"

#include "elf/reader.h"
#include "elf/writer.h"
#include "sign/note_signature.h"
#include "sign/raw_sections.h"

#include <catch2/catch.hpp>
#include <elf.h>

#include <cstring>

using namespace lp::test;
using namespace lp::test::sign;
using lp::sign::locate_note_signature;
using lp::sign::VerifyOptions;

namespace {

VerifyOptions with_pub(const KeySet &k) { return {"", k.pub}; }

void put_u32(std::vector<uint8_t> &bytes, uint64_t offset, uint32_t v) {
  std::memcpy(bytes.data() + offset, &v, sizeof v);
}

// File offset of the note header (namesz) of the signature note.
uint64_t note_header_offset(const std::vector<uint8_t> &file) {
  return locate_note_signature(file, "payload").descriptor_offset - 16;
}

// One note with a zero descriptor.
std::vector<uint8_t> note(const std::string &name, uint32_t type, uint32_t descsz) {
  uint32_t namesz = static_cast<uint32_t>(name.size() + 1);
  std::vector<uint8_t> out(12 + (namesz + 3) / 4 * 4 + (descsz + 3) / 4 * 4, 0);
  put_u32(out, 0, namesz);
  put_u32(out, 4, descsz);
  put_u32(out, 8, type);
  std::copy(name.begin(), name.end(), out.begin() + 12);
  return out;
}

// The unsigned payload with extra sections named .note.Xen.signature holding
// `contents`, serialised through the ELF model.
std::vector<uint8_t> with_note_sections(const std::vector<std::vector<uint8_t>> &contents) {
  auto obj = lp::elf::read_object_bytes(unsigned_payload(), "payload");
  for (const auto &c : contents) {
    auto s = std::make_unique<lp::elf::Section>();
    s->name = ".note.Xen.signature";
    s->type = SHT_NOTE;
    s->flags = SHF_ALLOC;
    s->align = 4;
    s->set_data(c);
    obj.add_section(std::move(s));
  }
  obj.reindex();
  return lp::elf::serialize(obj);
}

} // namespace

TEST_CASE("note: the section is one allocated SHT_NOTE \"Xen\" note of type 1", "[sign][note]") {
  auto file = note_signed_payload();
  auto secs = lp::sign::raw_sections_named(file, ".note.Xen.signature", "payload");
  REQUIRE(secs.size() == 1);
  CHECK(secs[0].type == SHT_NOTE);
  CHECK(secs[0].flags == SHF_ALLOC);
  CHECK(secs[0].size == 12 + 4 + 256);
  CHECK(secs[0].offset % 4 == 0);
  const uint8_t *n = file.data() + secs[0].offset;
  uint32_t namesz, descsz, type;
  std::memcpy(&namesz, n, 4);
  std::memcpy(&descsz, n + 4, 4);
  std::memcpy(&type, n + 8, 4);
  CHECK(namesz == 4);
  CHECK(descsz == 256);
  CHECK(type == 0x00000001);
  CHECK(std::memcmp(n + 12, "Xen", 4) == 0);
  // The rest of the payload survives: still an ELF object the model reads.
  auto obj = lp::elf::read_object_bytes(file, "payload");
  CHECK(obj.section_named(".livepatch.funcs") != nullptr);
  CHECK(obj.section_named(".note.gnu.build-id") != nullptr);
}

TEST_CASE("note: openssl dgst verifies what the tool signs", "[sign][note]") {
  TempDir dir;
  std::string payload = dir.file("p.livepatch");
  write_bytes(payload, unsigned_payload());
  RunResult r = livepatch_sign({"sign", "--format", "note", "--key", keys().key, payload});
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto file = read_bytes(payload);
  auto loc = locate_note_signature(file, payload);
  auto sig_begin = file.begin() + static_cast<ptrdiff_t>(loc.descriptor_offset);
  write_bytes(dir.file("sig.bin"), {sig_begin, sig_begin + loc.descriptor_size});
  std::fill_n(sig_begin, loc.descriptor_size, 0);
  write_bytes(dir.file("zeroed.bin"), file);
  r = run({"openssl", "dgst", "-sha256", "-verify", keys().pub, "-signature", dir.file("sig.bin"),
           dir.file("zeroed.bin")});
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("Verified OK") != std::string::npos);
  // And with the other key openssl refuses it: the check above can fail.
  r = run({"openssl", "dgst", "-sha256", "-verify", other_keys().pub, "-signature",
           dir.file("sig.bin"), dir.file("zeroed.bin")});
  CHECK(r.status != 0);
}

TEST_CASE("note: the tool verifies what openssl dgst signs", "[sign][note]") {
  TempDir dir;
  // The layout comes from the tool (signed with keys()), the signature from
  // openssl with other_keys(): only openssl's signature is in the file.
  auto file = openssl_note_resign(dir, note_signed_payload(), other_keys().key);
  CHECK(verify_failure(file, with_pub(other_keys())) == "");
  CHECK(verify_failure(file, {other_keys().cert, ""}) == "");
  CHECK(verify_failure(file, with_pub(keys())).find("does not verify") != std::string::npos);
}

TEST_CASE("note: signing is deterministic", "[sign][note]") {
  CHECK(note_signed_payload() == note_signed_payload());
  TempDir dir;
  write_bytes(dir.file("a"), unsigned_payload());
  write_bytes(dir.file("b"), unsigned_payload());
  REQUIRE(livepatch_sign({"sign", "--key", keys().key, dir.file("a")}).status == 0);
  REQUIRE(livepatch_sign({"sign", "--key", keys().key, dir.file("b")}).status == 0);
  CHECK(read_bytes(dir.file("a")) == read_bytes(dir.file("b")));
  CHECK(read_bytes(dir.file("a")) == note_signed_payload());
}

TEST_CASE("note: one flipped byte anywhere is refused", "[sign][note]") {
  const auto good = note_signed_payload();
  REQUIRE(verify_failure(good, with_pub(keys())) == "");
  uint64_t desc = locate_note_signature(good, "payload").descriptor_offset;
  uint64_t header = desc - 16;

  struct Case {
    const char *what;
    uint64_t offset;
    uint8_t mask;
    const char *message;
  };
  const Case cases[] = {
      {"ELF header padding", EI_PAD, 0x01, "does not verify"},
      {"ELF header e_flags", 0x30, 0x01, "does not verify"},
      {"first byte of the file", 0, 0x01, "not an ELF64"},
      {"note name", header + 12, 0x01, "no \"Xen\" note"},
      {"note type, hash byte", header + 11, 0x01, "hash 1 is not supported"},
      {"note type, algorithm byte", header + 10, 0x01, "algorithm 1 is not supported"},
      {"note type, version", header + 8, 0x02, "version 3 is not supported"},
      {"note descsz", header + 4, 0x08, "truncated"},
      {"signature, first byte", desc, 0x80, "does not verify"},
      {"signature, last byte", desc + 255, 0x01, "does not verify"},
  };
  for (const Case &c : cases) {
    auto bad = good;
    bad[c.offset] ^= c.mask;
    std::string failure = verify_failure(bad, with_pub(keys()));
    INFO(c.what << ": " << failure);
    CHECK(failure.rfind("payload: ", 0) == 0);
    CHECK(failure.find(c.message) != std::string::npos);
  }
}

TEST_CASE("note: every single-byte flip, in code and headers alike, is refused", "[sign][note]") {
  const auto good = note_signed_payload();
  size_t accepted = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x10;
    try {
      lp::sign::verify_payload(bad, "payload", with_pub(keys()));
      ++accepted;
      UNSCOPED_INFO("accepted with byte " << i << " flipped");
    } catch (const lp::sign::VerificationError &) {
    }
  }
  CHECK(accepted == 0);
}

TEST_CASE("note: a descriptor that does not match the key size is refused", "[sign][note]") {
  auto file = note_signed_payload();
  uint64_t header = note_header_offset(file);
  SECTION("descriptor claims more bytes than the section holds") {
    put_u32(file, header + 4, 260);
    CHECK(verify_failure(file, with_pub(keys())).find("is truncated: it needs 276 bytes, 272 are left") !=
          std::string::npos);
  }
  SECTION("descriptor shorter than the modulus: the rest reads as a truncated note") {
    put_u32(file, header + 4, 128);
    CHECK(verify_failure(file, with_pub(keys())).find("note 1 in .note.Xen.signature is "
                                                      "truncated") != std::string::npos);
  }
  SECTION("the file cut short inside the section table") {
    file.resize(file.size() - 10);
    CHECK(verify_failure(file, with_pub(keys())).find("section header table lies outside") !=
          std::string::npos);
  }
}

TEST_CASE("note: a signature note shorter than the key's modulus is refused", "[sign][note]") {
  TempDir dir;
  auto file = with_note_sections({note("Xen", 1, 128)});
  CHECK(verify_failure(file, with_pub(keys())).find("128 bytes but the key's modulus is 256") !=
        std::string::npos);
  file = with_note_sections({note("Xen", 1, 1024)});
  CHECK(verify_failure(file, with_pub(keys())).find("1024 bytes; Xen accepts 1..1023") !=
        std::string::npos);
  file = with_note_sections({note("Xen", 1, 0)});
  CHECK(verify_failure(file, with_pub(keys())).find("0 bytes; Xen accepts 1..1023") !=
        std::string::npos);
}

TEST_CASE("note: a wrong hash, algorithm or version code is refused even when the signature "
          "is valid",
          "[sign][note]") {
  TempDir dir;
  struct Case {
    uint32_t type;
    const char *message;
  };
  const Case cases[] = {
      {0x01000001, "hash 1 is not supported (only 0, SHA-256)"},
      {0x00010001, "algorithm 1 is not supported (only 0, RSA)"},
      {0x00000002, "version 2 is not supported"},
      {0x00000000, "version 0 is not supported"},
  };
  for (const Case &c : cases) {
    auto file = note_signed_payload();
    put_u32(file, note_header_offset(file) + 8, c.type);
    file = openssl_note_resign(dir, file, keys().key);
    std::string failure = verify_failure(file, with_pub(keys()));
    INFO(failure);
    CHECK(failure.find(c.message) != std::string::npos);
  }
}

TEST_CASE("note: the signature note may follow other notes, as Xen walks them", "[sign][note]") {
  TempDir dir;
  auto contents = note("GNU", 3, 20);
  auto xen = note("Xen", 1, 256);
  contents.insert(contents.end(), xen.begin(), xen.end());
  auto file = with_note_sections({contents});
  file = openssl_note_resign(dir, file, keys().key);
  CHECK(verify_failure(file, with_pub(keys())) == "");
}

TEST_CASE("note: two signature notes, two sections or none are refused", "[sign][note]") {
  TempDir dir;
  auto one = note("Xen", 1, 256);
  auto two = one;
  two.insert(two.end(), one.begin(), one.end());
  CHECK(verify_failure(with_note_sections({two}), with_pub(keys()))
            .find("two \"Xen\" signature notes") != std::string::npos);
  CHECK(verify_failure(with_note_sections({one, one}), with_pub(keys()))
            .find("2 sections named .note.Xen.signature") != std::string::npos);
  CHECK(verify_failure(with_note_sections({note("GNU", 1, 256)}), with_pub(keys()))
            .find("no \"Xen\" note") != std::string::npos);
  CHECK(verify_failure(with_note_sections({{1, 2, 3}}), with_pub(keys())).find("truncated") !=
        std::string::npos);
}

TEST_CASE("note: a section of the wrong type is refused", "[sign][note]") {
  auto obj = lp::elf::read_object_bytes(note_signed_payload(), "payload");
  obj.section_named(".note.Xen.signature")->type = SHT_PROGBITS;
  auto file = lp::elf::serialize(obj);
  CHECK(verify_failure(file, with_pub(keys())).find("not SHT_NOTE") != std::string::npos);
}

TEST_CASE("note: a larger key gives a larger descriptor, still verified", "[sign][note]") {
  TempDir dir;
  RunResult r = run({std::string(LP_SOURCE_DIR) + "/scripts/make-test-key.sh", "--bits", "3072",
                     dir.file("k")});
  REQUIRE(r.status == 0);
  lp::sign::SignOptions opt;
  opt.key = dir.file("k/signing_key.pem");
  auto file = lp::sign::sign_payload(unsigned_payload(), "payload", opt);
  CHECK(locate_note_signature(file, "payload").descriptor_size == 384);
  CHECK(verify_failure(file, {"", dir.file("k/verify_key.pem")}) == "");
  CHECK(verify_failure(file, with_pub(keys())).find("384 bytes but the key's modulus is 256") !=
        std::string::npos);
}
