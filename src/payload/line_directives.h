// Line-neutral patched builds: #line directives after each hunk.
//
// A patch that adds or removes lines moves the __LINE__ of everything below
// it, and every function below that passes __LINE__ to printk() or
// domain_crash() then compiles to different bytes and would be dragged into
// the payload. Like Linux's klp-build, livepatch-build rewrites the patched
// files of its build copy (never the user's tree) so that lines below a hunk
// keep their original numbers. See line_directives.cc for where a directive
// may go, and docs/line-numbers.md for what a BUG/WARN reports afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

// Original lines first..last of a file now carry line + delta (the
// --line-map record of create-diff-object).
struct LineShift {
  int64_t first = 0, last = 0, delta = 0;
  bool operator==(const LineShift &) const = default;
};

enum class SourceKind { C, Assembly, Other };

// Which files take directives: C sources and headers, and .S (run through cpp).
SourceKind source_kind(std::string_view path);

struct LineRewrite {
  std::string text;              // the patched text, with directives when rewritten
  bool rewritten = false;        // at least one directive inserted
  std::string kept_reason;       // non-empty: the file keeps its real numbers, and why
  std::vector<LineShift> shifts; // how original lines moved in `text`, for the line map
  int hunks = 0;
  int directives = 0;
};

// Rewrites the patched text of one file given its original text.
LineRewrite add_line_directives(std::string_view original, std::string_view patched,
                                SourceKind kind);

// One file a patch touches: old and new path relative to the tree's root
// (after -p1), "" for /dev/null.
struct PatchedFile {
  std::string old_path, new_path;
  bool operator==(const PatchedFile &) const = default;
};

// The files of a unified or git patch, renames included, in patch order.
std::vector<PatchedFile> patch_file_pairs(const std::string &patch_text);

struct TreeRewrite {
  std::string line_map;          // --line-map text (paths relative to xen/)
  std::vector<std::string> log;  // one line per file touched by the patch
  std::vector<std::string> kept; // "<file> keeps its real line numbers: <reason>"
};

// Rewrites, in `build_root`, every patched file of the patch whose original
// is in `original_root`, and returns the line map and what was done.
TreeRewrite neutralise_line_shifts(const std::string &patch_text,
                                   const std::string &original_root,
                                   const std::string &build_root);

// livepatch-build's step: rewrites the build copy `build_root` for the patch
// at `patch_path` (originals in `original_root`), writes `<out_dir>/line-map`
// (create-diff-object --line-map) and `<out_dir>/line-directives.log`, and
// returns the lines to show the user: one per file keeping its real numbers.
std::vector<std::string> rewrite_build_copy(const std::string &patch_path,
                                            const std::string &original_root,
                                            const std::string &build_root,
                                            const std::string &out_dir);

} // namespace lp::payload
