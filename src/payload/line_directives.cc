// #line directives after each hunk of the patched build copy (see line_directives.h).
//
// What moved. The original and patched texts of a file (the pristine copy of
// the cache and the build copy after `patch`) are aligned line by line with
// Myers' O(ND) difference algorithm, after their common head and tail are set
// aside. So hunks come from what the patch really did, wherever `patch` placed
// them, and renamed files are compared with their old selves. A hunk is a
// run of patched lines with no original counterpart, or a place where
// original lines were removed. (Past 4000 differing lines the middle is taken
// as one hunk: still exact, only coarser.)
//
// The directives. After each hunk, `#line N` goes before the first line
// below it where a directive is safe, N being that line's original number,
// so every line from there on carries its original number. Before a hunk
// that follows an earlier directive, `#line M` (M the line's number in the
// patched file) goes at the last safe place above it, so that inside the hunk
// lines carry the patched file's numbers, as the patch author sees them. The
// first hunk of a file needs none: nothing above it moved.
//
// Where a directive is safe (before line j):
//   * not inside a block comment, a string or a character constant, and the
//     line above does not end with a backslash (a continued macro
//     definition, string or directive): the preprocessor would not see a
//     directive there;
//   * outside parentheses and brackets: a directive inside the arguments of a
//     function-like macro is undefined behaviour, and lexically a macro
//     invocation cannot be told from a call. For C, also only after a
//     statement or declaration boundary (the last token above is ; { } : or
//     ,, or a preprocessor line), which stays safe if an odd #if split a
//     parenthesis;
//   * no #else, #elif or #endif further down closes or switches a
//     conditional group the place is in (unless only blank lines, comments
//     and other such lines follow: an include guard's #endif). A directive
//     in a group that is not compiled is skipped, and the lines after it
//     would keep the shift; placed so, either the directive is seen, or
//     nothing below it is compiled.
// Lines between a hunk's last change and its directive, and lines between a
// directive above a hunk and the hunk, keep a shift; so does every line of a
// file that could not take directives. All of them go into the line map that
// create-diff-object gets (--line-map), which is therefore exact for every
// file: a file the map does not list did not move.
//
// When no safe place exists below a hunk before the end of the file and code
// follows, the file keeps its real numbers entirely (no directive at all),
// and livepatch-build logs one line saying so; its shifts are in the map.
// A hunk at the very end of a file needs no directive. Added files have no
// original numbers; removed files are not compiled. Files other than C
// sources, headers and .S files are never rewritten; their shifts go into
// the map too.
#include "payload/line_directives.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxEditDistance = 4000;

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// Myers' greedy forward search on a[lo_a, hi_a) and b[lo_b, hi_b); fills
// orig_of for matched lines of b. False when the distance exceeds the cap.
bool myers(const std::vector<std::string_view> &a, const std::vector<std::string_view> &b,
           int lo_a, int hi_a, int lo_b, int hi_b, std::vector<int> &orig_of) {
  const int n = hi_a - lo_a, m = hi_b - lo_b, max = std::min(n + m, kMaxEditDistance);
  auto eq = [&](int x, int y) { return a[lo_a + x] == b[lo_b + y]; };
  const int off = max + 1;
  std::vector<int> v(2 * max + 3, 0);
  std::vector<std::vector<int>> trace; // trace[d][k + d + 1]: v[k] for k in [-d-1, d+1] before step d
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    trace.emplace_back(v.begin() + off - d - 1, v.begin() + off + d + 2);
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                       : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && eq(x, y))
        ++x, ++y;
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0)
    return false;
  int x = n, y = m;
  for (int d = found; d >= 0; --d) {
    const std::vector<int> &t = trace[d];
    auto at = [&](int k) { return t[k + d + 1]; };
    int k = x - y;
    int prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    int prev_x = at(prev_k), prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y && x > 0 && y > 0) {
      orig_of[lo_b + y - 1] = lo_a + x - 1;
      --x, --y;
    }
    if (d > 0)
      x = prev_x, y = prev_y;
  }
  return true;
}

