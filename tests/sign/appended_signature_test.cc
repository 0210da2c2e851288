// The appended module signature: layout, agreement with `openssl cms` in both
// directions, and every refusal (tampering, truncation, wrong key, wrong
// digest, header codes, certificates smuggled into the CMS structure).
#include "sign_fixture.h"

#include "sign/appended_signature.h"
#include "sign/key_source.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace lp::test;
using namespace lp::test::sign;
using lp::sign::VerifyOptions;

namespace {

const std::string kMagic = "~Module signature appended~\n";

VerifyOptions with_cert(const std::string &cert) { return {cert, ""}; }

std::vector<uint8_t> cms_of(const std::vector<uint8_t> &file) {
  auto parts = lp::sign::split_appended_signature(file, "payload");
  return {parts.cms.begin(), parts.cms.end()};
}

// content | cms | header | magic, with the header as sign-file writes it.
std::vector<uint8_t> assemble(const std::vector<uint8_t> &content, const std::vector<uint8_t> &cms,
                              uint32_t sig_len) {
  std::vector<uint8_t> out = content;
  out.insert(out.end(), cms.begin(), cms.end());
  std::vector<uint8_t> header = {0, 0, 2, 0, 0, 0, 0, 0};
  for (int shift = 24; shift >= 0; shift -= 8)
    header.push_back(static_cast<uint8_t>(sig_len >> shift));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  return out;
}

// `openssl cms -sign` over the unsigned payload with `extra` options.
std::vector<uint8_t> openssl_cms_sign(const TempDir &dir, const KeySet &k,
                                      const std::vector<std::string> &extra) {
  write_bytes(dir.file("content.bin"), unsigned_payload());
  std::vector<std::string> argv = {"openssl", "cms", "-sign", "-binary", "-outform", "DER",
                                   "-in", dir.file("content.bin"), "-signer", k.cert, "-inkey",
                                   k.key, "-out", dir.file("openssl.p7s")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunResult r = run(argv);
  INFO(r.output);
  REQUIRE(r.status == 0);
  auto cms = read_bytes(dir.file("openssl.p7s"));
  return assemble(unsigned_payload(), cms, static_cast<uint32_t>(cms.size()));
}

RunResult openssl_cms_verify(const TempDir &dir, const std::vector<uint8_t> &file,
                             const std::string &cert) {
  write_bytes(dir.file("sig.p7s"), cms_of(file));
  write_bytes(dir.file("content.bin"), unsigned_payload());
  return run({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", dir.file("sig.p7s"),
              "-content", dir.file("content.bin"), "-certfile", cert, "-noverify", "-out",
              "/dev/null"});
}

} // namespace

TEST_CASE("appended: file, DER CMS, 12-byte header, magic", "[sign][appended]") {
  const auto &orig = unsigned_payload();
  auto file = appended_signed_payload();
  REQUIRE(file.size() > orig.size() + 40);
  CHECK(std::equal(orig.begin(), orig.end(), file.begin()));
  CHECK(std::string(file.end() - 28, file.end()) == kMagic);
  const uint8_t *h = file.data() + file.size() - 40;
  CHECK(h[0] == 0);
  CHECK(h[1] == 0);
  CHECK(h[2] == 2);
  CHECK(h[3] == 0);
  CHECK(h[4] == 0);
  CHECK((h[5] | h[6] | h[7]) == 0);
  uint32_t sig_len = uint32_t{h[8]} << 24 | uint32_t{h[9]} << 16 | uint32_t{h[10]} << 8 | h[11];
  CHECK(orig.size() + sig_len + 40 == file.size());
  CHECK(file[orig.size()] == 0x30); // DER SEQUENCE
}

TEST_CASE("appended: openssl cms verifies what the tool signs", "[sign][appended]") {
  TempDir dir;
  for (bool ski : {false, true}) {
    INFO("subjectKeyIdentifier: " << ski);
    auto file = appended_signed_payload(ski);
    RunResult r = openssl_cms_verify(dir, file, keys().cert);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(openssl_cms_verify(dir, file, other_keys().cert).status != 0);
    r = run({"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", dir.file("sig.p7s")});
    CHECK(r.output.find("signedAttrs:\n          <ABSENT>") != std::string::npos);
    CHECK(r.output.find("certificates:\n      <ABSENT>") != std::string::npos);
    CHECK(r.output.find("algorithm: sha256") != std::string::npos);
    CHECK(r.output.find(ski ? "subjectKeyIdentifier" : "issuerAndSerialNumber") !=
          std::string::npos);
  }
}

TEST_CASE("appended: the tool verifies what openssl cms signs", "[sign][appended]") {
  TempDir dir;
  for (auto extra : {std::vector<std::string>{"-noattr", "-nocerts", "-md", "sha256"},
                     std::vector<std::string>{"-noattr", "-nocerts", "-md", "sha256", "-keyid"}}) {
    auto file = openssl_cms_sign(dir, other_keys(), extra);
    CHECK(verify_failure(file, with_cert(other_keys().cert)) == "");
    CHECK(verify_failure(file, with_cert(other_keys().cert_der)) == "");
    CHECK(verify_failure(file, with_cert(keys().cert)).find("does not verify") !=
          std::string::npos);
  }
}

TEST_CASE("appended: signing is deterministic", "[sign][appended]") {
  CHECK(appended_signed_payload() == appended_signed_payload());
  CHECK(appended_signed_payload(true) == appended_signed_payload(true));
}

TEST_CASE("appended: one flipped byte is refused with its reason", "[sign][appended]") {
  const auto good = appended_signed_payload();
  REQUIRE(verify_failure(good, with_cert(keys().cert)) == "");
  const size_t content = unsigned_payload().size(), end = good.size();
  struct Case {
    const char *what;
    size_t offset;
    uint8_t mask;
    const char *message;
  };
  const Case cases[] = {
      {"ELF header", 0x30, 0x01, "does not verify"},
      {"code", content / 2, 0x01, "does not verify"},
      {"last content byte", content - 1, 0x01, "does not verify"},
      {"CMS tag", content, 0x01, "not a DER CMS structure"},
      {"signature value", end - 41, 0x01, "does not verify"},
      {"header algo", end - 40, 0x01, "algo is 1, expected 0"},
      {"header hash", end - 39, 0x01, "hash is 1, expected 0"},
      {"header id_type", end - 38, 0x03, "id_type is 1, expected 2"},
      {"header signer_len", end - 37, 0x04, "signer_len is 4, expected 0"},
      {"header pad", end - 33, 0x01, "pad is 1"},
      {"header sig_len", end - 29, 0x01, "not a DER CMS structure"},
      {"magic", end - 1, 0x01, "not signed"},
  };
  for (const Case &c : cases) {
    auto bad = good;
    bad[c.offset] ^= c.mask;
    std::string failure = verify_failure(bad, with_cert(keys().cert));
    INFO(c.what << ": " << failure);
    CHECK(failure.rfind("payload: ", 0) == 0);
    CHECK(failure.find(c.message) != std::string::npos);
  }
}

TEST_CASE("appended: every flip in the content, the trailer and the signature value is refused",
          "[sign][appended]") {
  const auto good = appended_signed_payload();
  const size_t content = unsigned_payload().size();
  std::vector<size_t> offsets;
  for (size_t i = 0; i < content; i += 3)
    offsets.push_back(i);
  for (size_t i = good.size() - 40 - 256; i < good.size(); ++i)
    offsets.push_back(i); // the RSA signature value, the header, the magic
  size_t accepted = 0;
  for (size_t i : offsets) {
    auto bad = good;
    bad[i] ^= 0x20;
    try {
      lp::sign::verify_payload(bad, "payload", with_cert(keys().cert));
      ++accepted;
      UNSCOPED_INFO("accepted with byte " << i << " flipped");
    } catch (const lp::sign::VerificationError &) {
    }
  }
  CHECK(accepted == 0);
}

TEST_CASE("appended: truncated signatures are refused", "[sign][appended]") {
  const auto &orig = unsigned_payload();
  auto cms = cms_of(appended_signed_payload());
  SECTION("one byte of the CMS structure missing") {
    auto short_cms = std::vector<uint8_t>(cms.begin(), cms.end() - 1);
    auto file = assemble(orig, short_cms, static_cast<uint32_t>(short_cms.size()));
    CHECK(verify_failure(file, with_cert(keys().cert)).find("not a DER CMS structure") !=
          std::string::npos);
  }
  SECTION("signature length larger than the file") {
    auto file = assemble({}, cms, static_cast<uint32_t>(cms.size() + 1));
    CHECK(verify_failure(file, with_cert(keys().cert)).find("does not fit") != std::string::npos);
  }
  SECTION("signature length zero") {
    auto file = assemble(orig, {}, 0);
    CHECK(verify_failure(file, with_cert(keys().cert)).find("length 0 does not fit") !=
          std::string::npos);
  }
  SECTION("the magic cut short") {
    auto file = appended_signed_payload();
    file.pop_back();
    CHECK(verify_failure(file, with_cert(keys().cert)).find("not signed") != std::string::npos);
  }
}

TEST_CASE("appended: a wrong digest, embedded content or smuggled certificate is refused",
          "[sign][appended]") {
  TempDir dir;
  SECTION("SHA-1") {
    auto file = openssl_cms_sign(dir, keys(), {"-noattr", "-nocerts", "-md", "sha1"});
    CHECK(verify_failure(file, with_cert(keys().cert)).find("uses digest SHA1, expected sha256") !=
          std::string::npos);
  }
  SECTION("content embedded instead of detached") {
    auto file = openssl_cms_sign(dir, keys(), {"-noattr", "-nocerts", "-nodetach"});
    CHECK(verify_failure(file, with_cert(keys().cert)).find("not detached") != std::string::npos);
  }
  SECTION("signed by another key that ships its own certificate") {
    // Only the verifier's certificate is trusted: a certificate inside the
    // CMS structure cannot vouch for its own signature.
    auto file = openssl_cms_sign(dir, other_keys(), {"-noattr", "-md", "sha256"});
    CHECK(verify_failure(file, with_cert(keys().cert)).find("does not verify") !=
          std::string::npos);
    CHECK(verify_failure(file, with_cert(other_keys().cert)) == "");
  }
  SECTION("signed attributes are accepted (sign-file -s writes them)") {
    auto file = openssl_cms_sign(dir, keys(), {"-nocerts", "-md", "sha256"});
    CHECK(verify_failure(file, with_cert(keys().cert)) == "");
    auto info = lp::sign::show_payload(file, "payload");
    REQUIRE(info.size() == 1);
    CHECK(info[0].algorithm.find("with signed attributes") != std::string::npos);
  }
}

TEST_CASE("appended: a public key alone cannot verify a CMS signature", "[sign][appended]") {
  CHECK(verify_failure(appended_signed_payload(), {"", keys().pub})
            .find("give --cert") != std::string::npos);
}

TEST_CASE("appended: a payload carrying both formats is refused as ambiguous", "[sign][appended]") {
  auto key = lp::sign::load_private_key(keys().key, "");
  auto cert = lp::sign::load_certificate(keys().cert, "");
  auto both = lp::sign::append_signature(note_signed_payload(), key.get(), cert.get(), false, "k");
  CHECK(verify_failure(both, with_cert(keys().cert)).find("carries both a note and an appended "
                                                          "signature") != std::string::npos);
  auto info = lp::sign::show_payload(both, "payload");
  REQUIRE(info.size() == 2);
  CHECK(info[0].format == lp::sign::Format::note);
  CHECK(info[1].format == lp::sign::Format::appended);
  // --replace removes both and leaves exactly one.
  lp::sign::SignOptions opt;
  opt.key = keys().key;
  opt.replace = true;
  auto resigned = lp::sign::sign_payload(both, "payload", opt);
  CHECK(resigned == note_signed_payload());
}
