// Where keys come from: file formats, passphrases from the environment or a
// file only, permissions, pkcs11: URIs, and keys that do not fit the format.
#include "sign_fixture.h"

#include "elf/atomic_file.h"
#include "sign/key_source.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>

using namespace lp::test;
using namespace lp::test::sign;

namespace {

std::string copy_key(const TempDir &dir, const std::string &name, unsigned mode) {
  std::string path = dir.file(name);
  std::filesystem::copy_file(keys().key, path);
  chmod(path.c_str(), mode);
  return path;
}

std::string encrypted_key(const TempDir &dir) {
  std::string path = dir.file("encrypted.pem");
  RunResult r = run({"openssl", "pkey", "-in", keys().key, "-aes256", "-passout", "pass:s3cret",
                     "-out", path});
  REQUIRE(r.status == 0);
  chmod(path.c_str(), 0600);
  return path;
}

// The error text of signing the unsigned payload with `key` (and the
// environment as it is), or "" on success.
std::string sign_failure(const std::string &key, const std::string &passphrase_file = "") {
  lp::sign::SignOptions opt;
  opt.key = key;
  opt.passphrase_file = passphrase_file;
  try {
    lp::sign::sign_payload(unsigned_payload(), "payload", opt);
    return "";
  } catch (const lp::FileError &e) {
    return e.what();
  }
}

struct EnvGuard {
  explicit EnvGuard(const char *name, const char *value) : name_(name) { setenv(name, value, 1); }
  ~EnvGuard() { unsetenv(name_); }
  const char *name_;
};

} // namespace

TEST_CASE("keys: a private key readable by group or others is refused", "[sign][keys]") {
  TempDir dir;
  for (unsigned mode : {0644u, 0640u, 0604u, 0660u}) {
    // Appended, not "k" + std::to_string(mode): gcc 12 at -O3 reads that as an
    // overlapping memcpy (-Wrestrict) and -Werror stops the Release build.
    std::string name = "k";
    name += std::to_string(mode);
    std::string failure = sign_failure(copy_key(dir, name, mode));
    INFO(failure);
    CHECK(failure.find("private key is accessible by group or others") != std::string::npos);
  }
  CHECK(sign_failure(copy_key(dir, "ok.pem", 0600)) == "");
  CHECK(sign_failure(copy_key(dir, "ro.pem", 0400)) == "");
}

TEST_CASE("keys: file: URIs load like paths and their permissions are checked too",
          "[sign][keys]") {
  TempDir dir;
  CHECK(sign_failure("file:" + keys().key) == "");
  CHECK(sign_failure("file://" + keys().key) == "");
  std::string open_key = copy_key(dir, "open.pem", 0644);
  CHECK(sign_failure("file://" + open_key).find("accessible by group or others") !=
        std::string::npos);
}

TEST_CASE("keys: an encrypted key takes its passphrase from the environment or a file",
          "[sign][keys]") {
  TempDir dir;
  std::string key = encrypted_key(dir);
  unsetenv("LIVEPATCH_SIGN_PIN");
  unsetenv("KBUILD_SIGN_PIN");
  CHECK(sign_failure(key).find("is encrypted or needs a PIN: set LIVEPATCH_SIGN_PIN") !=
        std::string::npos);
  {
    EnvGuard env("LIVEPATCH_SIGN_PIN", "s3cret");
    CHECK(sign_failure(key) == "");
  }
  {
    EnvGuard env("KBUILD_SIGN_PIN", "s3cret");
    CHECK(sign_failure(key) == "");
  }
  {
    EnvGuard env("LIVEPATCH_SIGN_PIN", "wrong");
    CHECK(sign_failure(key).find("wrong passphrase") != std::string::npos);
  }
  CHECK(sign_failure(key, dir.write("pin", "s3cret\n")) == "");
  CHECK(sign_failure(key, dir.write("bad-pin", "nope\n")).find("wrong passphrase") !=
        std::string::npos);
  CHECK(sign_failure(key, dir.file("missing-pin")).find("missing-pin: No such file") !=
        std::string::npos);
}

