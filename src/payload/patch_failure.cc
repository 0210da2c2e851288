// One line for a patch that does not apply (see patch_failure.h).
//
// Two passes. The patch text is read once into a table of files: for each,
// the names patch may call it by (old and new path, one leading component
// stripped as -p1 does) and the patch-file line of every hunk, hunk bodies
// skipped by their line counts so that a removed line starting with "--" is
// never taken for a header. Then patch's output is read line by line, each
// shape it prints matched by one entry of a small table, and every failure
// becomes a phrase naming the file, the hunk and both places.
#include "payload/patch_failure.h"

#include <fmt/format.h>
#include <functional>
#include <regex>
#include <sstream>
#include <vector>

namespace lp::payload {
namespace {

struct PatchedFile {
  std::vector<std::string> names; // as patch prints them (-p1)
  int header_line = 0;            // the "--- " line
  std::vector<int> hunk_lines;    // the "@@ " line of hunk #1, #2, ...
};

// "a/xen/common/x.c\t2026-..." -> "xen/common/x.c"
std::string strip_p1(std::string path) {
  if (auto tab = path.find('\t'); tab != std::string::npos)
    path.erase(tab);
  while (!path.empty() && (path.back() == ' ' || path.back() == '\r'))
    path.pop_back();
  if (path.size() >= 2 && path.front() == '"' && path.back() == '"')
    path = path.substr(1, path.size() - 2);
  auto slash = path.find('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "@@ -19,5 +19,7 @@" -> {5, 7}; a missing count is 1.
std::pair<int, int> hunk_counts(const std::string &line) {
  static const std::regex re(R"(^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@)");
  std::smatch m;
  if (!std::regex_search(line, m, re))
    return {0, 0};
  auto count = [](const std::ssub_match &s) { return s.matched ? std::stoi(s.str()) : 1; };
  return {count(m[1]), count(m[2])};
}

std::vector<PatchedFile> read_patch(const std::string &text) {
  std::vector<PatchedFile> files;
  std::istringstream in(text);
  std::string line, prev;
  int n = 0, old_left = 0, new_left = 0;
  while (std::getline(in, line)) {
    n++;
    if (old_left > 0 || new_left > 0) { // inside a hunk body
      char c = line.empty() ? ' ' : line[0];
      old_left -= c == ' ' || c == '-';
      new_left -= c == ' ' || c == '+';
      continue;
    }
    if (prev.starts_with("--- ") && line.starts_with("+++ ")) {
      PatchedFile f;
      f.header_line = n - 1;
      for (const std::string *h : {&prev, &line})
        if (std::string p = strip_p1(h->substr(4)); !h->substr(4).starts_with("/dev/null"))
          f.names.push_back(p);
      files.push_back(std::move(f));
    } else if (line.starts_with("@@ ") && !files.empty()) {
      files.back().hunk_lines.push_back(n);
      std::tie(old_left, new_left) = hunk_counts(line);
    }
    prev = line;
  }
  return files;
}

const PatchedFile *file_named(const std::vector<PatchedFile> &files, const std::string &name) {
  for (const auto &f : files)
    for (const auto &n : f.names)
      if (n == name)
        return &f;
  return nullptr;
}

// The file whose header comes last at or before patch line `line`.
const PatchedFile *file_at(const std::vector<PatchedFile> &files, int line) {
  const PatchedFile *found = nullptr;
  for (const auto &f : files)
    if (f.header_line <= line)
      found = &f;
  return found;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

// State while reading patch's output.
struct Reader {
  const std::vector<PatchedFile> &files;
  std::string patch_name;
  std::string current;              // file patch is working on
  std::vector<std::string> reasons; // one phrase per failure

  std::string where(const PatchedFile *f, size_t hunk) const {
    if (!f || hunk == 0 || hunk > f->hunk_lines.size())
      return patch_name;
    return fmt::format("{}:{}", patch_name, f->hunk_lines[hunk - 1]);
  }
  std::string name_of(const PatchedFile *f) const {
    return f && !f->names.empty() ? f->names.back() : current;
  }
};

using Action = std::function<void(Reader &, const std::smatch &)>;

// Each shape of patch's output that matters, and what it means.
const std::vector<std::pair<std::regex, Action>> &output_shapes() {
  static const std::vector<std::pair<std::regex, Action>> shapes = {
      {std::regex(R"(^(?:checking|patching) file (.*)$)"),
       [](Reader &r, const std::smatch &m) { r.current = unquote(m[1].str()); }},
      {std::regex(R"(^Hunk #(\d+) FAILED at (\d+))"),
       [](Reader &r, const std::smatch &m) {
         size_t hunk = std::stoul(m[1].str());
         r.reasons.push_back(fmt::format("{}: hunk #{} ({}) does not match at line {}", r.current,
                                         hunk, r.where(file_named(r.files, r.current), hunk),
                                         m[2].str()));
       }},
      {std::regex(R"(^can't find file to patch at input line (\d+))"),
       [](Reader &r, const std::smatch &m) {
         const PatchedFile *f = file_at(r.files, std::stoi(m[1].str()));
         r.reasons.push_back(
             fmt::format("{}: no such file in the tree ({})", r.name_of(f), r.where(f, 1)));
       }},
      {std::regex(R"(^Reversed \(or previously applied\) patch detected)"),
       [](Reader &r, const std::smatch &) {
         const PatchedFile *f = file_named(r.files, r.current);
         r.reasons.push_back(
             fmt::format("{}: already applied, or reversed ({})", r.current, r.where(f, 1)));
       }},
      {std::regex(R"(^patch: \*\*\*\* (.*?)[.: ]*$)"),
       [](Reader &r, const std::smatch &m) {
         r.reasons.push_back(fmt::format("{}: {}", r.patch_name, m[1].str()));
       }},
  };
  return shapes;
}

std::string first_nonempty_line(const std::string &text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos)
      return line;
  return "patch failed with no message";
}

} // namespace

std::string describe_patch_failure(const std::string &patch_output, const std::string &patch_text,
                                   const std::string &patch_name) {
  std::vector<PatchedFile> files = read_patch(patch_text);
  Reader r{files, patch_name, "", {}};
  std::istringstream in(patch_output);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    std::smatch m;
    for (const auto &[re, act] : output_shapes())
      if (std::regex_search(line, m, re)) {
        act(r, m);
        break;
      }
  }
  if (r.reasons.empty())
    return first_nonempty_line(patch_output);
  std::string out;
  for (const auto &reason : r.reasons)
    out += (out.empty() ? "" : "; ") + reason;
  return out;
}

} // namespace lp::payload
