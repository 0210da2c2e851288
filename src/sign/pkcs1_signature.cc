// PKCS#1 v1.5 / SHA-256 signing and verification through EVP; see
// pkcs1_signature.h.
#include "sign/pkcs1_signature.h"

#include "elf/error.h"
#include "sign/openssl_handles.h"

#include <openssl/rsa.h>

namespace lp::sign {
namespace {

// A digest context set up for PKCS#1 v1.5 padding with SHA-256; `sign`
// chooses EVP_DigestSignInit_ex or EVP_DigestVerifyInit_ex.
MdCtxPtr pkcs1_context(EVP_PKEY *key, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX *pctx = nullptr;
  if (!ctx)
    return nullptr;
  int ok = sign ? EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key, nullptr)
                : EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key,
                                          nullptr);
  if (ok != 1 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
    return nullptr;
  return ctx;
}

} // namespace

bool is_rsa(EVP_PKEY *key) { return EVP_PKEY_is_a(key, "RSA") == 1; }

std::vector<uint8_t> pkcs1_sha256_sign(EVP_PKEY *key, std::span<const uint8_t> message,
                                       const std::string &key_name) {
  if (!is_rsa(key))
    throw FileError(key_name, "not an RSA key (the note signature is RSA PKCS#1 v1.5)");
  MdCtxPtr ctx = pkcs1_context(key, true);
  size_t len = 0;
  if (!ctx || EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    throw FileError(key_name, "cannot sign: " + openssl_reason("signing failed"));
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    throw FileError(key_name, "cannot sign: " + openssl_reason("signing failed"));
  sig.resize(len);
  return sig;
}

bool pkcs1_sha256_verify(EVP_PKEY *key, std::span<const uint8_t> message,
                         std::span<const uint8_t> signature) {
  if (!is_rsa(key))
    return false;
  MdCtxPtr ctx = pkcs1_context(key, false);
  bool ok = ctx && EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                                    message.size()) == 1;
  openssl_reason(""); // a failed verification leaves errors queued; drop them
  return ok;
}

} // namespace lp::sign
