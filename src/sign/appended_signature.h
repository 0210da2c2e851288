// The appended module signature (livepatch-build-tools reference §5): the
// format Linux's sign-file writes and livepatch-build-tools copied.
//
//   payload bytes | DER CMS SignedData (detached) | 12-byte header | magic
//
// The header is {u8 algo = 0, u8 hash = 0, u8 id_type = 2 (PKEY_ID_PKCS7),
// u8 signer_len = 0, u8 key_id_len = 0, u8 pad[3] = 0, be32 sig_len}; the
// magic is the 28 bytes "~Module signature appended~\n". As in Linux's
// mod_check_sig, every header field but sig_len must hold exactly those
// values. The CMS structure carries no certificates; the verifier supplies the
// signer's certificate and only that one is trusted (CMS_NOINTERN), so a
// certificate smuggled into the structure cannot vouch for itself.
#pragma once

#include "sign/sign.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::sign {

inline constexpr std::string_view kModuleMagic = "~Module signature appended~\n";
inline constexpr size_t kModuleHeaderSize = 12;
inline constexpr uint8_t kPkeyIdPkcs7 = 2;

// True if the file ends with the magic string.
bool has_appended_magic(std::span<const uint8_t> file);

struct AppendedSignature {
  std::span<const uint8_t> content; // the bytes that were signed
  std::span<const uint8_t> cms;     // the DER CMS SignedData
};

// Splits a file that ends with the magic. Throws VerificationError if the
// header is malformed or the signature length does not fit the file.
AppendedSignature split_appended_signature(std::span<const uint8_t> file, const std::string &name);

// content | CMS | header | magic. `use_ski` names the signer by
// subjectKeyIdentifier (the certificate must have one). Throws lp::FileError
// naming `key_name` if the key does not match the certificate.
std::vector<uint8_t> append_signature(std::span<const uint8_t> content, EVP_PKEY *key, X509 *cert,
                                      bool use_ski, const std::string &key_name);

// Throws VerificationError unless the signature verifies against `cert`
// (described by `cert_text` in messages). Returns the signer identifier text.
std::string verify_appended_signature(std::span<const uint8_t> file, const std::string &name,
                                      X509 *cert, const std::string &cert_text);

SignatureInfo describe_appended_signature(std::span<const uint8_t> file, const std::string &name);

} // namespace lp::sign
