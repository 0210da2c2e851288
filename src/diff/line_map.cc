// Line maps: where each original source line of a patched build ended up.
//
// livepatch-build knows exactly how a patch moved lines: it has the hunks, and
// it neutralises most of the movement at the source with #line directives
// (src/payload/line_directives.cc). What movement remains (the few lines
// between a hunk's last change and the directive, or a whole file that could
// not take a directive) it writes as a line map and passes with --line-map,
// so that create-diff-object can tell a __LINE__ immediate that only moved
// from a real change exactly, even where no bug frame is near to confirm it.
//
// Format (docs/ARCHITECTURE.md, ../notes/interfaces.md), one record a line:
//   <file> <old_first> <old_last> <delta>
// original lines old_first..old_last of <file> now carry line + delta. Lines
// no record covers kept their numbers. <file> is spelled as in __FILE__,
// relative to xen/; a leading "./" is not significant. Blank lines and lines
// starting with '#' are comments. A malformed or overlapping record is bad
// input: one error naming the file, the line and the problem.
#include "diff/engine.h"

#include "elf/atomic_file.h"
#include "elf/error.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <sstream>

namespace lp::diff {

std::string normal_source_path(std::string_view path) {
  while (path.starts_with("./"))
    path.remove_prefix(2);
  return std::string(path);
}

namespace {

bool parse_int(const std::string &word, int64_t &out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size();
}

} // namespace

LineMap read_line_map(const std::string &path) {
  LineMap map;
  std::istringstream in(lp::read_file(path));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream words(line);
    std::string file, first, last, delta, extra;
    if (!(words >> file) || file.starts_with("#"))
      continue;
    LineMap::Record r;
    if (!(words >> first >> last >> delta) || (words >> extra) || !parse_int(first, r.first) ||
        !parse_int(last, r.last) || !parse_int(delta, r.delta))
      throw FileError(path, fmt::format("line {}: expected '<file> <old_first> <old_last> "
                                        "<delta>'",
                                        n));
    if (r.first < 1 || r.last < r.first || r.first + r.delta < 1)
      throw FileError(path, fmt::format("line {}: bad range {}..{} {:+}", n, r.first, r.last,
                                        r.delta));
    map.files[normal_source_path(file)].push_back(r);
  }
  for (auto &[file, records] : map.files) {
    std::sort(records.begin(), records.end(),
              [](const LineMap::Record &a, const LineMap::Record &b) { return a.first < b.first; });
    for (size_t i = 1; i < records.size(); ++i)
      if (records[i].first <= records[i - 1].last)
        throw FileError(path, fmt::format("{}: overlapping ranges {}..{} and {}..{}", file,
                                          records[i - 1].first, records[i - 1].last,
                                          records[i].first, records[i].last));
  }
  return map;
}

int64_t LineMap::patched_line(const std::string &file, int64_t line) const {
  auto it = files.find(normal_source_path(file));
  if (it == files.end())
    return line;
  const auto &records = it->second;
  auto r = std::upper_bound(records.begin(), records.end(), line,
                            [](int64_t l, const Record &x) { return l < x.first; });
  if (r == records.begin())
    return line;
  --r;
  return line <= r->last ? line + r->delta : line;
}

} // namespace lp::diff