TEST_CASE("keys: missing files, non-keys and non-RSA keys are refused", "[sign][keys]") {
  TempDir dir;
  CHECK(sign_failure(dir.file("absent.pem")).find("absent.pem: No such file or directory") !=
        std::string::npos);
  std::string junk = dir.write("junk.pem", "not a key\n");
  chmod(junk.c_str(), 0600);
  CHECK(sign_failure(junk).find("junk.pem: no private key found") != std::string::npos);
  std::string ec = dir.file("ec.pem");
  REQUIRE(run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-out", ec})
              .status == 0);
  chmod(ec.c_str(), 0600);
  CHECK(sign_failure(ec).find("not an RSA key") != std::string::npos);
}

TEST_CASE("keys: a pkcs11: URI without a provider gives a clear error", "[sign][keys]") {
  std::string failure = sign_failure("pkcs11:token=livepatch;object=signing-key;type=private");
  INFO(failure);
  CHECK(failure.rfind("pkcs11:token=livepatch;object=signing-key;type=private: ", 0) == 0);
  bool no_provider = failure.find("no OpenSSL provider handles pkcs11: URIs") != std::string::npos;
  bool no_token = failure.find("no private key found") != std::string::npos;
  CHECK((no_provider || no_token));
}

TEST_CASE("keys: a PIN inside a pkcs11: URI is refused without being echoed", "[sign][keys]") {
  std::string failure = sign_failure("pkcs11:token=t;object=k;pin-value=918273");
  INFO(failure);
  CHECK(failure.find("pin-value puts the PIN on the command line") != std::string::npos);
  CHECK(failure.find("918273") == std::string::npos);
}

TEST_CASE("keys: a folder is not a key or certificate file", "[sign][keys]") {
  TempDir dir;
  std::filesystem::copy_file(keys().cert, dir.file("cert.pem"));
  chmod(dir.path().c_str(), 0700);
  CHECK(sign_failure(dir.path()).find("is a directory") != std::string::npos);
  CHECK_THROWS_WITH(lp::sign::load_certificate(dir.path(), ""), Catch::Contains("is a directory"));
}

TEST_CASE("keys: PEM and DER certificates, key and certificate in one file", "[sign][keys]") {
  TempDir dir;
  auto pem = lp::sign::load_certificate(keys().cert, "");
  auto der = lp::sign::load_certificate(keys().cert_der, "");
  CHECK(X509_cmp(pem.get(), der.get()) == 0);
  CHECK(lp::sign::describe_certificate(pem.get()).find("Throw-away live-patch test signing key") !=
        std::string::npos);
  // Linux's signing_key.pem holds both; the appended format then needs no --cert.
  std::string both = dir.write("both.pem", lp::read_file(keys().key) + lp::read_file(keys().cert));
  chmod(both.c_str(), 0600);
  lp::sign::SignOptions opt;
  opt.format = lp::sign::Format::appended;
  opt.key = both;
  auto file = lp::sign::sign_payload(unsigned_payload(), "payload", opt);
  CHECK(verify_failure(file, {keys().cert_der, ""}) == "");
  opt.key = keys().key;
  CHECK_THROWS_WITH(lp::sign::sign_payload(unsigned_payload(), "payload", opt),
                    Catch::Contains("needs the signer's certificate: give --cert"));
}

TEST_CASE("keys: a certificate that does not match the key is refused", "[sign][keys]") {
  for (auto format : {lp::sign::Format::note, lp::sign::Format::appended}) {
    lp::sign::SignOptions opt;
    opt.format = format;
    opt.key = keys().key;
    opt.cert = other_keys().cert;
    CHECK_THROWS_AS(lp::sign::sign_payload(unsigned_payload(), "payload", opt), lp::FileError);
  }
}

TEST_CASE("keys: the public key file is what the hypervisor embeds", "[sign][keys]") {
  auto pub = lp::sign::load_public_key(keys().pub);
  auto cert = lp::sign::load_certificate(keys().cert, "");
  CHECK(EVP_PKEY_eq(pub.get(), X509_get0_pubkey(cert.get())) == 1);
  CHECK(EVP_PKEY_get_bits(pub.get()) == 2048);
  RunResult r = run({"openssl", "rsa", "-pubin", "-in", keys().pub, "-noout", "-text"});
  CHECK(r.status == 0);
  CHECK(r.output.find("Exponent: 65537") != std::string::npos);
  struct stat st;
  REQUIRE(stat(keys().key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}
