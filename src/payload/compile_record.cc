// Compile records (see compile_record.h). Built into livepatch-gcc, which is
// linked statically and runs once per build command: the standard library
// only.
#include "payload/compile_record.h"

#include <array>
#include <filesystem>
#include <sstream>
#include <string_view>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMagic = "livepatch-compile-record";
constexpr int kVersion = 1;
constexpr std::string_view kRootToken = "$ROOT";

std::string without_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

// True if a path starting at `pos` would begin a path in `s`: no '/' between
// it and the start of its token (the argument's start or a ',', '=', ':' or
// ' '), as in -I/root/x, -Wp,-MD,/root/x.d or --sysroot=/root.
bool starts_path(std::string_view s, size_t pos) {
  for (size_t i = pos; i-- > 0;) {
    if (s[i] == ',' || s[i] == '=' || s[i] == ':' || s[i] == ' ')
      return true;
    if (s[i] == '/')
      return false;
  }
  return true;
}

// `root` at `pos` of `s` as a whole path: not inside a longer name on either
// side.
bool root_at(std::string_view s, size_t pos, std::string_view root) {
  if (root.empty() || s.compare(pos, root.size(), root) != 0)
    return false;
  size_t end = pos + root.size();
  bool ends_clean = end == s.size() || s[end] == '/';
  return ends_clean && starts_path(s, pos);
}

std::string escape(std::string_view s, std::string_view root) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (root_at(s, i, root)) {
      out += kRootToken;
      i += root.size();
      continue;
    }
    char c = s[i++];
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '$')
      out += "$$";
    else
      out += c;
  }
  return out;
}

std::optional<std::string> unescape(std::string_view s, std::string_view root) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i).starts_with(kRootToken)) {
      out += root;
      i += kRootToken.size();
    } else if (s.substr(i).starts_with("$$")) {
      out += '$';
      i += 2;
    } else if (s.substr(i).starts_with("\\\\")) {
      out += '\\';
      i += 2;
    } else if (s.substr(i).starts_with("\\n")) {
      out += '\n';
      i += 2;
    } else if (s[i] == '$' || s[i] == '\\') {
      return std::nullopt;
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string relative_directory(const std::string &cwd, const std::string &root) {
  fs::path rel = fs::path(cwd).lexically_normal().lexically_relative(fs::path(root));
  if (rel.empty() || rel.native().starts_with(".."))
    return cwd;
  return rel.string();
}

// Options whose value is the next argument (so it is never the source).
bool takes_value(std::string_view opt) {
  static const std::array<std::string_view, 22> options = {
      "-o",         "-I",          "-include",         "-imacros",     "-isystem",
      "-iquote",    "-idirafter",  "-iprefix",         "-MF",          "-MT",
      "-MQ",        "-x",          "-D",               "-U",           "-Xassembler",
      "-Xpreprocessor", "-Xlinker", "-L",              "-T",           "--param",
      "-dumpdir",   "-dumpbase"};
  for (std::string_view o : options)
    if (opt == o)
      return true;
  return false;
}

bool has_source_suffix(std::string_view arg) {
  for (std::string_view ext : {".c", ".S", ".s", ".cc", ".cpp"})
    if (arg.size() > ext.size() && arg.ends_with(ext))
      return true;
  return false;
}

} // namespace

std::string compile_source(const std::vector<std::string> &argv) {
  std::string source;
  for (size_t i = 1; i < argv.size(); i++) {
    if (takes_value(argv[i])) {
      i++;
      continue;
    }
    if (!argv[i].starts_with("-") && has_source_suffix(argv[i]))
      source = argv[i];
  }
  return source;
}

bool is_c_source(const std::string &source) { return source.ends_with(".c"); }

std::string dependency_output(const std::vector<std::string> &argv) {
  std::string file, output;
  bool md = false;
  for (size_t i = 1; i < argv.size(); i++) {
    const std::string &a = argv[i];
    if ((a == "-MF" || a == "-o") && i + 1 < argv.size())
      (a == "-MF" ? file : output) = argv[++i];
    else if (a.starts_with("-MF"))
      file = a.substr(3);
    else if (a == "-MD" || a == "-MMD")
      md = true;
    else if (a.starts_with("-Wp,-MD,") || a.starts_with("-Wp,-MMD,"))
      file = a.substr(a.find(',', 4) + 1);
  }
  if (!file.empty())
    return file;
  if (!md || output.empty())
    return "";
  auto dot = output.rfind('.');
  auto slash = output.rfind('/');
  bool has_suffix = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_suffix ? output.substr(0, dot) : output) + ".d";
}

std::vector<std::string> parse_dependency_file(const std::string &text) {
  // Join continuation lines of the first rule, then split on unescaped blanks.
  std::string rule;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      rule += ' ';
      i++;
    } else if (text[i] == '\n') {
      break;
    } else {
      rule += text[i];
    }
  }
  std::vector<std::string> deps;
  size_t colon = rule.find(": ");
  if (colon == std::string::npos)
    colon = rule.find(':');
  if (colon == std::string::npos)
    return deps;
  std::string word;
  for (size_t i = colon + 1; i <= rule.size(); i++) {
    if (i < rule.size() && rule[i] == '\\' && i + 1 < rule.size() && rule[i + 1] == ' ') {
      word += ' ';
      i++;
    } else if (i == rule.size() || rule[i] == ' ' || rule[i] == '\t') {
      if (!word.empty())
        deps.push_back(word);
      word.clear();
    } else {
      word += rule[i];
    }
  }
  return deps;
}

std::string format_compile_record(const CompileRecord &record, const std::string &root) {
  std::string r = without_trailing_slash(root);
  std::string out = std::string(kMagic) + " " + std::to_string(kVersion) + "\n";
  out += "object " + escape(record.object, "") + "\n";
  out += "directory " + escape(relative_directory(record.directory, r), "") + "\n";
  out += "source " + escape(record.source, r) + "\n";
  for (const std::string &arg : record.argv)
    out += "arg " + escape(arg, r) + "\n";
  for (const std::string &arg : record.post_argv)
    out += "post " + escape(arg, r) + "\n";
  for (const std::string &dep : record.deps)
    out += "dep " + escape(dep, r) + "\n";
  return out;
}

std::optional<CompileRecord> parse_compile_record(const std::string &text,
                                                  const std::string &root, std::string &error) {
  std::string r = without_trailing_slash(root);
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != std::string(kMagic) + " " + std::to_string(kVersion)) {
    error = "not a compile record of version " + std::to_string(kVersion);
    return std::nullopt;
  }
  CompileRecord rec;
  std::string directory;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    std::string key = line.substr(0, space);
    auto value = unescape(space == std::string::npos ? "" : line.substr(space + 1), r);
    if (!value) {
      error = "bad escape in line '" + line + "'";
      return std::nullopt;
    }
    if (key == "object")
      rec.object = *value;
    else if (key == "directory")
      directory = *value;
    else if (key == "source")
      rec.source = *value;
    else if (key == "arg")
      rec.argv.push_back(*value);
    else if (key == "post")
      rec.post_argv.push_back(*value);
    else if (key == "dep")
      rec.deps.push_back(*value);
  }
  if (rec.object.empty() || rec.argv.empty()) {
    error = "record without object or command";
    return std::nullopt;
  }
  fs::path dir(directory.empty() ? "." : directory);
  rec.directory = (dir.is_absolute() ? dir : fs::path(r) / dir).lexically_normal().string();
  if (rec.directory.size() > 1 && rec.directory.back() == '/')
    rec.directory.pop_back();
  return rec;
}

} // namespace lp::payload
