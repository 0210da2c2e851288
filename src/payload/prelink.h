// Prelinking: resolving a payload's undefined symbols against xen-syms at
// build time (`livepatch-build --prelink`, the `prelink` command).
//
// Each SHN_UNDEF symbol becomes SHN_ABS with the address of the symbol it
// names in xen-syms. Names follow Xen's runtime table: a global by its plain
// name, a static as "<file>#<name>"; a local undefined name without '#' is
// looked up in the scope of the most recent STT_FILE symbol, as upstream's
// lookup_local_symbol does (reference §4). Relocations are kept: Xen applies
// them with the absolute values. A name that does not resolve, or resolves
// ambiguously, is an error naming the symbol; nothing is written.
//
// Unlike upstream, weak definitions in xen-syms are accepted (problem 46).
#pragma once

#include "elf/image.h"
#include "elf/object.h"

#include <string>
#include <vector>

namespace lp::payload {

struct PrelinkedSymbol {
  std::string name;
  uint64_t address = 0;
};

// Resolves every undefined symbol of `obj` in place. Throws lp::FileError
// (naming obj.path) on the first name that does not resolve.
std::vector<PrelinkedSymbol> prelink(elf::Object &obj, const elf::LinkedImage &xen);

} // namespace lp::payload
