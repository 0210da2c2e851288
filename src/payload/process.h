// Running the tools a payload build drives (make, patch, ld, create-diff-object)
// as child processes, and stopping them cleanly on Ctrl-C.
//
// Each child runs in its own process group with stdout and stderr appended to
// a log file, the way upstream's script redirects every step into
// build_*.log and create-diff-object.log. Children are registered while they
// run; SIGINT/SIGTERM set a flag and forward the signal to every registered
// group (make's own children included); a group still running 5 s later is
// killed with SIGKILL. So an interrupted build stops within moments and the
// driver can clean up and exit 130 instead of leaving orphans.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lp::payload {

struct ProcessOptions {
  std::string log;                          // appended to; "" means /dev/null
  std::string cwd;                          // "" means the current folder
  std::map<std::string, std::string> env;   // added to (or replacing) the inherited environment
  std::vector<std::string> unset_env;       // removed from the child's environment
};

// Runs argv[0] (searched in PATH). Returns the exit status, or 128+signal.
// Returns 127 if the program could not be started (the reason is logged).
int run_process(const std::vector<std::string> &argv, const ProcessOptions &opts = {});

// Runs and returns stdout+stderr as text in `output`.
int run_capture(const std::vector<std::string> &argv, std::string &output,
                const ProcessOptions &opts = {});

// Installs the SIGINT/SIGTERM handlers described above (idempotent).
void install_interrupt_handlers();
// True once SIGINT or SIGTERM arrived.
bool interrupted();
// The signal that arrived (0 if none).
int interrupt_signal();

// Thrown by the driver's steps when interrupted() turns true.
struct Interrupted {};
inline void check_interrupted() {
  if (interrupted())
    throw Interrupted{};
}

} // namespace lp::payload
