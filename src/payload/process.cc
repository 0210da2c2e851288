// Child processes and interrupt forwarding (see process.h).
//
// The registry of running process groups is a fixed array of atomics so the
// signal handler touches nothing but async-signal-safe state.
#include "payload/process.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <chrono>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace lp::payload {
namespace {

constexpr size_t kMaxChildren = 256;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};
std::atomic<int> g_signal{0};

void forward_signal(int sig) {
  g_signal.store(sig);
  for (auto &slot : g_children) {
    pid_t pid = slot.load();
    if (pid > 0)
      kill(-pid, sig);
  }
}

size_t register_child(pid_t pid) {
  for (size_t i = 0; i < kMaxChildren; i++) {
    pid_t expected = 0;
    if (g_children[i].compare_exchange_strong(expected, pid))
      return i;
  }
  return kMaxChildren;
}

std::vector<std::string> child_environment(const ProcessOptions &opts) {
  std::vector<std::string> out;
  for (char **e = environ; *e; e++) {
    std::string_view entry(*e);
    std::string key(entry.substr(0, entry.find('=')));
    bool removed = opts.env.count(key) > 0;
    for (const auto &u : opts.unset_env)
      removed = removed || u == key;
    if (!removed)
      out.emplace_back(entry);
  }
  for (const auto &[k, v] : opts.env)
    out.push_back(k + "=" + v);
  return out;
}

std::vector<char *> c_strings(std::vector<std::string> &v) {
  std::vector<char *> out;
  for (auto &s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

void log_line(const std::string &log, const std::string &line) {
  if (log.empty())
    return;
  std::ofstream(log, std::ios::app) << line << "\n";
}

// How long an interrupted child's process group may take to stop on the
// forwarded signal before it is killed outright.
constexpr auto kInterruptGrace = std::chrono::seconds(5);

// Waits for `pid`. Once an interrupt has been forwarded, polls instead of
// blocking and escalates to SIGKILL on the child's process group after the
// grace period, so that a grandchild that ignores or misses the signal
// (a make recipe, a compiler) cannot keep Ctrl-C waiting.
int wait_for_child(pid_t pid) {
  int status = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (;;) {
    pid_t r = waitpid(pid, &status, interrupted() ? WNOHANG : 0);
    if (r == pid || (r < 0 && errno != EINTR))
      return status;
    if (!interrupted())
      continue;
    auto now = std::chrono::steady_clock::now();
    if (!deadline)
      deadline = now + kInterruptGrace;
    else if (now >= *deadline)
      kill(-pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace

int run_process(const std::vector<std::string> &argv, const ProcessOptions &opts) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  const std::string log = opts.log.empty() ? "/dev/null" : opts.log;
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (!opts.cwd.empty())
    posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t dfl;
  sigemptyset(&dfl);
  sigaddset(&dfl, SIGINT);
  sigaddset(&dfl, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &dfl);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = argv, envs = child_environment(opts);
  auto cargs = c_strings(args), cenv = c_strings(envs);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0].c_str(), &fa, &attr, cargs.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    log_line(opts.log, argv[0] + ": " + std::strerror(rc));
    return 127;
  }
  size_t slot = register_child(pid);
  if (interrupted())
    kill(-pid, g_signal.load());
  int status = wait_for_child(pid);
  if (slot < kMaxChildren)
    g_children[slot].store(0);
  return decode_status(status);
}

int run_capture(const std::vector<std::string> &argv, std::string &output,
                const ProcessOptions &opts) {
  char tmpl[] = "/tmp/lp-capture-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) {
    output = std::string("mkstemp: ") + std::strerror(errno);
    return 127;
  }
  close(fd);
  ProcessOptions o = opts;
  o.log = tmpl;
  int rc = run_process(argv, o);
  std::ifstream in(tmpl, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  output = ss.str();
  unlink(tmpl);
  return rc;
}

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_signal.load() != 0; }
int interrupt_signal() { return g_signal.load(); }

} // namespace lp::payload
