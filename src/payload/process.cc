// Child processes, their guards, and interrupt forwarding (see process.h).
//
// The registry of running worker groups is a fixed array of atomics so the
// signal handler touches nothing but async-signal-safe state. The guard and
// the worker are forked from a process that may run several threads
// (diff_runner's), so between fork() and exec() only async-signal-safe calls
// are made: everything they need (argv, environment, the program's path, the
// log's name) is prepared before the fork.
#include "payload/process.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <optional>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace lp::payload {
namespace {

constexpr size_t kMaxChildren = 256;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{}; // worker process groups
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

// What execvp would run: `name` itself when it holds a '/', else the first
// executable file of that name in PATH (the tool's own PATH, as posix_spawnp
// searched it). Unfound names are returned unchanged and fail in execve.
std::string resolve_program(const std::string &name) {
  const char *path = std::getenv("PATH");
  return find_in_path(name, path ? path : "/usr/local/bin:/usr/bin:/bin").value_or(name);
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

// Everything the forked processes use, prepared before the fork.
struct Launch {
  std::string path;            // resolved program
  std::vector<char *> argv, envp;
  const char *log = nullptr;   // appended to, unless output_fd >= 0
  int output_fd = -1;
  const char *cwd = nullptr;
};

void write_text(int fd, const char *text) {
  size_t n = std::strlen(text);
  while (n > 0) {
    ssize_t w = ::write(fd, text, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    text += w;
    n -= static_cast<size_t>(w);
  }
}

// The worker: its own process group, stdio on the log, then exec. Dies with
// the guard (PR_SET_PDEATHSIG). Async-signal-safe calls only.
[[noreturn]] void exec_worker(const Launch &l, pid_t guard) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != guard)
    _exit(128 + SIGKILL);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int out = l.output_fd >= 0 ? l.output_fd
                             : ::open(l.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0)
    _exit(127);
  ::dup2(out, 1);
  ::dup2(1, 2);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in >= 0)
    ::dup2(in, 0);
  if (l.cwd && ::chdir(l.cwd) != 0) {
    write_text(2, l.cwd);
    write_text(2, ": cannot enter the folder\n");
    _exit(127);
  }
  ::execve(l.path.c_str(), l.argv.data(), l.envp.data());
  int err = errno;
  write_text(2, l.argv[0]);
  write_text(2, ": ");
  const char *why = strerrordesc_np(err);
  write_text(2, why ? why : "cannot execute");
  write_text(2, "\n");
  _exit(127);
}

// The guard's state, for its signal handler (the guard is single-threaded).
volatile sig_atomic_t g_guard_worker = 0;
volatile sig_atomic_t g_tool_gone = 0;

void on_tool_death(int) {
  g_tool_gone = 1;
  pid_t worker = g_guard_worker;
  if (worker > 0)
    ::kill(-worker, SIGKILL);
}

// The guard (see process.h): starts the worker, reports its pid through
// `report_fd`, waits for it and exits with its status. When the tool dies it
// kills the worker's group and reaps every member before exiting.
[[noreturn]] void run_guard(const Launch &l, pid_t tool, int report_fd) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGINT, SIG_IGN); // the tool forwards these to the worker's group
  ::signal(SIGTERM, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_tool_death;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (::getppid() != tool)
    _exit(128 + SIGKILL); // the tool died before the guard was armed
  pid_t guard = ::getpid();
  pid_t worker = ::fork();
  if (worker == 0)
    exec_worker(l, guard);
  if (worker > 0) {
    ::setpgid(worker, worker); // also done by the worker: whichever runs first
    g_guard_worker = worker;
    if (g_tool_gone)
      ::kill(-worker, SIGKILL);
  }
  pid_t reported = worker > 0 ? worker : 0;
  while (::write(report_fd, &reported, sizeof reported) < 0 && errno == EINTR) {
  }
  ::close(report_fd);
  if (worker < 0)
    _exit(127);
  int status = 0;
  while (::waitpid(worker, &status, 0) < 0 && errno == EINTR) {
  }
  if (g_tool_gone) {
    ::kill(-worker, SIGKILL);
    for (;;) {
      pid_t r = ::waitpid(-worker, nullptr, 0);
      if (r < 0 && errno != EINTR)
        break;
    }
  }
  _exit(decode_status(status));
}