// For each patched line, the index of the original line it is, or -1.
std::vector<int> align(const std::vector<std::string_view> &a,
                       const std::vector<std::string_view> &b) {
  std::vector<int> orig_of(b.size(), -1);
  int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  int head = 0;
  while (head < n && head < m && a[head] == b[head]) {
    orig_of[head] = head;
    ++head;
  }
  int tail = 0;
  while (tail < n - head && tail < m - head && a[n - 1 - tail] == b[m - 1 - tail]) {
    orig_of[m - 1 - tail] = n - 1 - tail;
    ++tail;
  }
  // Too many differences: the middle stays one hunk (orig_of -1 throughout).
  myers(a, b, head, n - tail, head, m - tail, orig_of);
  return orig_of;
}

struct Hunk {
  int begin, end; // patched lines [begin, end) have no original; begin == end: a removal
};

std::vector<Hunk> hunks_of(const std::vector<int> &orig_of, int original_lines) {
  std::vector<Hunk> out;
  int m = static_cast<int>(orig_of.size()), prev = -1;
  for (int j = 0; j < m;) {
    if (orig_of[j] == prev + 1) {
      prev = orig_of[j++];
      continue;
    }
    int begin = j;
    while (j < m && orig_of[j] < 0)
      ++j;
    out.push_back({begin, j});
    if (j < m)
      prev = orig_of[j++];
  }
  if (prev + 1 < original_lines)
    out.push_back({m, m});
  return out;
}

// --- where a directive is safe -------------------------------------------

enum class Lex { Normal, Block, String, Char };

bool ends_with_backslash(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  return !line.empty() && line.back() == '\\';
}

// The directive name of a preprocessor line ("if", "endif", ...), or "".
std::string_view directive_name(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line[i] != '#')
    return "";
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string_view::npos)
    return "#";
  size_t e = i;
  while (e < line.size() && (std::isalnum(static_cast<unsigned char>(line[e])) || line[e] == '_'))
    ++e;
  return e == i ? std::string_view("#") : line.substr(i, e - i);
}

enum class Cond { None, Open, Switch, Close };

Cond cond_of(std::string_view name) {
  static const std::map<std::string_view, Cond> table = {
      {"if", Cond::Open},      {"ifdef", Cond::Open},   {"ifndef", Cond::Open},
      {"elif", Cond::Switch},  {"elifdef", Cond::Switch}, {"elifndef", Cond::Switch},
      {"else", Cond::Switch},  {"endif", Cond::Close},
  };
  auto it = table.find(name);
  return it == table.end() ? Cond::None : it->second;
}

bool is_boundary(char c) {
  return c == 0 || c == ';' || c == '{' || c == '}' || c == ':' || c == ',';
}

struct LineFacts {
  bool lexically_safe = false; // state at the line's start allows a directive
  bool code = false;           // has tokens and is not a conditional directive
  Cond cond = Cond::None;
  int depth = 0;               // conditional groups open at the line's start
};

