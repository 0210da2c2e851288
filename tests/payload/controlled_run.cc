// Event-driven control of a livepatch-build run (see controlled_run.h).
#include "controlled_run.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lp::test {
namespace {

// Failure guard: how long a test may wait for an event that should come in
// seconds. Never reached when the code under test works.
constexpr int kGuardMs = 300000;

} // namespace

ControlledRun::ControlledRun(const std::vector<std::string> &argv,
                             const std::map<std::string, std::string> &env,
                             const std::string &log) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  std::vector<std::string> args = argv;
  std::vector<char *> cargs;
  for (auto &a : args)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], 3); // without O_CLOEXEC: inherited by everything the run starts
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    for (const auto &[k, v] : env)
      ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(cargs[0], cargs.data());
    _exit(127);
  }
  ::setpgid(pid_, pid_);
  ::close(fds[1]);
  events_fd_ = fds[0];
}

ControlledRun::~ControlledRun() {
  if (!reaped_ && pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // A hook still alive after a failed test says which group it is in.
  for (const auto &e : events_) {
    auto space = e.rfind(' ');
    long hook = space == std::string::npos ? 0 : std::strtol(e.c_str() + space + 1, nullptr, 10);
    if (hook > 0 && ::getpgid(static_cast<pid_t>(hook)) > 0)
      ::kill(-::getpgid(static_cast<pid_t>(hook)), SIGKILL);
  }
  if (events_fd_ >= 0)
    ::close(events_fd_);
}

bool ControlledRun::read_line(std::string &line) {
  for (;;) {
    auto nl = pending_.find('\n');
    if (nl != std::string::npos) {
      line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      events_.push_back(line);
      return true;
    }
    pollfd pfd{events_fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, kGuardMs);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    char buf[256];
    ssize_t n = ::read(events_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    pending_.append(buf, static_cast<size_t>(n));
  }
}

bool ControlledRun::wait_for(const std::string &text) {
  std::string line;
  while (read_line(line))
    if (line.find(text) != std::string::npos)
      return true;
  return false;
}

bool ControlledRun::wait_all_gone() {
  std::string line;
  while (read_line(line)) {
  }
  // read_line stops at end-of-file or at the guard: tell them apart.
  pollfd pfd{events_fd_, POLLIN, 0};
  if (::poll(&pfd, 1, 0) != 1)
    return false;
  char c;
  return ::read(events_fd_, &c, 1) == 0;
}

void ControlledRun::signal_group(int sig) { ::kill(-pid_, sig); }
void ControlledRun::signal_tool(int sig) { ::kill(pid_, sig); }

int ControlledRun::wait_exit() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0)
    _exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

} // namespace lp::test
