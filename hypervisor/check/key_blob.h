// An RSA public key in PEM form turned into the blob the hypervisor builds in
// (Xen's extract-key.py, v3 format): le32 len(n), n big-endian without
// leading zeros, le32 len(e), e likewise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lp::hyp {

// Throws lp::FileError if the file is not an RSA public key (or certificate).
std::vector<uint8_t> key_blob_from_pem(const std::string &path);

} // namespace lp::hyp