std::vector<LineFacts> scan(const std::vector<std::string_view> &lines, SourceKind kind) {
  std::vector<LineFacts> out(lines.size());
  Lex state = Lex::Normal;
  int paren = 0, depth = 0;
  char last = 0;             // last significant character outside comments
  bool in_directive = false; // continuation lines of a preprocessor line
  for (size_t j = 0; j < lines.size(); ++j) {
    std::string_view line = lines[j];
    bool continued = j > 0 && ends_with_backslash(lines[j - 1]);
    LineFacts &f = out[j];
    f.depth = depth;
    f.lexically_safe = state == Lex::Normal && !continued && paren == 0 &&
                       (kind == SourceKind::Assembly || is_boundary(last));
    bool directive = in_directive || (!continued && state == Lex::Normal &&
                                      !directive_name(line).empty());
    if (directive && !in_directive) {
      f.cond = cond_of(directive_name(line));
      if (f.cond == Cond::Open)
        ++depth;
      else if (f.cond == Cond::Close)
        depth = std::max(0, depth - 1);
    }
    bool tokens = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i], next = i + 1 < line.size() ? line[i + 1] : 0;
      switch (state) {
      case Lex::Block:
        if (c == '*' && next == '/')
          state = Lex::Normal, ++i;
        continue;
      case Lex::String:
      case Lex::Char:
        if (c == '\\')
          ++i;
        else if ((state == Lex::String && c == '"') || (state == Lex::Char && c == '\''))
          state = Lex::Normal;
        continue;
      case Lex::Normal:
        break;
      }
      if (c == '/' && next == '*') {
        state = Lex::Block, ++i;
        continue;
      }
      if (c == '/' && next == '/')
        break;
      if (c == ' ' || c == '\t' || c == '\r')
        continue;
      tokens = true;
      if (c == '"')
        state = Lex::String;
      else if (c == '\'' && kind == SourceKind::C)
        state = Lex::Char;
      if (directive)
        continue;
      if (c == '(' || c == '[')
        ++paren;
      else if (c == ')' || c == ']')
        paren = std::max(0, paren - 1);
      last = c;
    }
    bool continues = ends_with_backslash(line);
    if ((state == Lex::String || state == Lex::Char) && !continues)
      state = Lex::Normal; // unterminated: the compiler complains, not us
    f.code = tokens && f.cond == Cond::None;
    if (directive && !continues)
      last = ';';
    in_directive = directive && continues;
  }
  return out;
}

// safe[j]: a directive may go before line j (see the file comment).
std::vector<bool> safe_places(const std::vector<LineFacts> &facts) {
  size_t m = facts.size();
  std::vector<bool> code_after(m + 1, false);
  for (size_t j = m; j-- > 0;)
    code_after[j] = code_after[j + 1] || facts[j].code;
  // Lowest conditional level closed or switched at or below each line.
  std::vector<int> closed_below(m + 1, 1 << 30);
  for (size_t j = m; j-- > 0;) {
    closed_below[j] = closed_below[j + 1];
    const LineFacts &f = facts[j];
    if ((f.cond == Cond::Switch || f.cond == Cond::Close) && code_after[j + 1])
      closed_below[j] = std::min(closed_below[j], f.depth);
  }
  std::vector<bool> safe(m, false);
  for (size_t j = 0; j < m; ++j)
    safe[j] = facts[j].lexically_safe && facts[j].depth < closed_below[j];
  return safe;
}

bool has_code_from(const std::vector<LineFacts> &facts, size_t from) {
  for (size_t j = from; j < facts.size(); ++j)
    if (facts[j].code)
      return true;
  return false;
}

struct Directive {
  int before; // patched line index
  int64_t value;
};

int64_t effective_line(const std::vector<Directive> &dirs, int k) {
  int64_t n = k + 1;
  for (const Directive &d : dirs)
    if (d.before <= k)
      n = d.value + (k - d.before);
  return n;
}

std::vector<LineShift> shifts_of(const std::vector<int> &orig_of,
                                 const std::vector<Directive> &dirs) {
  std::vector<LineShift> out;
  for (int k = 0; k < static_cast<int>(orig_of.size()); ++k) {
    if (orig_of[k] < 0)
      continue;
    int64_t line = orig_of[k] + 1, delta = effective_line(dirs, k) - line;
    if (delta == 0)
      continue;
    if (!out.empty() && out.back().last + 1 == line && out.back().delta == delta)
      out.back().last = line;
    else
      out.push_back({line, line, delta});
  }
  return out;
}

std::string insert_directives(const std::vector<std::string_view> &lines, std::string_view text,
                              const std::vector<Directive> &dirs) {
  bool crlf = !lines.empty() && lines[0].ends_with('\r');
  std::string out;
  out.reserve(text.size() + dirs.size() * 16);
  size_t d = 0;
  for (size_t j = 0; j < lines.size(); ++j) {
    for (; d < dirs.size() && dirs[d].before == static_cast<int>(j); ++d)
      out += fmt::format("#line {}{}\n", dirs[d].value, crlf ? "\r" : "");
    out += lines[j];
    if (j + 1 < lines.size() || text.ends_with('\n'))
      out += '\n';
  }
  return out;
}

} // namespace

