// The livepatch-sign command: subcommands, exit codes (0 ok, 1 error, 2 not
// verified), in-place and -o output, re-signing with and without --replace,
// and what verify and show report.
#include "sign_fixture.h"

#include "elf/reader.h"
#include "elf/writer.h"
#include "sign/note_signature.h"
#include "sign/raw_sections.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>

using namespace lp::test;
using namespace lp::test::sign;

namespace {

std::string fresh_payload(const TempDir &dir, const std::string &name = "p.livepatch") {
  std::string path = dir.file(name);
  write_bytes(path, unsigned_payload());
  return path;
}

RunResult sign_with(const std::string &format, const std::string &payload,
                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"sign", "--format", format, "--key", keys().key,
                                   "--cert", keys().cert};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(payload);
  return livepatch_sign(args);
}

std::string cert_fingerprint(const std::string &cert) {
  RunResult r = run({"openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"});
  REQUIRE(r.status == 0);
  return r.output.substr(r.output.find('=') + 1, 95);
}

size_t count(const std::vector<uint8_t> &file, const std::string &needle) {
  size_t n = 0;
  auto it = file.begin();
  while ((it = std::search(it, file.end(), needle.begin(), needle.end())) != file.end()) {
    ++n;
    ++it;
  }
  return n;
}

} // namespace

TEST_CASE("command: sign in place, verify and show, both formats", "[sign][command]") {
  TempDir dir;
  for (std::string format : {"note", "appended"}) {
    std::string p = fresh_payload(dir, format + ".livepatch");
    RunResult r = sign_with(format, p);
    INFO(r.output);
    REQUIRE(r.status == 0);
    r = livepatch_sign({"verify", "--cert", keys().cert, p});
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find(format + " signature") != std::string::npos);
    CHECK(r.output.find(cert_fingerprint(keys().cert)) != std::string::npos);
    CHECK(r.output.find("CN=Throw-away live-patch test signing key") != std::string::npos);
    r = livepatch_sign({"show", p});
    CHECK(r.status == 0);
    CHECK(r.output.find(format + " signature") != std::string::npos);
  }
  RunResult r = livepatch_sign({"verify", "--pubkey", keys().pub, dir.file("note.livepatch")});
  CHECK(r.status == 0);
  CHECK(r.output.find("RSA-2048 public key") != std::string::npos);
  r = livepatch_sign({"show", dir.file("appended.livepatch")});
  CHECK(r.output.find("signer issuer \"CN=Throw-away live-patch test signing key") !=
        std::string::npos);
}

TEST_CASE("command: verification failures exit 2, errors exit 1", "[sign][command]") {
  TempDir dir;
  std::string unsigned_p = fresh_payload(dir, "unsigned.livepatch");
  RunResult r = livepatch_sign({"verify", "--pubkey", keys().pub, unsigned_p});
  CHECK(r.status == 2);
  CHECK(r.output == unsigned_p + ": not signed: no .note.Xen.signature section and no appended "
                                 "module signature\n");
  r = livepatch_sign({"show", unsigned_p});
  CHECK(r.status == 2);
  CHECK(r.output.find("not signed") != std::string::npos);

  std::string p = fresh_payload(dir);
  REQUIRE(sign_with("note", p).status == 0);
  r = livepatch_sign({"verify", "--pubkey", other_keys().pub, p});
  CHECK(r.status == 2);
  CHECK(r.output.find("does not verify") != std::string::npos);
  auto bytes = read_bytes(p);
  bytes[bytes.size() / 3] ^= 1;
  write_bytes(p, bytes);
  CHECK(livepatch_sign({"verify", "--pubkey", keys().pub, p}).status == 2);

  r = livepatch_sign({"verify", "--pubkey", dir.file("absent.pem"), p});
  CHECK(r.status == 1);
  CHECK(r.output.find("absent.pem: ") != std::string::npos);
  r = livepatch_sign({"verify", "--pubkey", keys().pub, dir.file("absent.livepatch")});
  CHECK(r.status == 1);
  CHECK(livepatch_sign({"verify", p}).status == 1);
  CHECK(livepatch_sign({"verify", "--cert", keys().cert, "--pubkey", keys().pub, p}).status == 1);
  CHECK(livepatch_sign({"sign", "--format", "pgp", "--key", keys().key, p}).status == 1);
  CHECK(livepatch_sign({"frobnicate"}).status == 1);
}

