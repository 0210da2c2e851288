// The livepatch-build pipeline: options in, payload (or a precise exit code)
// out. See livepatch_build.cc for the phases.
#pragma once

#include "payload/options.h"

#include <string>

namespace lp::payload {

enum ExitCode {
  kExitOk = 0,
  kExitError = 1,
  kExitUnsupported = 2,
  kExitNoChange = 3,
  kExitPatchFailed = 4,
  kExitBuildFailed = 5,
  kExitCheckRefused = 6,
  kExitNoSpace = 7, // a disk or quota filled up (disk_space.h)
  kExitFastPathDiffers = 8, // --check-fast-path: the fast path and make disagree
  kExitInterrupted = 130,
};

// A step that cannot continue: `message` is printed as "ERROR: <message>."
// after `detail` (compiler or create-diff-object output), and the run exits
// with `code`.
struct BuildFailure {
  BuildFailure(int c, std::string m, std::string d = "")
      : code(c), message(std::move(m)), detail(std::move(d)) {}
  int code;
  std::string message;
  std::string detail;
};

// Runs both phases (or the one -k leaves). Returns the exit code; prints
// progress on stdout and errors on stderr; writes --json when asked.
int run_livepatch_build(const Options &options);

} // namespace lp::payload
