// PEM -> extract-key blob: see key_blob.h.
#include "key_blob.h"

#include "elf/error.h"

#include <cstdio>
#include <memory>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace lp::hyp {

namespace {

EVP_PKEY *read_key(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "r");
  if (!f)
    throw lp::FileError(path, "cannot open key");
  EVP_PKEY *key = PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  if (!key) {
    std::rewind(f);
    X509 *cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    if (cert) {
      key = X509_get_pubkey(cert);
      X509_free(cert);
    }
  }
  std::fclose(f);
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    throw lp::FileError(path, "not an RSA public key in PEM form");
  }
  return key;
}

void append_field(std::vector<uint8_t> &blob, const BIGNUM *bn) {
  std::vector<uint8_t> bytes(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, bytes.data());
  uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int i = 0; i < 4; i++)
    blob.push_back(static_cast<uint8_t>(n >> (8 * i)));
  blob.insert(blob.end(), bytes.begin(), bytes.end());
}

} // namespace

std::vector<uint8_t> key_blob_from_pem(const std::string &path) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(read_key(path), EVP_PKEY_free);
  BIGNUM *n = nullptr, *e = nullptr;
  if (!EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N, &n) ||
      !EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e)) {
    BN_free(n);
    throw lp::FileError(path, "cannot read the RSA modulus and exponent");
  }
  std::vector<uint8_t> blob;
  append_field(blob, n);
  append_field(blob, e);
  BN_free(n);
  BN_free(e);
  return blob;
}

} // namespace lp::hyp
