// SHA digests over EVP (see digest.h). EVP failures are allocation failures in
// practice; they are reported as std::runtime_error, which commands treat as an
// internal error.
#include "payload/digest.h"

#include <openssl/evp.h>
#include <stdexcept>

namespace lp::payload {
namespace {

std::vector<uint8_t> digest(const EVP_MD *md, std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out(EVP_MD_get_size(md));
  unsigned len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, md, nullptr))
    throw std::runtime_error("EVP_Digest failed");
  out.resize(len);
  return out;
}

} // namespace

std::vector<uint8_t> sha1(std::span<const uint8_t> bytes) { return digest(EVP_sha1(), bytes); }
std::vector<uint8_t> sha256(std::span<const uint8_t> bytes) { return digest(EVP_sha256(), bytes); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || !EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(ctx_), EVP_sha256(), nullptr))
    throw std::runtime_error("EVP_DigestInit_ex failed");
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx_)); }

void Sha256::update(std::string_view bytes) {
  if (!EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(ctx_), bytes.data(), bytes.size()))
    throw std::runtime_error("EVP_DigestUpdate failed");
}

std::vector<uint8_t> Sha256::finish() {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  if (!EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(ctx_), out.data(), &len))
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  out.resize(len);
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

} // namespace lp::payload
