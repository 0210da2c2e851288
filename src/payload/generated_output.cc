// Regenerating an output of the original build and comparing it with the
// original (see generated_output.h).
#include "payload/generated_output.h"

#include "elf/atomic_file.h"
#include "payload/compiler_wrapper.h"
#include "payload/process.h"

#include <array>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <string_view>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

constexpr std::array<std::string_view, 2> kDependencyPrefixes = {"-Wp,-MD,", "-Wp,-MMD,"};

void append_log(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::app) << text;
}

} // namespace

std::vector<std::string> redirected_command(const std::vector<std::string> &argv,
                                            const std::string &output,
                                            const std::string &dependency_file) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); i++) {
    const std::string &a = argv[i];
    if ((a == "-o" || a == "-MF") && i + 1 < argv.size()) {
      out.push_back(a);
      out.push_back(a == "-o" ? output : dependency_file);
      i++;
    } else if (a.starts_with("-o") && a.size() > 2) {
      out.push_back("-o" + output);
    } else if (a.starts_with("-MF") && a.size() > 3) {
      out.push_back("-MF" + dependency_file);
    } else {
      std::string arg = a;
      for (std::string_view prefix : kDependencyPrefixes)
        if (a.starts_with(prefix))
          arg = std::string(prefix) + dependency_file;
      out.push_back(arg);
    }
  }
  return out;
}

std::optional<std::string> original_of_output(const std::string &output,
                                              const std::string &pristine_root) {
  std::error_code ec;
  if (fs::is_regular_file(pristine_root + "/" + output, ec))
    return output;
  if (output.ends_with(".new")) {
    std::string moved = output.substr(0, output.size() - 4);
    if (fs::is_regular_file(pristine_root + "/" + moved, ec))
      return moved;
  }
  return std::nullopt;
}

std::optional<std::string> regenerate_and_compare(const CompileRecord &record,
                                                  const RegenerateRequest &request) {
  auto original = original_of_output(record.object, request.pristine_root);
  if (!original)
    return fmt::format("may change the generated {}, which the cached original build does not "
                       "hold to compare with",
                       record.object);
  if (!command_output(record.argv))
    return fmt::format("may change the generated {}, whose recorded command names no output",
                       *original);
  std::string scratch = request.scratch_dir + "/" + record.object;
  fs::create_directories(fs::path(scratch).parent_path());
  std::vector<std::string> argv = redirected_command(record.argv, scratch, scratch + ".d");
  if (!request.wrapper.empty())
    argv.insert(argv.begin(), request.wrapper);
  ProcessOptions p;
  p.cwd = record.directory;
  p.env = request.env;
  p.unset_env = request.unset_env;
  std::string text;
  int status = run_capture(argv, text, p);
  std::string log = request.scratch_dir + "/regenerate.log";
  append_log(log, fmt::format("cd {} && {}\n{}", record.directory, command_text(argv), text));
  if (status != 0)
    return fmt::format("may change the generated {}: making it again with its recorded command "
                       "failed (exit {}, see {})",
                       *original, status, log);
  if (lp::read_file(scratch) != lp::read_file(request.pristine_root + "/" + *original))
    return fmt::format("changes the generated {}", *original);
  return std::nullopt;
}

} // namespace lp::payload
