// livepatch-gcc: run a build tool, capturing the object it writes.
//
//   livepatch-gcc [launcher...] <tool> <args...>
//
// See compiler_wrapper.h. Environment: LIVEPATCH_BUILD_DIR (the tree root the
// captured paths are relative to) and LIVEPATCH_CAPTURE_DIR (where objects go;
// capture is off when unset). Exits with the tool's status. Capture errors are
// reported and make the command fail, so a build never silently misses an
// object. A compile whose object is captured also leaves its compile record
// (compile_record.h) beside the captured object, with the files it read (its
// dependency output) and the objcopy that finishes the object, if any.
//
// LIVEPATCH_RECORD_DIR (the original build, build_records.h) records every
// compiler output there the same way, and appends one line per command that
// reads objects to <records>/inputs; nothing is captured.
#include "payload/compile_record.h"
#include "lp_version.h"
#include "payload/compiler_wrapper.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
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
    "its command there as <object>.compile. When LIVEPATCH_RECORD_DIR is set, every compiler\n"
    "output's command and dependencies are recorded there instead, and the objects each\n"
    "command reads are listed in <records>/inputs. Used by livepatch-build via\n"
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

bool write_atomically(const fs::path &dest, const std::string &text) {
  std::string tmp = dest.string() + ".tmp" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0)
    ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), dest.c_str()) != 0) {
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string read_text(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::string text;
  if (fd < 0)
    return text;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fd);
  return text;
}

// The files the compile read, from the dependency file it wrote: below the
// build root relative to it, others absolute.
std::vector<std::string> compile_dependencies(const std::vector<std::string> &args,
                                              const std::string &cwd, const char *build_dir) {
  std::vector<std::string> deps;
  std::string file = lp::payload::dependency_output(args);
  if (file.empty())
    return deps;
  fs::path path = fs::path(file).is_absolute() ? fs::path(file) : fs::path(cwd) / file;
  for (const std::string &dep : lp::payload::parse_dependency_file(read_text(path.string()))) {
    auto rel = lp::payload::capture_relative_path(cwd, dep, build_dir);
    fs::path abs = fs::path(dep).is_absolute() ? fs::path(dep) : fs::path(cwd) / dep;
    deps.push_back(rel ? *rel : abs.lexically_normal().string());
  }
  return deps;
}

// Writes the compile record of `output` (as on the command line) below
// `folder`: a temporary name, then rename, so a reader never sees half a
// record.
int record_compile(const std::vector<std::string> &args, const std::string &output,
                   const char *build_dir, const std::string &folder) {
  std::string cwd = fs::current_path().string();
  auto rel = lp::payload::capture_relative_path(cwd, output, build_dir);
  if (!rel)
    return 0;
  lp::payload::CompileRecord rec{*rel, cwd, lp::payload::compile_source(args), args};
  rec.deps = compile_dependencies(args, cwd, build_dir);
  std::string text = lp::payload::format_compile_record(rec, build_dir);
  fs::path dest = lp::payload::compile_record_path((fs::path(folder) / *rel).string());
  if (!write_atomically(dest, text)) {
    std::fprintf(stderr, "livepatch-gcc: cannot record the compile of %s: %s\n", output.c_str(),
                 std::strerror(errno));
    return 1;
  }
  return 0;
}

// objcopy turned the compiler's temporary into `object`: the command joins
// the object's record (where there is one) as its `post` step.
int record_post_step(const std::vector<std::string> &args, const std::string &object,
                     const char *build_dir, const std::string &folder) {
  std::string cwd = fs::current_path().string();
  auto rel = lp::payload::capture_relative_path(cwd, object, build_dir);
  if (!rel)
    return 0;
  fs::path dest = lp::payload::compile_record_path((fs::path(folder) / *rel).string());
  std::string error;
  auto rec = lp::payload::parse_compile_record(read_text(dest.string()), build_dir, error);
  if (!rec)
    return 0;
  rec->post_argv = args;
  if (!write_atomically(dest, lp::payload::format_compile_record(*rec, build_dir))) {
    std::fprintf(stderr, "livepatch-gcc: cannot record the objcopy of %s: %s\n", object.c_str(),
                 std::strerror(errno));
    return 1;
  }
  return 0;
}

