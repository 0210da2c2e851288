// Generated outputs of the original build, made again to see whether a patch
// changes them.
//
// Besides objects, the compiler writes files that other build steps read:
// Xen's asm-offsets.s (turned into asm-offsets.h, which assembly and C
// files include) and its preprocessed linker scripts (xen.lds). A header
// that asm-offsets.c or xen.lds.S includes is included by hundreds of
// objects too, so most header patches touch one. Whether make would do more
// than recompile the header's objects depends on whether the output changes:
// Xen writes asm-offsets.s only through move-if-changed (and asm-macros.h
// through filechk), so an unchanged output stops there, and a linker script
// only feeds the link, which the payload does not use.
//
// So the fast path does not give up on such a header: it runs the output's
// recorded command (build_records.h) again in the patched build copy, with
// its output and dependency file sent to a scratch folder instead, and
// compares the bytes with the original build's file in the pristine copy.
// Identical: the fast path stays valid. Different, failed, or nothing to
// compare with: build_path.cc's table falls back to make, saying which
// output and why. Same paths, same command, same compiler: an unchanged
// output is byte-identical, as make's move-if-changed itself relies on.
//
// An output written as `X.new` (move-if-changed's temporary, Xen's
// asm-offsets.s.new) is compared with `X`, the file the move leaves.
#pragma once

#include "payload/compile_record.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

// What regenerating needs besides the record.
struct RegenerateRequest {
  std::string wrapper;       // the cache entry's livepatch-gcc ("" runs the command alone)
  std::string pristine_root; // where the original outputs are
  std::string scratch_dir;   // where regenerated outputs and the log go
  std::map<std::string, std::string> env; // make's environment additions
  std::vector<std::string> unset_env;
};

// Regenerates one output; nullopt when it is identical to the original
// build's, else why not, in words that follow "the patch touches F, which "
// ("changes the generated xen/asm-offsets.s").
using Regenerate = std::function<std::optional<std::string>(const CompileRecord &record)>;

// `argv` with its output (-o) and dependency file (-MF, -Wp,-MD,) replaced;
// every other argument unchanged.
std::vector<std::string> redirected_command(const std::vector<std::string> &argv,
                                            const std::string &output,
                                            const std::string &dependency_file);

// The file of the original build a regenerated `output` (root-relative)
// is compared with: itself, or X for move-if-changed's X.new; nullopt if
// neither is in `pristine_root`.
std::optional<std::string> original_of_output(const std::string &output,
                                              const std::string &pristine_root);

// The regenerate-and-compare of a real build (see above).
std::optional<std::string> regenerate_and_compare(const CompileRecord &record,
                                                  const RegenerateRequest &request);

} // namespace lp::payload
