// Why a source patch does not apply, in one line.
//
// livepatch-build applies the patch with GNU `patch -p1 --fuzz=0 -f -N`, first
// with --dry-run against the user's tree. When that fails, patch explains over
// several lines and in several shapes: "checking file F" then "Hunk #2 FAILED
// at 40." for a hunk whose context is not in the tree, "can't find file to
// patch at input line K" for a file the tree lacks, "Reversed (or previously
// applied) patch detected!" for a hunk already in the tree, and
// "patch: **** ..." for a patch it cannot read. A user wants one line: which
// file, which hunk, where in the tree and where in the patch file.
//
// describe_patch_failure() reads patch's output together with the patch text
// (to find each hunk's line in the patch file) and returns that line, e.g.
//
//   xen/common/table.c: hunk #1 (05-stacked.patch:3) does not match at line 19
//
// Several failures are joined with "; ". Output it does not recognise is
// passed on as its first non-empty line, so nothing is ever hidden behind a
// vaguer message.
#pragma once

#include <string>

namespace lp::payload {

// `patch_output`: what `patch` printed (without -s, so the file names are
// there); `patch_text`: the patch file's contents; `patch_name`: how to name
// the patch file in the result (its base name).
std::string describe_patch_failure(const std::string &patch_output, const std::string &patch_text,
                                   const std::string &patch_name);

} // namespace lp::payload