TEST_CASE("command: signing a signed payload is refused without --replace", "[sign][command]") {
  TempDir dir;
  for (std::string first : {"note", "appended"}) {
    for (std::string second : {"note", "appended"}) {
      INFO(first << " then " << second);
      std::string p = fresh_payload(dir);
      REQUIRE(sign_with(first, p).status == 0);
      auto once = read_bytes(p);
      RunResult r = sign_with(second, p);
      CHECK(r.status == 1);
      CHECK(r.output.find("already carries") != std::string::npos);
      CHECK(r.output.find("use --replace") != std::string::npos);
      CHECK(read_bytes(p) == once);

      r = sign_with(second, p, {"--replace"});
      INFO(r.output);
      REQUIRE(r.status == 0);
      auto twice = read_bytes(p);
      CHECK(livepatch_sign({"verify", "--cert", keys().cert, p}).status == 0);
      CHECK(count(twice, "~Module signature appended~\n") == (second == "appended" ? 1u : 0u));
      size_t note_sections =
          lp::sign::raw_sections_named(twice, ".note.Xen.signature", p).size();
      CHECK(note_sections == (second == "note" ? 1u : 0u));
      // Replacing gives what signing the unsigned payload gives, except that
      // removing a note rewrites the object through the ELF model, so an
      // appended signature then covers the model's spelling of the payload.
      std::string fresh = fresh_payload(dir, "fresh.livepatch");
      if (first == "note" && second == "appended")
        write_bytes(fresh, lp::elf::serialize(lp::elf::read_object_bytes(unsigned_payload(), p)));
      REQUIRE(sign_with(second, fresh).status == 0);
      CHECK(read_bytes(fresh) == twice);
    }
  }
}

TEST_CASE("command: -o leaves the input alone and a failure writes nothing", "[sign][command]") {
  TempDir dir;
  std::string p = fresh_payload(dir);
  chmod(p.c_str(), 0640);
  std::string out = dir.file("signed.livepatch");
  REQUIRE(livepatch_sign({"sign", "--key", keys().key, "-o", out, p}).status == 0);
  CHECK(read_bytes(p) == unsigned_payload());
  CHECK(livepatch_sign({"verify", "--pubkey", keys().pub, out}).status == 0);
  struct stat st;
  REQUIRE(stat(out.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);

  std::string out2 = dir.file("never.livepatch");
  RunResult r = livepatch_sign({"sign", "--key", keys().cert, "-o", out2, p});
  CHECK(r.status == 1);
  CHECK(!std::filesystem::exists(out2));
  r = livepatch_sign({"sign", "--key", dir.file("absent.pem"), p});
  CHECK(r.status == 1);
  CHECK(read_bytes(p) == unsigned_payload());
  std::string text = dir.write("notes.txt", "not an ELF file\n");
  r = livepatch_sign({"sign", "--key", keys().key, text});
  CHECK(r.status == 1);
  CHECK(r.output.rfind(text + ": ", 0) == 0);
  size_t entries = 0;
  for ([[maybe_unused]] auto &e : std::filesystem::directory_iterator(dir.path()))
    ++entries;
  CHECK(entries == 3); // p.livepatch, signed.livepatch, notes.txt: no temporaries left
}

TEST_CASE("command: every subcommand has --help", "[sign][command]") {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"sign", "--help"},
                                        {"verify", "--help"},
                                        {"show", "--help"}}) {
    RunResult r = livepatch_sign(args);
    CHECK(r.status == 0);
    CHECK(r.output.find("Usage:") != std::string::npos);
  }
  CHECK(livepatch_sign({"sign", "--help"}).output.find("--passphrase-file") != std::string::npos);
  CHECK(livepatch_sign({"sign", "--help"}).output.find("--replace") != std::string::npos);
}
