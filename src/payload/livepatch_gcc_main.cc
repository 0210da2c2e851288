// livepatch-gcc: run a build tool, capturing the object it writes.
//
//   livepatch-gcc [launcher...] <tool> <args...>
//
// See compiler_wrapper.h. Environment: LIVEPATCH_BUILD_DIR (the tree root the
// captured paths are relative to) and LIVEPATCH_CAPTURE_DIR (where objects go;
// capture is off when unset). Exits with the tool's status. Capture errors are
// reported and make the command fail, so a build never silently misses an
// object. A compile whose object is captured also leaves its compile record
// (compile_record.h) beside the captured object.
#include "payload/compile_record.h"
#include "payload/compiler_wrapper.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

const char kUsage[] =
    "usage: livepatch-gcc [launcher...] <tool> <args...>\n"
    "Runs <tool> with <args>. When LIVEPATCH_CAPTURE_DIR is set, the object written by a\n"
    "compiler (-o FILE) or objcopy (last argument) is copied there, at its path relative to\n"
    "LIVEPATCH_BUILD_DIR, and listed in <capture>/changed_objs; a compile (-c) also leaves\n"
    "its command there as <object>.compile. Used by livepatch-build via\n"
    "CROSS_COMPILE=\"<libexec>/livepatch-gcc \".\n";

[[noreturn]] void exec_tool(char **argv) {
  execvp(argv[0], argv);
  std::fprintf(stderr, "livepatch-gcc: %s: %s\n", argv[0], std::strerror(errno));
  _exit(127);
}

int run_tool(char **argv) {
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("livepatch-gcc: fork");
    return 1;
  }
  if (pid == 0)
    exec_tool(argv);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool append_line(const std::string &file, const std::string &line) {
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    return false;
  std::string text = line + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

int capture(const std::string &object, const char *build_dir, const char *capture_dir) {
  auto rel = lp::payload::capture_relative_path(fs::current_path().string(), object, build_dir);
  if (!rel)
    return 0;
  fs::path dest = fs::path(capture_dir) / *rel;
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  fs::copy_file(object, dest, fs::copy_options::overwrite_existing, ec);
  if (ec || !append_line(std::string(capture_dir) + "/changed_objs", *rel)) {
    std::fprintf(stderr, "livepatch-gcc: cannot capture %s: %s\n", object.c_str(),
                 ec ? ec.message().c_str() : std::strerror(errno));
    return 1;
  }
  return 0;
}

// Writes the compile record of `object` (as on the command line) under the
// capture folder: a temporary name, then rename, so a reader never sees half
// a record.
int record_compile(const std::vector<std::string> &args, const std::string &object,
                   const char *build_dir, const char *capture_dir) {
  std::string cwd = fs::current_path().string();
  auto rel = lp::payload::capture_relative_path(cwd, object, build_dir);
  if (!rel)
    return 0;
  lp::payload::CompileRecord rec{*rel, cwd, lp::payload::compile_source(args), args};
  std::string text = lp::payload::format_compile_record(rec, build_dir);
  fs::path dest = lp::payload::compile_record_path((fs::path(capture_dir) / *rel).string());
  std::string tmp = dest.string() + ".tmp" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0)
    ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), dest.c_str()) != 0) {
    std::fprintf(stderr, "livepatch-gcc: cannot record the compile of %s: %s\n", object.c_str(),
                 std::strerror(errno));
    unlink(tmp.c_str());
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  const char *capture_dir = std::getenv("LIVEPATCH_CAPTURE_DIR");
  const char *build_dir = std::getenv("LIVEPATCH_BUILD_DIR");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = lp::payload::classify_command(args);
  bool capturing = capture_dir && *capture_dir && build_dir;
  bool wanted = capturing && cmd.object && !lp::payload::is_ignored_object(*cmd.object);
  bool recorded = capturing && cmd.compiled_object &&
                  !lp::payload::is_ignored_object(*cmd.compiled_object);
  if (!wanted && !recorded)
    exec_tool(argv + 1);
  int rc = run_tool(argv + 1);
  if (rc != 0)
    return rc;
  if (recorded && record_compile(args, *cmd.compiled_object, build_dir, capture_dir) != 0)
    return 1;
  return wanted ? capture(*cmd.object, build_dir, capture_dir) : 0;
}
