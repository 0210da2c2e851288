// Shared set-up for the signing tests: throw-away keys from
// scripts/make-test-key.sh, a payload-like relocatable object compiled and
// linked at test time, and small helpers to run livepatch-sign and openssl.
//
// Key pairs are made once per build tree (RSA key generation is the slow
// part; see key_cache in sign_fixture.cc), the payload once per test process;
// every test copies what it changes into its own TempDir.
#pragma once

#include "sign/sign.h"
#include "support/fixture.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lp::test::sign {

struct KeySet {
  std::string key;      // signing_key.pem (0600)
  std::string cert;     // signing_cert.pem
  std::string cert_der; // signing_cert.der
  std::string pub;      // verify_key.pem
};

// Two independent key pairs.
const KeySet &keys();
const KeySet &other_keys();

// An unsigned ET_REL payload (gcc with Xen's flags, then ld -r --build-id=sha1).
const std::vector<uint8_t> &unsigned_payload();

std::vector<uint8_t> read_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes);

// Runs the built livepatch-sign with `args`.
RunResult livepatch_sign(const std::vector<std::string> &args);

// openssl dgst -sha256 -sign `key` over `bytes`: the raw PKCS#1 v1.5 signature.
std::vector<uint8_t> openssl_pkcs1_sign(const TempDir &dir, const std::vector<uint8_t> &bytes,
                                        const std::string &key);

// Sets the note descriptor of `file` to zeros, then to openssl's signature of
// the zeroed file with `key`: a note signature made entirely by openssl.
std::vector<uint8_t> openssl_note_resign(const TempDir &dir, std::vector<uint8_t> file,
                                         const std::string &key);

// A payload carrying a note signature made by the library with keys().
std::vector<uint8_t> note_signed_payload();
// A payload carrying an appended signature made by the library with keys().
std::vector<uint8_t> appended_signed_payload(bool ski = false);

// What verify_payload throws, as text ("" if it verifies).
std::string verify_failure(const std::vector<uint8_t> &file, const lp::sign::VerifyOptions &opt);

} // namespace lp::test::sign
