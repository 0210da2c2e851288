// SHA-256 and the hexadecimal spellings used to show digests and key
// identifiers to people.
//
// Fingerprints are printed the way `openssl x509 -fingerprint -sha256` prints
// them (upper-case hex pairs separated by colons), so a user can compare the
// tool's report with OpenSSL's output by eye.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace lp::sign {

std::array<uint8_t, 32> sha256(std::span<const uint8_t> bytes);

// "AB:CD:..." (the fingerprint spelling).
std::string hex_colon(std::span<const uint8_t> bytes);

} // namespace lp::sign
