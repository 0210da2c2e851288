// SHA-256 through EVP and hex formatting; see digest.h.
#include "sign/digest.h"

#include "sign/openssl_handles.h"

#include <fmt/format.h>

#include <stdexcept>

namespace lp::sign {

std::array<uint8_t, 32> sha256(std::span<const uint8_t> bytes) {
  std::array<uint8_t, 32> out{};
  unsigned len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) ||
      len != out.size())
    throw std::runtime_error("SHA-256: " + openssl_reason("digest failed"));
  return out;
}

std::string hex_colon(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes)
    out += fmt::format("{}{:02X}", out.empty() ? "" : ":", b);
  return out;
}

} // namespace lp::sign
