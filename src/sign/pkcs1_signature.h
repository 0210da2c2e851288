// RSASSA-PKCS1-v1_5 signatures with SHA-256: the scheme of Xen's
// `.note.Xen.signature`.
//
// The signature is computed by OpenSSL over the message (OpenSSL hashes it),
// through EVP_DigestSign, so a key held by a provider (a PKCS#11 token through
// OSSL_STORE) signs exactly like a key read from a file. PKCS#1 v1.5 has no
// random salt, so the same key and message always give the same signature.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lp::sign {

// Throws lp::FileError(key_name, ...) if the key is not an RSA private key or
// signing fails.
std::vector<uint8_t> pkcs1_sha256_sign(EVP_PKEY *key, std::span<const uint8_t> message,
                                       const std::string &key_name);

// True if `signature` is a valid PKCS#1 v1.5 SHA-256 signature of `message`
// under `key`. False for a wrong key, a wrong message, a signature of the
// wrong length or a malformed encoding.
bool pkcs1_sha256_verify(EVP_PKEY *key, std::span<const uint8_t> message,
                         std::span<const uint8_t> signature);

// True if `key` is an RSA key (public or private).
bool is_rsa(EVP_PKEY *key);

} // namespace lp::sign
