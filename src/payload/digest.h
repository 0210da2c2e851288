// SHA-1 and SHA-256 digests through OpenSSL 3's EVP interface, and hex text.
//
// The payload's own build-id is a SHA-1 (20 bytes, like `ld --build-id=sha1`);
// .modinfo records the SHA-256 of the source patch; the original-build cache is
// keyed by a SHA-256 over the source tree. Hex is lower case, two digits a byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

std::vector<uint8_t> sha1(std::span<const uint8_t> bytes);
std::vector<uint8_t> sha256(std::span<const uint8_t> bytes);

// Incremental SHA-256 for hashing many files without concatenating them.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;
  void update(std::string_view bytes);
  std::vector<uint8_t> finish();

private:
  void *ctx_;
};

std::string to_hex(std::span<const uint8_t> bytes);

} // namespace lp::payload
