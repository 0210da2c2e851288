// Expectations: defence in depth against applying a payload to the wrong code.
//
// Since Xen 4.14 each struct livepatch_func carries an expectation (+72): if
// enabled, Xen compares `len` bytes at old_addr with `data` before applying
// and refuses on a mismatch. Upstream livepatch-build always wrote zeros. With
// `--expect` we fill it with the bytes the jump will overwrite, read from the
// original xen-syms at old_addr: the ENDBR64 landing pad (or its poison) when
// the function starts with one, then the 5 bytes of `jmp rel32` (for a NOP
// entry, new_size bytes). So len = patch_offset + 5, and byte 0 of the field is
// enabled | len << 1.
//
// Xen compares from old_addr, so the bytes must be what is in memory when the
// payload is applied. For a payload stacked on another (its --depends is not
// Xen's build-id) that memory may hold the lower payload's jump, which this
// build cannot know: the option is refused for such payloads. An entry whose
// expectation a patch author already declared by hand is left as written.
#pragma once

#include "elf/image.h"
#include "elf/object.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lp::payload {

struct Expectation {
  std::string name;
  uint64_t old_addr = 0;
  std::vector<uint8_t> bytes;
  bool by_author = false; // declared in the patch source, kept as is
};

// Throws lp::FileError("--expect", ...) if `depends` differs from `xen_id`.
void check_expectations_allowed(std::span<const uint8_t> depends, std::span<const uint8_t> xen_id);

// Fills the expectation of every .livepatch.funcs entry of `obj`. Throws
// lp::FileError naming obj.path and the function if its old_addr cannot be
// determined or the bytes are not in xen-syms.
std::vector<Expectation> fill_expectations(elf::Object &obj, const elf::LinkedImage &xen);

// 4 when `code` starts with ENDBR64 (f3 0f 1e fa) or Xen's poison (66 0f 1f 01).
unsigned patch_offset(std::span<const uint8_t> code);

} // namespace lp::payload
