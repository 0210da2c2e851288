// A full disk, told apart from every other failure.
//
// A build that runs out of space fails in many places: make's compilers and
// linker, cp filling the cache, our own writes of xen-syms or the payload.
// Each says "No space left on device" its own way, and without this the user
// saw "Input/output error" or "the build failed". livepatch-build recognises
// the condition from an errno or from a tool's output, and reports which
// folder could not be written, the filesystem it is on and what is free
// there, with an exit code of its own (ARCHITECTURE.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

// ENOSPC or EDQUOT.
bool is_no_space_errno(int err);

// True if a tool's output or an error text says the disk or quota is full.
bool mentions_no_space(std::string_view text);

// True if the filesystem holding `path` (or its nearest existing parent) has
// no blocks left for this user.
bool filesystem_full(const std::string &path);

// "<path> (filesystem mounted at <mount>, <n> KiB free)".
std::string describe_location(const std::string &path);

// "no space left on device writing <describe_location(path)>".
std::string no_space_writing(const std::string &path);

// Of `candidates`, the one whose filesystem has the least space free (the
// first, if none can be measured). Empty if `candidates` is empty.
std::string fullest(const std::vector<std::string> &candidates);

} // namespace lp::payload
