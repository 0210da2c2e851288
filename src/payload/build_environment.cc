// The original build's environment (see build_environment.h).
#include "payload/build_environment.h"

#include "elf/atomic_file.h"
#include "payload/process.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <string_view>

extern char **environ;

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

// Variables gcc, cpp, as and ld read themselves (and PATH, which picks them).
constexpr std::array<std::string_view, 12> kCompilerVariables = {
    "PATH",           "CPATH",          "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH",
    "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH",   "SOURCE_DATE_EPOCH",
    "DEPENDENCIES_OUTPUT", "SUNPRO_DEPENDENCIES", "GCC_COMPARE_DEBUG",
    "OBJC_INCLUDE_PATH"};

// Variables whose value never reaches a recipe, though their name is a
// word in makefiles:
//   SHELL  make never takes it from the environment: its SHELL is /bin/sh
//          unless a makefile sets it (GNU make, "Choosing the Shell");
//   _      bash sets it to each command's path (`timeout` in one caller,
//          livepatch-build in another); in a makefile `_` is the literal of
//          $(subst _,-,...), not a variable.
constexpr std::array<std::string_view, 2> kNeverReachesRecipes = {"SHELL", "_"};

bool set_by_livepatch_build(std::string_view name) {
  static const std::array<std::string_view, 6> own = {
      "LIVEPATCH_CAPTURE_DIR", "LIVEPATCH_BUILD_DIR", "LIVEPATCH_RECORD_DIR",
      "MAKEFLAGS",             "MFLAGS",              "MAKELEVEL"};
  return std::find(own.begin(), own.end(), name) != own.end();
}

bool is_makefile(const fs::path &p) {
  std::string base = p.filename().string();
  return base.starts_with("Makefile") || base == "Kbuild" || base.ends_with(".mk") ||
         base == "Config.mk" || base == "GNUmakefile";
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool has_word(const std::string &text, const std::string &word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !word_char(text[at - 1]);
    bool right = at + word.size() >= text.size() || !word_char(text[at + word.size()]);
    if (left && right)
      return true;
  }
  return false;
}

} // namespace

Environment build_environment() {
  Environment env;
  for (char **e = environ; *e; e++) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || set_by_livepatch_build(entry.substr(0, eq)))
      continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::string format_environment(const Environment &env) {
  std::string out;
  for (const auto &[name, value] : env) {
    out += name + "=";
    for (char c : value)
      out += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
    out += "\n";
  }
  return out;
}

Environment parse_environment(const std::string &text) {
  Environment env;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    std::string value;
    for (size_t i = eq + 1; i < line.size(); i++) {
      if (line[i] == '\\' && i + 1 < line.size()) {
        value += line[i + 1] == 'n' ? '\n' : line[i + 1];
        i++;
      } else {
        value += line[i];
      }
    }
    env.emplace(line.substr(0, eq), value);
  }
  return env;
}

std::vector<std::string> environment_differences(const Environment &then, const Environment &now) {
  std::vector<std::string> out;
  for (const auto &[name, value] : then)
    if (auto it = now.find(name); it == now.end() || it->second != value)
      out.push_back(name);
  for (const auto &[name, value] : now)
    if (!then.contains(name))
      out.push_back(name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string resolve_program(const std::string &program, const std::string &path) {
  if (program.find('/') != std::string::npos)
    return program;
  auto found = find_in_path(program, path);
  std::error_code ec;
  return found ? fs::canonical(*found, ec).string() : "";
}

bool path_resolves_alike(const std::string &then, const std::string &now,
                         const std::vector<std::string> &programs) {
  std::vector<std::string> all = programs;
  all.insert(all.end(), {"as", "ld"});
  return std::all_of(all.begin(), all.end(), [&](const std::string &program) {
    return resolve_program(program, then) == resolve_program(program, now);
  });
}

std::string first_read_by_build(const std::vector<std::string> &names, const std::string &tree) {
  for (const std::string &name : names)
    if (std::find(kCompilerVariables.begin(), kCompilerVariables.end(), name) !=
        kCompilerVariables.end())
      return name;
  if (names.empty())
    return "";
  // The makefiles make reads for `make -C xen`: xen/ and what it includes
  // from the repository root (Config.mk, config/*.mk).
  std::string makefiles;
  std::error_code ec;
  for (const char *dir : {"", "config"})
    for (auto it = fs::directory_iterator(tree + "/" + dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
      if (it->is_regular_file() && is_makefile(it->path()))
        makefiles += lp::read_file(it->path().string()) + "\n";
  for (auto it = fs::recursive_directory_iterator(tree + "/xen", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file() && is_makefile(it->path()))
      makefiles += lp::read_file(it->path().string()) + "\n";
  for (const std::string &name : names)
    if (has_word(makefiles, name) &&
        std::find(kNeverReachesRecipes.begin(), kNeverReachesRecipes.end(), name) ==
            kNeverReachesRecipes.end())
      return name;
  return "";
}

} // namespace lp::payload
