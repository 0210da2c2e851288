// create-diff-object's command line, in one place.
//
// The one-pair form (create-diff-object [options] original.o patched.o
// xen-syms output.o) is parsed here for the command itself and for every job
// of the batch form (batch.h), so a job line means exactly what the same
// arguments mean on a command line, help and usage errors included.
#pragma once

#include "diff/create_diff_object.h"

#include <memory>
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

// Parses many command lines with one CLI11 option set: setting the options
// up costs more than parsing one job's arguments, and the batch parses one
// line per job. Each parse starts from default Options. One per thread.
class CommandLineParser {
public:
  CommandLineParser();
  ~CommandLineParser();
  CommandLineParser(const CommandLineParser &) = delete;
  CommandLineParser &operator=(const CommandLineParser &) = delete;

  // `args` excludes the program name.
  CommandLine parse(const std::vector<std::string> &args);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One command line (the one-pair command). `args` excludes the program name.
CommandLine parse_command_line(const std::vector<std::string> &args);

} // namespace lp::diff
