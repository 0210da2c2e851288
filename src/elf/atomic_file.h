// Atomic file output: write to a temporary name in the destination folder,
// fsync, then rename over the destination. Every command that produces a file
// (objects, payloads, signatures, JSON reports) goes through this, so an
// interrupted or failed run never leaves a half-written output.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace lp {

// Throws lp::FileError(path, strerror) on failure; the temporary is removed.
void write_file_atomically(const std::string &path, std::span<const uint8_t> bytes,
                           unsigned mode = 0644);

// Reads a whole file. Throws lp::FileError(path, strerror) on failure.
std::string read_file(const std::string &path);

} // namespace lp
