// --check-fast-path: the fast path proven equal to make on one patch.
//
// livepatch-build runs the incremental make as usual (its capture folder is
// what the diff phase uses), then the fast path's recipes in the same patched
// build copy, capturing into <out>/fast-path-check/patched, and compares the
// two captures: the same set of rebuilt objects, each with the same bytes.
// Objects make rebuilds only because compile.h is regenerated on every make
// (object_capture.h) are left out on both sides unless the patch touches
// their source: the diff phase drops them too. Any difference is exit 8 with
// one line per object (only make rebuilt it, only the fast path did, or their
// bytes differ), since a fast path that is not equivalent must not be
// trusted.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

// The differences between the capture folders of make and of the fast path,
// one line each, sorted; empty when equivalent. `patched_files`: the files
// the patch touches (for the compile.h rule).
std::vector<std::string> compare_captures(const std::string &make_dir, const std::string &fast_dir,
                                          const std::vector<std::string> &patched_files);

// The objects compared (make's side), for the report.
std::vector<std::string> compared_objects(const std::string &capture_dir,
                                          const std::vector<std::string> &patched_files);

} // namespace lp::payload