// How long an interrupted child's process group may take to stop on the
// forwarded signal before it is killed outright.
constexpr auto kInterruptGrace = std::chrono::seconds(5);

// Waits for the guard. Once an interrupt has been forwarded, polls instead of
// blocking and escalates to SIGKILL on the worker's process group after the
// grace period, so that a grandchild that ignores or misses the signal (a
// make recipe, a compiler) cannot keep Ctrl-C waiting.
int wait_for_guard(pid_t guard, pid_t worker) {
  int status = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (;;) {
    pid_t r = waitpid(guard, &status, interrupted() ? WNOHANG : 0);
    if (r == guard || (r < 0 && errno != EINTR))
      return status;
    if (!interrupted())
      continue;
    auto now = std::chrono::steady_clock::now();
    if (!deadline)
      deadline = now + kInterruptGrace;
    else if (now >= *deadline && worker > 0)
      kill(-worker, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool read_full(int fd, void *buf, size_t n) {
  auto *p = static_cast<char *>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

} // namespace

std::optional<std::string> find_in_path(const std::string &name, const std::string &path) {
  if (name.find('/') != std::string::npos)
    return name;
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

std::string command_text(const std::vector<std::string> &argv) {
  std::string out;
  for (const std::string &a : argv)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

int run_process(const std::vector<std::string> &argv, const ProcessOptions &opts) {
  std::vector<std::string> args = argv, envs = child_environment(opts);
  const std::string log = opts.log.empty() ? "/dev/null" : opts.log;
  Launch l;
  l.path = resolve_program(args[0]);
  l.argv = c_strings(args);
  l.envp = c_strings(envs);
  l.log = log.c_str();
  l.output_fd = opts.output_fd;
  l.cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    log_line(opts.log, argv[0] + ": " + std::strerror(errno));
    return 127;
  }
  pid_t tool = ::getpid();
  pid_t guard = ::fork();
  if (guard == 0) {
    ::close(report[0]);
    run_guard(l, tool, report[1]);
  }
  int fork_errno = errno;
  ::close(report[1]);
  if (guard < 0) {
    ::close(report[0]);
    log_line(opts.log, argv[0] + ": " + std::strerror(fork_errno));
    return 127;
  }
  pid_t worker = 0;
  if (!read_full(report[0], &worker, sizeof worker))
    worker = 0;
  ::close(report[0]);
  size_t slot = worker > 0 ? register_child(worker) : kMaxChildren;
  if (interrupted() && worker > 0)
    kill(-worker, g_signal.load());
  int status = wait_for_guard(guard, worker);
  if (slot < kMaxChildren)
    g_children[slot].store(0);
  return decode_status(status);
}

namespace {

// A read-write file with no name in $TMPDIR (or /tmp): O_TMPFILE, or a
// mkstemp file unlinked at once where the filesystem lacks O_TMPFILE.
int anonymous_file() {
  const char *env = std::getenv("TMPDIR");
  std::string dir = env && *env ? env : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  std::string tmpl = dir + "/lp-capture-XXXXXX";
  fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd >= 0)
    ::unlink(tmpl.c_str());
  return fd;
}

} // namespace

int run_capture(const std::vector<std::string> &argv, std::string &output,
                const ProcessOptions &opts) {
  int fd = anonymous_file();
  if (fd < 0) {
    output = std::string("temporary file: ") + std::strerror(errno);
    return 127;
  }
  ProcessOptions o = opts;
  o.output_fd = fd;
  int rc = run_process(argv, o);
  output.clear();
  char buf[1 << 16];
  off_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    output.append(buf, static_cast<size_t>(n));
    at += n;
  }
  ::close(fd);
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
