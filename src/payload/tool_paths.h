// Finding the helper programs livepatch-build runs (create-diff-object,
// livepatch-gcc, prelink, livepatch-check).
//
// Upstream's order: the folder of the running program (a source checkout or
// an installed libexec folder holding everything), then
// <bindir>/../libexec/livepatch-build-tools (the installed layout), then, for a
// binary run from this project's build tree (found by walking up to its
// CMakeCache.txt, never compiled in), the build tree's folders.
#pragma once

#include <optional>
#include <string>

namespace lp::payload {

// Absolute path of `name`, or nullopt if it is in none of the folders.
std::optional<std::string> find_tool(const std::string &name);

// The folder of the running executable.
std::string self_dir();

} // namespace lp::payload
