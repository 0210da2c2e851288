// create-diff-object's command line, in one place.
//
// The one-pair form (create-diff-object [options] original.o patched.o
// xen-syms output.o) is parsed here for the command itself and for every job
// of the batch form (batch.h), so a job line means exactly what the same
// arguments mean on a command line, help and usage errors included.
#pragma once

#include "diff/create_diff_object.h"

#include <optional>
#include <string>
#include <vector>

namespace lp::diff {

struct CommandLine {
  Options options;
  // Set when the arguments were --help or a usage error: the command prints
  // `out` on stdout and `err` on stderr and exits with this status, as the
  // one-pair command does.
  std::optional<int> exit;
  std::string out, err;
};

// `args` excludes the program name.
CommandLine parse_command_line(const std::vector<std::string> &args);

} // namespace lp::diff
