// Running the tools a payload build drives (make, patch, ld, create-diff-object)
// as child processes, stopping them cleanly on Ctrl-C, and never leaving one
// behind when the tool itself dies.
//
// Each child (the "worker") runs in a process group of its own with stdout and
// stderr appended to a log file, the way upstream's script redirects every
// step into build_*.log and create-diff-object.log. Its own group keeps it out
// of the terminal's foreground group, so Ctrl-C reaches livepatch-build alone,
// which decides: SIGINT/SIGTERM set a flag and are forwarded to every running
// worker's group (make's own children included); a group still running 5 s
// later is killed with SIGKILL. So an interrupted build stops within moments
// and the driver can clean up and exit 130 instead of leaving orphans.
//
// A signal nobody can catch needs more: a CI runner cancels a job with SIGKILL
// to the job's process group, which the worker's group is not part of. So the
// worker is started through a guard, a forked copy of the tool that does
// nothing but wait: the guard sits in a third process group (out of reach of
// both group kills), is told of the tool's death by the kernel
// (PR_SET_PDEATHSIG), then kills the worker's whole group with SIGKILL and,
// being its subreaper, reaps every member before it exits itself. The guard
// inherits the tool's open files, the cache lock among them (build_cache.h),
// so the cache entry stays locked until the last process that could write
// into it is gone: the next run never builds alongside a dying one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

struct ProcessOptions {
  std::string log;                          // appended to; "" means /dev/null
  int output_fd = -1;                       // used instead of `log` when >= 0
  std::string cwd;                          // "" means the current folder
  std::map<std::string, std::string> env;   // added to (or replacing) the inherited environment
  std::vector<std::string> unset_env;       // removed from the child's environment
};

// The first executable file called `name` in the folders of `path` (a PATH
// value; an empty folder is "."), as execvp would find it; nullopt if none.
// A name holding a '/' is not searched for: it is returned as it is.
std::optional<std::string> find_in_path(const std::string &name, const std::string &path);

// argv as one line for logs: the words joined by spaces.
std::string command_text(const std::vector<std::string> &argv);

// Runs argv[0] (searched in PATH). Returns the exit status, or 128+signal.
// Returns 127 if the program could not be started (the reason is logged).
int run_process(const std::vector<std::string> &argv, const ProcessOptions &opts = {});

// Runs and returns stdout+stderr as text in `output`. The text goes through
// an unlinked temporary file: nothing is left in $TMPDIR, whatever happens.
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