SourceKind source_kind(std::string_view path) {
  if (path.ends_with(".c") || path.ends_with(".h"))
    return SourceKind::C;
  if (path.ends_with(".S"))
    return SourceKind::Assembly;
  return SourceKind::Other;
}

LineRewrite add_line_directives(std::string_view original, std::string_view patched,
                                SourceKind kind) {
  LineRewrite r;
  r.text = std::string(patched);
  auto a = split_lines(original), b = split_lines(patched);
  std::vector<int> orig_of = align(a, b);
  std::vector<Hunk> hunks = hunks_of(orig_of, static_cast<int>(a.size()));
  r.hunks = static_cast<int>(hunks.size());
  if (kind == SourceKind::Other) {
    r.kept_reason = "not a C or assembly source";
    r.shifts = shifts_of(orig_of, {});
    return r;
  }
  std::vector<LineFacts> facts = scan(b, kind);
  std::vector<bool> safe = safe_places(facts);
  const int m = static_cast<int>(b.size());
  std::vector<Directive> dirs;
  for (size_t h = 0; h < hunks.size(); ++h) {
    Hunk hunk = hunks[h];
    // Above the hunk: the patched file's own numbers inside it.
    int floor = dirs.empty() ? 0 : dirs.back().before + 1;
    if (hunk.begin < hunk.end && effective_line(dirs, hunk.begin) != hunk.begin + 1)
      for (int j = hunk.begin; j >= floor; --j)
        if (safe[j]) {
          dirs.push_back({j, j + 1});
          break;
        }
    // Below it: the original numbers again.
    int j = hunk.end;
    for (;;) {
      if (h + 1 < hunks.size() && j >= hunks[h + 1].begin) {
        hunk = hunks[++h]; // no safe place before the next hunk: one directive for both
        j = std::max(j, hunk.end);
        continue;
      }
      if (j >= m) {
        if (has_code_from(facts, hunk.end)) {
          r.kept_reason = fmt::format("no safe place for a #line directive below the change at "
                                      "line {}",
                                      hunk.begin + 1);
          r.directives = 0;
          r.shifts = shifts_of(orig_of, {});
          return r;
        }
        break;
      }
      if (orig_of[j] >= 0 && safe[j]) {
        dirs.push_back({j, orig_of[j] + 1});
        break;
      }
      ++j;
    }
  }
  r.directives = static_cast<int>(dirs.size());
  r.rewritten = !dirs.empty();
  r.shifts = shifts_of(orig_of, dirs);
  if (r.rewritten)
    r.text = insert_directives(b, patched, dirs);
  return r;
}

// --- patches and trees ------------------------------------------------------

