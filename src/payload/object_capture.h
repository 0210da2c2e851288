// Which captured objects go to create-diff-object.
//
// The patched build runs with livepatch-gcc capturing every object it
// (re)writes into <out>/patched/ and listing it in changed_objs; the original
// of each comes from the cached pristine build. Upstream diffed every captured
// object. Here the list is narrowed first, each rule a small predicate:
//
//   - objects rebuilt only because compile.h is regenerated on every make
//     (common/version.o, arch/x86/efi/boot.o) are dropped unless the patch
//     touches their source: otherwise the build date drags
//     xen_compile_date() into the payload;
//   - objects byte-identical to their original need no diff (a header
//     change that did not alter them);
//   - objects with no original are new (a new source file or folder) and go
//     into the payload whole.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

struct ObjectPlan {
  std::vector<std::string> rebuilt;        // every captured object
  std::vector<std::string> changed;        // to diff
  std::vector<std::string> identical;      // rebuilt, same bytes
  std::vector<std::string> new_objects;    // no original
  std::vector<std::string> compile_h_only; // dropped by the compile.h rule
};

// The captured objects below `capture_dir` (paths relative to it): the
// changed_objs list and the .o files present, sorted, unique.
std::vector<std::string> captured_objects(const std::string &capture_dir);

// True if `object` (e.g. "xen/common/version.o") is one that compile.h's
// regeneration rebuilds on every make.
bool is_compile_h_object(const std::string &object);

// True if the patch touches the object's own source (same path, .c or .S).
bool patch_touches_source(const std::string &object, const std::vector<std::string> &patched);

ObjectPlan plan_objects(const std::string &patched_dir, const std::string &original_dir,
                        const std::vector<std::string> &patched_files);

// Copies each of `objects` that exists below `pristine_root` to the same
// relative path below `original_dir`, and writes original_dir/changed_objs.
void collect_originals(const std::vector<std::string> &objects, const std::string &pristine_root,
                       const std::string &original_dir);

} // namespace lp::payload
