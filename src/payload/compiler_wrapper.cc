// Classification and capture rules of livepatch-gcc (see compiler_wrapper.h).
#include "payload/compiler_wrapper.h"

#include <algorithm>
#include <array>
#include <filesystem>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

std::string basename_of(std::string_view p) {
  auto slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

// Launchers that take the compiler as their first argument.
bool is_launcher(const std::string &word) {
  static const std::array<const char *, 4> launchers = {"ccache", "distcc", "sccache", "icecc"};
  std::string base = basename_of(word);
  for (const char *l : launchers)
    if (base == l)
      return true;
  return false;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// Upstream matched "gcc.*" and "objcopy.*" unanchored, so versioned and
// prefixed names (gcc72, x86_64-linux-gnu-gcc-12) count; binutils' gcc-ar and
// friends do not compile.
ToolKind kind_of(const std::string &word) {
  std::string base = basename_of(word);
  auto objcopy = base.find("objcopy");
  if (objcopy != std::string::npos && (objcopy == 0 || base[objcopy - 1] == '-'))
    return ToolKind::Objcopy;
  bool compiler = contains(base, "gcc") || contains(base, "clang") || contains(base, "cc");
  bool archiver = contains(base, "gcc-ar") || contains(base, "gcc-nm") || contains(base, "gcc-ranlib");
  return compiler && !archiver ? ToolKind::Compiler : ToolKind::Other;
}

std::optional<std::string> compiler_output(const std::vector<std::string> &argv, size_t from) {
  std::optional<std::string> out;
  for (size_t i = from; i < argv.size(); i++) {
    if (argv[i] == "-o" && i + 1 < argv.size())
      out = argv[++i];
    else if (argv[i].starts_with("-o") && argv[i].size() > 2)
      out = argv[i].substr(2);
  }
  if (out) { // old layouts compile to .tmp_<name>.o; the captured name drops .tmp_
    auto pos = out->rfind("/.tmp_");
    if (pos != std::string::npos)
      out->erase(pos + 1, 5);
    else if (out->starts_with(".tmp_"))
      out->erase(0, 5);
  }
  return out;
}

bool has_arg(const std::vector<std::string> &argv, size_t from, std::string_view arg) {
  for (size_t i = from; i < argv.size(); i++)
    if (argv[i] == arg)
      return true;
  return false;
}

size_t tool_index(const std::vector<std::string> &argv) {
  size_t tool = 0;
  while (tool < argv.size() && is_launcher(argv[tool]))
    tool++;
  return tool;
}

} // namespace

std::optional<std::string> object_of_temporary(const std::string &out) {
  auto slash = out.rfind('/');
  size_t base = slash == std::string::npos ? 0 : slash + 1;
  if (out.compare(base, 1, ".") != 0 || !out.ends_with(".o.tmp"))
    return std::nullopt;
  return out.substr(0, base) + out.substr(base + 1, out.size() - base - 1 - 4);
}

std::optional<std::string> command_output(const std::vector<std::string> &argv) {
  size_t tool = tool_index(argv);
  if (tool >= argv.size())
    return std::nullopt;
  if (kind_of(argv[tool]) == ToolKind::Objcopy) {
    if (argv.size() > tool + 1 && !argv.back().starts_with("-"))
      return argv.back();
    return std::nullopt;
  }
  std::optional<std::string> out;
  for (size_t i = tool + 1; i < argv.size(); i++) {
    if (argv[i] == "-o" && i + 1 < argv.size())
      out = argv[++i];
    else if (argv[i].starts_with("-o") && argv[i].size() > 2)
      out = argv[i].substr(2);
  }
  return out;
}

std::vector<std::string> command_programs(const std::vector<std::string> &argv) {
  size_t tool = tool_index(argv);
  return {argv.begin(), argv.begin() + std::min(tool + 1, argv.size())};
}

std::vector<std::string> command_object_inputs(const std::vector<std::string> &argv) {
  std::vector<std::string> inputs;
  auto out = command_output(argv);
  static const std::array<std::string_view, 8> with_value = {"-o", "-MQ", "-MT", "-MF", "-T",
                                                              "-include", "-imacros", "-x"};
  for (size_t i = tool_index(argv) + 1; i < argv.size(); i++) {
    if (std::find(with_value.begin(), with_value.end(), argv[i]) != with_value.end()) {
      i++;
      continue;
    }
    if (argv[i].ends_with(".o") && !argv[i].starts_with("-") && argv[i] != out)
      inputs.push_back(argv[i]);
  }
  return inputs;
}

std::optional<std::string> finished_temporary(const std::vector<std::string> &argv) {
  size_t tool = tool_index(argv);
  if (tool >= argv.size() || kind_of(argv[tool]) != ToolKind::Objcopy || argv.size() < tool + 3)
    return std::nullopt;
  const std::string &in = argv[argv.size() - 2];
  const std::string &out = argv.back();
  auto object = object_of_temporary(in);
  if (!object || *object != out)
    return std::nullopt;
  return out;
}

WrappedCommand classify_command(const std::vector<std::string> &argv) {
  WrappedCommand cmd;
  size_t tool = tool_index(argv);
  if (tool >= argv.size())
    return cmd;
  cmd.kind = kind_of(argv[tool]);
  if (cmd.kind == ToolKind::Compiler) {
    cmd.object = compiler_output(argv, tool + 1);
    if (has_arg(argv, tool + 1, "-c") && cmd.object) {
      auto temporary = object_of_temporary(*cmd.object);
      cmd.compiled_object = temporary ? temporary : cmd.object;
      if (!cmd.compiled_object->ends_with(".o"))
        cmd.compiled_object.reset();
    }
  }
  else if (cmd.kind == ToolKind::Objcopy && argv.size() > tool + 2 && !argv.back().starts_with("-"))
    cmd.object = argv.back();
  if (cmd.object && !cmd.object->ends_with(".o"))
    cmd.object.reset();
  return cmd;
}

bool is_ignored_object(std::string_view path) {
  static const std::array<std::string_view, 4> exact = {"check.o", "built_in.o", "prelink.o",
                                                         "buildid.o"};
  std::string base = basename_of(path);
  if (!base.ends_with(".o"))
    return false;
  for (std::string_view e : exact)
    if (base == e)
      return true;
  return base.starts_with(".") || base.ends_with(".init.o") || contains(base, ".xen-syms.") ||
         contains(base, ".xen.efi.");
}

std::optional<std::string> capture_relative_path(const std::string &cwd, const std::string &object,
                                                 const std::string &build_dir) {
  fs::path abs = fs::path(object).is_absolute() ? fs::path(object) : fs::path(cwd) / object;
  abs = abs.lexically_normal();
  fs::path rel = abs.lexically_relative(fs::path(build_dir).lexically_normal());
  if (rel.empty() || rel.native().starts_with(".."))
    return std::nullopt;
  return rel.string();
}

} // namespace lp::payload
