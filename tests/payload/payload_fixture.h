// Fixtures shared by the payload tests: a fake xen-syms linked from C with
// ld (at Xen's x86-64 load address, with a SHA-1 build-id) and hand-written
// diff-result objects (a .livepatch.funcs array, hook pointers) compiled with
// Xen's flags.
#pragma once

#include "support/fixture.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lp::test {

// Compiles `source` and links it into dir/xen-syms. Returns the path.
std::string make_xen_syms(const TempDir &dir, const std::string &source,
                          const std::vector<std::string> &extra_cflags = {});

// A xen-syms with: global foo (starts with ENDBR64), global plain_fn (no
// ENDBR64), static hidden_one in file "xen.c", a weak weak_fn.
std::string standard_xen_syms(const TempDir &dir);

// A diff-result-like object replacing foo, with a load hook and a data word
// that points into the funcs array (so stripping must retarget a relocation).
std::string standard_diff_object(const TempDir &dir, const std::string &name = "diff");

std::vector<uint8_t> file_bytes(const std::string &path);

// The names of a payload's .livepatch.funcs entries, in their order.
std::vector<std::string> funcs_names(const std::string &payload);

} // namespace lp::test
