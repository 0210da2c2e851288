// Signing and verifying live-patch payloads: the library behind
// `livepatch-sign`, and what `livepatch-build` calls to sign the payload it
// has just built.
//
// Two formats are supported, both over the whole payload file:
//
//  * Format::note - Xen's 2025 signing series (xen-livepatch-abi.md §8). A
//    section `.note.Xen.signature` (SHT_NOTE, SHF_ALLOC, align 4) holds one
//    note: name "Xen", type 0x00000001 (version 1, RSA, SHA-256), descriptor =
//    the RSA PKCS#1 v1.5 signature, as long as the key's modulus, over SHA-256
//    of the whole file with the descriptor bytes zeroed. Needs an RSA key with
//    a modulus of at most 1023 bytes. Verified with the public key alone.
//
//  * Format::appended - Linux's module signature, as livepatch-build-tools'
//    sign-file writes it: the file, a detached DER CMS SignedData (SHA-256, no
//    signed attributes, no certificates, the signer named by issuer and serial
//    number or by subjectKeyIdentifier), the 12-byte header {algo 0, hash 0,
//    id_type 2 (PKCS#7), 0, 0, pad[3], be32 signature length} and the magic
//    "~Module signature appended~\n". Needs the signer's certificate, to sign
//    and to verify.
//
// A payload that already carries a signature (either format) is refused
// unless SignOptions::replace is set; then every old signature is removed
// first (the appended trailer cut off, the note section dropped through the
// ELF model) so the result holds exactly one signature.
//
// Errors: lp::FileError("<file>", "<problem>") for anything wrong with the
// inputs (files, keys, options); VerificationError, a FileError, when the
// payload's signature is missing, malformed or does not verify. Nothing here
// writes a file except sign_file, which writes atomically.
//
// Example, from livepatch-build:
//
//   lp::sign::SignOptions opt;
//   opt.format = lp::sign::Format::note;
//   opt.key = "signing_key.pem";
//   auto signed_bytes = lp::sign::sign_payload(payload_bytes, "out.livepatch", opt);
//   lp::write_file_atomically("out.livepatch", signed_bytes);
#pragma once

#include "elf/error.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::sign {

enum class Format { note, appended };

// "note" / "appended" (the spellings of --format).
std::string_view format_name(Format f);

class VerificationError : public FileError {
public:
  using FileError::FileError;
};

struct SignOptions {
  Format format = Format::note;
  // Private key: a PEM or DER file (mode 0600 or stricter), or a pkcs11: URI.
  std::string key;
  // Signer certificate (PEM or DER file, or pkcs11: URI). Format::appended:
  // required unless the key file holds the certificate too. Format::note:
  // optional; when given, the key must match it.
  std::string cert;
  // Format::appended: name the signer by subjectKeyIdentifier rather than by
  // issuer and serial number (sign-file -k).
  bool key_id_ski = false;
  // Remove existing signatures first instead of refusing a signed payload.
  bool replace = false;
  // Passphrase or PIN file; when empty, $LIVEPATCH_SIGN_PIN, then $KBUILD_SIGN_PIN.
  std::string passphrase_file;
};

// The signed payload. `name` is used in error messages. Note format: the
// payload must be an ELF relocatable object (it is rewritten through the ELF
// model to add the section).
std::vector<uint8_t> sign_payload(std::span<const uint8_t> payload, const std::string &name,
                                  const SignOptions &options);

// Reads `in`, signs it and writes `out` (which may equal `in`) atomically,
// keeping `in`'s permission bits.
void sign_file(const std::string &in, const std::string &out, const SignOptions &options);

struct VerifyOptions {
  std::string cert;   // X.509 certificate: verifies either format
  std::string pubkey; // public key (verify_key.pem): verifies the note format
};

struct VerifyResult {
  Format format = Format::note;
  size_t signature_size = 0; // RSA signature bytes (note) or DER CMS bytes (appended)
  std::string key;           // describe_certificate / describe_public_key text
  std::string signer;        // appended: the signer identifier in the CMS; note: empty
};

// Checks the payload's single signature. Throws VerificationError if the
// payload is unsigned, carries both formats, or the signature is malformed or
// does not verify with the given key; lp::FileError for unusable key files.
VerifyResult verify_payload(std::span<const uint8_t> payload, const std::string &name,
                            const VerifyOptions &options);

struct SignatureInfo {
  Format format = Format::note;
  size_t signature_size = 0;
  size_t signed_size = 0;   // bytes the signature covers
  std::string algorithm;    // e.g. "RSA PKCS#1 v1.5, SHA-256"
  std::string signer;       // appended: issuer and serial or subjectKeyIdentifier
};

// The signatures the payload carries, without verifying them (empty when
// unsigned). Throws VerificationError for a malformed signature.
std::vector<SignatureInfo> show_payload(std::span<const uint8_t> payload, const std::string &name);

} // namespace lp::sign
