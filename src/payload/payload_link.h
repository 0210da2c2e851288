// Linking the per-object diff results (and whole new objects) into one
// relocatable object, the payload's body.
//
// Like upstream, this is `ld -r`: it merges same-named sections
// (.livepatch.funcs from every object becomes one array, .livepatch.strings
// one table) and adjusts the relocations. Unlike upstream, inputs are linked in
// sorted path order (not `find` order, which depends on the file system) and
// without --build-id: the payload's build-id is computed last, over the final
// bytes (payload_build_id.h). The result is read back into the object model
// for the remaining steps.
#pragma once

#include "elf/object.h"

#include <string>
#include <vector>

namespace lp::payload {

// Links `objects` into `linked_path` and reads it. Throws lp::FileError naming
// linked_path with ld's first message if ld fails, or if `objects` is empty.
elf::Object link_objects(std::vector<std::string> objects, const std::string &linked_path);

} // namespace lp::payload