// Record mode (the original build): one line per command that reads objects,
// "<output> <input>...", root-relative, appended to <records>/inputs. A
// single write(2) with O_APPEND, so lines of parallel commands never mix.
int record_inputs(const std::vector<std::string> &args, const char *build_dir,
                  const std::string &records) {
  auto output = lp::payload::command_output(args);
  std::vector<std::string> inputs = lp::payload::command_object_inputs(args);
  if (!output || inputs.empty())
    return 0;
  std::string cwd = fs::current_path().string();
  auto out_rel = lp::payload::capture_relative_path(cwd, *output, build_dir);
  std::string line = out_rel ? *out_rel : *output;
  bool any = false;
  for (const std::string &in : inputs)
    if (auto rel = lp::payload::capture_relative_path(cwd, in, build_dir)) {
      line += " " + *rel;
      any = true;
    }
  if (!any)
    return 0;
  if (!append_line(records + "/inputs", line)) {
    std::fprintf(stderr, "livepatch-gcc: cannot record the inputs of %s: %s\n", line.c_str(),
                 std::strerror(errno));
    return 1;
  }
  return 0;
}

// Record mode: an object a command other than a compile wrote (objcopy of a
// blob), listed in <records>/untraced.
int record_untraced(const std::string &object, const char *build_dir, const std::string &records) {
  auto rel = lp::payload::capture_relative_path(fs::current_path().string(), object, build_dir);
  if (!rel || append_line(records + "/untraced", *rel))
    return 0;
  std::fprintf(stderr, "livepatch-gcc: cannot record %s: %s\n", object.c_str(), std::strerror(errno));
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  // <tool> is never an option, so the wrapper's own options cannot shadow a tool's.
  if (argc >= 2 && !std::strcmp(argv[1], "--version")) {
    std::puts(lp::version_text("livepatch-gcc").c_str());
    return 0;
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  const char *capture_dir = std::getenv("LIVEPATCH_CAPTURE_DIR");
  const char *build_dir = std::getenv("LIVEPATCH_BUILD_DIR");
  const char *record_env = std::getenv("LIVEPATCH_RECORD_DIR");
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cmd = lp::payload::classify_command(args);
  bool capturing = capture_dir && *capture_dir && build_dir;
  bool recording = record_env && *record_env && build_dir;
  std::string records = recording ? record_env : "";
  bool wanted = capturing && cmd.object && !lp::payload::is_ignored_object(*cmd.object);
  bool captured_compile = capturing && cmd.compiled_object &&
                          !lp::payload::is_ignored_object(*cmd.compiled_object);
  // Record mode keeps every compiler output: objects under their final name,
  // anything else (a preprocessed linker script, asm-offsets.s) under its own.
  std::optional<std::string> recorded_output;
  if (recording && cmd.kind == lp::payload::ToolKind::Compiler)
    recorded_output = cmd.compiled_object ? cmd.compiled_object : lp::payload::command_output(args);
  auto finished = lp::payload::finished_temporary(args);
  bool post_step = finished && (capturing || recording);
  if (recording && record_inputs(args, build_dir, records) != 0)
    return 1;
  if (recording && cmd.object && !cmd.compiled_object && !finished &&
      !lp::payload::is_ignored_object(*cmd.object) &&
      record_untraced(*cmd.object, build_dir, records) != 0)
    return 1;
  if (!wanted && !captured_compile && !recorded_output && !post_step)
    exec_tool(argv + 1);
  int rc = run_tool(argv + 1);
  if (rc != 0)
    return rc;
  if (captured_compile && record_compile(args, *cmd.compiled_object, build_dir, capture_dir) != 0)
    return 1;
  if (recorded_output && record_compile(args, *recorded_output, build_dir, records) != 0)
    return 1;
  if (post_step && capturing && record_post_step(args, *finished, build_dir, capture_dir) != 0)
    return 1;
  if (post_step && recording && record_post_step(args, *finished, build_dir, records) != 0)
    return 1;
  return wanted ? capture(*cmd.object, build_dir, capture_dir) : 0;
}