namespace {

// "a/xen/common/x.c\t2026-..." -> "xen/common/x.c"; "/dev/null" -> "".
std::string patch_path(std::string path) {
  if (auto tab = path.find('\t'); tab != std::string::npos)
    path.erase(tab);
  while (!path.empty() && (path.back() == ' ' || path.back() == '\r'))
    path.pop_back();
  if (path == "/dev/null")
    return "";
  auto slash = path.find('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::vector<PatchedFile> patch_file_pairs(const std::string &patch_text) {
  std::vector<PatchedFile> out;
  auto add = [&](PatchedFile f) {
    if (std::find(out.begin(), out.end(), f) == out.end())
      out.push_back(std::move(f));
  };
  std::istringstream in(patch_text);
  std::string prev, line, rename_from;
  bool git_new = false, git_deleted = false;
  while (std::getline(in, line)) {
    if (line.starts_with("diff --git ")) {
      rename_from.clear();
      git_new = git_deleted = false;
    } else if (line.starts_with("new file mode")) {
      git_new = true;
    } else if (line.starts_with("deleted file mode")) {
      git_deleted = true;
    } else if (line.starts_with("rename from ")) {
      rename_from = line.substr(12);
    } else if (line.starts_with("rename to ") && !rename_from.empty()) {
      add({rename_from, line.substr(10)});
    } else if (prev.starts_with("--- ") && line.starts_with("+++ ")) {
      std::string o = patch_path(prev.substr(4)), n = patch_path(line.substr(4));
      add({git_new ? "" : o, git_deleted ? "" : n});
      git_new = git_deleted = false;
    }
    prev = line;
  }
  // A renamed and edited file shows both "rename" and ---/+++ lines.
  std::vector<PatchedFile> kept;
  for (const PatchedFile &f : out) {
    bool shadowed = std::any_of(out.begin(), out.end(), [&](const PatchedFile &g) {
      return &g != &f && g.new_path == f.new_path && g.old_path != f.old_path &&
             f.old_path == f.new_path;
    });
    if (!shadowed)
      kept.push_back(f);
  }
  return kept;
}

TreeRewrite neutralise_line_shifts(const std::string &patch_text,
                                   const std::string &original_root,
                                   const std::string &build_root) {
  TreeRewrite out;
  std::map<std::string, std::vector<LineShift>> map;
  for (const PatchedFile &f : patch_file_pairs(patch_text)) {
    if (f.new_path.empty()) {
      out.log.push_back(f.old_path + ": removed");
      continue;
    }
    if (f.old_path.empty() || !fs::is_regular_file(original_root + "/" + f.old_path)) {
      out.log.push_back(f.new_path + ": added (its own line numbers)");
      continue;
    }
    std::string target = build_root + "/" + f.new_path;
    if (!fs::is_regular_file(target))
      continue;
    std::string original = lp::read_file(original_root + "/" + f.old_path);
    std::string patched = lp::read_file(target);
    LineRewrite r = add_line_directives(original, patched, source_kind(f.new_path));
    std::string name = f.old_path == f.new_path ? f.new_path : f.old_path + " -> " + f.new_path;
    if (r.rewritten) {
      std::ofstream os(target, std::ios::binary | std::ios::trunc);
      os << r.text;
      if (!os.flush())
        throw FileError(target, "cannot write the #line directives");
    }
    if (!r.kept_reason.empty() && source_kind(f.new_path) != SourceKind::Other)
      out.kept.push_back(f.new_path + " keeps its real line numbers: " + r.kept_reason);
    out.log.push_back(
        r.kept_reason.empty()
            ? fmt::format("{}: {} hunk(s), {} #line directive(s), {} line range(s) still "
                          "shifted",
                          name, r.hunks, r.directives, r.shifts.size())
            : fmt::format("{}: {} hunk(s), keeps its real line numbers: {}", name, r.hunks,
                          r.kept_reason));
    if (f.new_path.starts_with("xen/") && !r.shifts.empty())
      map[f.new_path.substr(4)] = r.shifts;
  }
  for (const auto &[file, shifts] : map)
    for (const LineShift &s : shifts)
      out.line_map += fmt::format("{} {} {} {}\n", file, s.first, s.last, s.delta);
  return out;
}

std::vector<std::string> rewrite_build_copy(const std::string &patch_path,
                                            const std::string &original_root,
                                            const std::string &build_root,
                                            const std::string &out_dir) {
  TreeRewrite r = neutralise_line_shifts(lp::read_file(patch_path), original_root, build_root);
  std::string log;
  for (const std::string &line : r.log)
    log += line + "\n";
  auto bytes = [](const std::string &s) {
    return std::span(reinterpret_cast<const uint8_t *>(s.data()), s.size());
  };
  lp::write_file_atomically(out_dir + "/line-map", bytes(r.line_map));
  lp::write_file_atomically(out_dir + "/line-directives.log", bytes(log));
  return r.kept;
}

} // namespace lp::payload
