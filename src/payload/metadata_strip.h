// Stripping metadata symbols from the linked payload, done right.
//
// Every named symbol in an allocated section of a payload becomes a "new
// symbol" in Xen's per-payload symbol table, and Xen refuses a second payload
// that brings a name already present ("duplicate new symbol", -EEXIST). Two
// kinds of symbol are pure metadata and only cause such collisions between
// stacked payloads:
//
//   - the hook pointer objects that Xen's LIVEPATCH_*_HOOK(fn) macros declare,
//     livepatch_<kind>_data_<fn> in .livepatch.hooks.<kind>;
//   - named objects inside .livepatch.funcs (hand-written payloads declare
//     their struct livepatch_func array under a name).
//
// Upstream ran `strip -w -N "livepatch_load_data_*"` with the quotes inside
// the pattern, so the wildcards never matched (reference §2.8, problem 23).
// Here the symbols are removed from the model, and any relocation that named
// one is retargeted to its section's STT_SECTION symbol with the symbol's
// value folded into the addend, so the bytes Xen computes are unchanged.
// Undefined references to such names are left alone (there is nothing to
// retarget them to).
#pragma once

#include "elf/object.h"

#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

// True for livepatch_<kind>_data and livepatch_<kind>_data_*, for the eight
// hook kinds.
bool is_hook_data_symbol(std::string_view name);

// Removes the metadata symbols from `obj`; returns their names in symbol-table
// order.
std::vector<std::string> strip_metadata_symbols(elf::Object &obj);

} // namespace lp::payload
