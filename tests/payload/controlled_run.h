// A livepatch-build run that a test drives the way a terminal or a CI runner
// does, synchronised on events instead of time.
//
// The run starts in a process group of its own (as a CI job or a shell job
// does) with a pipe on file descriptor 3 that the tool and every process it
// starts inherit. A test hook, a make recipe or a wrapper around a tool,
// writes a line to fd 3 when it reaches the point the test waits for
// (wait_for); the test then signals the group or the tool. The pipe reports
// end-of-file only once no process of the run holds it any more
// (wait_all_gone): the proof that nothing the run started outlived it. The
// bounds on those waits (minutes) are failure guards only: a passing test
// never waits on a clock.
#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace lp::test {

class ControlledRun {
public:
  // Starts argv (argv[0] a path) with `env` added to the environment and
  // stdout+stderr written to `log`.
  ControlledRun(const std::vector<std::string> &argv, const std::map<std::string, std::string> &env,
                const std::string &log);
  ~ControlledRun(); // kills whatever of the run is left (a failed test), and reaps
  ControlledRun(const ControlledRun &) = delete;
  ControlledRun &operator=(const ControlledRun &) = delete;

  // Reads fd 3 until a line holding `text` arrives. False at end-of-file.
  bool wait_for(const std::string &text);
  // True once every process of the run has closed fd 3 (end-of-file).
  bool wait_all_gone();
  void signal_group(int sig); // as a terminal's Ctrl-C or a CI runner's cancel do
  void signal_tool(int sig);  // the tool alone, as `kill <pid>` does
  // The tool's exit status, or 128+signal.
  int wait_exit();
  pid_t pid() const { return pid_; }
  // Every line read from fd 3 so far.
  const std::vector<std::string> &events() const { return events_; }

private:
  bool read_line(std::string &line);
  pid_t pid_ = -1;
  int events_fd_ = -1;
  bool reaped_ = false;
  std::string pending_;
  std::vector<std::string> events_;
};

// A pid that was just used and is no longer running (a reaped child).
pid_t dead_pid();

} // namespace lp::test
