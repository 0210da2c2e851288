// Atomic file output: write to a temporary name in the destination folder,
// fsync, then rename over the destination. Every command that produces a file
// (objects, payloads, signatures, JSON reports) goes through this, so an
// interrupted or failed run never leaves a half-written output. A run killed
// outright cannot remove its temporary: the next run does
// (remove_stale_temporaries).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lp {

// Throws lp::FileError(path, strerror) on failure; the temporary is removed.
void write_file_atomically(const std::string &path, std::span<const uint8_t> bytes,
                           unsigned mode = 0644);

// Copies `from` to `to` the same way (temporary, fsync, rename), keeping
// from's permission bits. Throws lp::FileError naming the file at fault.
void copy_file_atomically(const std::string &from, const std::string &to);

// Reads a whole file. Throws lp::FileError(path, strerror) on failure.
std::string read_file(const std::string &path);

// Removes the temporaries ("<name>.tmp.<pid>") that runs killed outright
// (SIGKILL, power loss) left in `folder` and, when `recursive`, below it.
// Only files of this user whose <pid> is no longer running are removed, so a
// run still writing its temporary is never disturbed. Returns their paths.
std::vector<std::string> remove_stale_temporaries(const std::string &folder, bool recursive);

} // namespace lp
