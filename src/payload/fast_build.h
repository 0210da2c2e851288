// The fast path of the patched build: the recorded recipes of the objects a
// patch affects, run in the patched build copy, in parallel, instead of an
// incremental make.
//
// Each object's recipe is its record (build_records.h) replayed as make ran
// it: the compile, then the `post` step if there is one (kbuild's objcopy of
// dir/.name.o.tmp into dir/name.o), then the temporary removed, as the
// recipe's `rm -f` does. Every command runs through the cache entry's
// livepatch-gcc with capture on, in the recorded directory, with make's
// environment, so the capture folder ends up exactly as after make: the
// objects, changed_objs and their compile records (side compiles and the
// diff phase read them unchanged). Nothing is linked: the payload is diffed
// against the cached original xen-syms either way.
//
// Commands and their output go to the log in object order. A failing recipe
// is exit 5 naming the object, as a failing make is; SIGINT/SIGTERM stop the
// running compiles (process.h) and no new one starts.
#pragma once

#include "payload/compile_record.h"

#include <map>
#include <string>
#include <vector>

namespace lp::payload {

struct FastBuildRequest {
  std::vector<CompileRecord> recipes; // $ROOT resolved to the build copy
  std::string wrapper;                // the cache entry's livepatch-gcc
  std::string build_root;             // the patched build copy
  std::string capture_dir;            // LIVEPATCH_CAPTURE_DIR
  std::map<std::string, std::string> env; // make's environment additions
  std::vector<std::string> unset_env;
  std::string log;
  unsigned jobs = 1;
};

// Runs every recipe. Throws BuildFailure (exit 5: "the patched build failed",
// as make's; the detail names the first object whose recipe failed, with
// the compiler's output), Interrupted when stopped.
void run_fast_build(const FastBuildRequest &request);

// The commands of one recipe, wrapper first: the compile, then the post step
// if any. (The temporary's removal is not a command.)
std::vector<std::vector<std::string>> recipe_commands(const CompileRecord &record,
                                                      const std::string &wrapper);

} // namespace lp::payload
