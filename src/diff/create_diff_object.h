// create-diff-object as a library call.
//
// The command-line tool, the tests and the benchmark all run the same engine
// through create_diff_object(): it reads original.o, patched.o and xen-syms,
// decides which functions changed, and (when there is something to patch and
// nothing unsupported) writes the diff object. Every decision is reported in
// the returned Result, in the same words the log uses, so callers can assert
// on verdicts without parsing text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lp::elf {
class LinkedImage;
}

namespace lp::diff {

// Exit codes of the command; Result::status holds one of them.
enum Status : int {
  kWritten = 0,     // payload object written
  kError = 1,       // bad input or internal error
  kUnsupported = 2, // unsupported change (see Result::refusals)
  kNoChange = 3,    // nothing to patch
};

struct Options {
  std::string original;
  std::string patched;
  std::string xen_syms;
  std::string output;
  bool debug = false;        // -d: every decision and lookup in the log
  bool resolve = false;      // -r: fill old_addr from xen-syms
  bool explain = false;      // log the first differing instruction of each changed function
  std::string json;          // write a JSON report here (empty: none)
  std::string struct_sizes;  // key=value file with special-section entry sizes (empty: none)
  std::string xen_version;   // "4.20": the target release (empty: detect from xen-syms)
  std::string object_name;   // how log lines name the object (empty: object_log_name(original))
  // Side objects compiled from the same sources with -g, read only for their
  // DWARF types (type_layout.cc). Empty: the objects' own DWARF, if any.
  std::string original_debug;
  std::string patched_debug;
  std::string line_map;      // --line-map: original -> patched lines per file (empty: none)
  // The process ends right after this run (the one-pair command): the object
  // models are left for the kernel to free with the process instead of being
  // taken apart piece by piece. Not set in sanitizer builds, whose leak check
  // would report them.
  bool leave_to_exit = false;
};

struct Refusal {
  std::string reason;   // one line, e.g. "data object counter changed"
  std::string symbol;   // the function or object concerned, if any
  std::string location; // "file.c:12" when debug info names it, else empty
};

// Where the special-section entry sizes came from, and the values used.
struct StructSizes {
  uint32_t alt_instr = 14;
  uint32_t bug_frame = 8;
  uint32_t exception_table_entry = 8;
  uint32_t alt_call = 4;
  std::string source; // "--struct-sizes FILE", "DWARF in xen-syms", "table for Xen 4.17"
};

// A type whose layout differs between the builds (type_layout.cc).
struct LayoutChange {
  std::string type;                   // "struct grant_table", "typedef t", "variable v"
  std::string decl;                   // "common/grant_table.c:80" (patched definition)
  std::string status;                 // "refused", "accepted" (author's marker), "kept"
  std::string details;                // what moved, or old -> new spelling for "kept"
  std::string reason;                 // the marker's reason ("accepted" only)
  std::vector<std::string> functions; // changed and new functions that depend on it
};

// A changed function left out of the payload, and why.
struct IgnoredFunction {
  std::string name;   // Xen's name: name, or file#name for a static
  std::string reason; // e.g. "LIVEPATCH_IGNORE_FUNCTION" or "only __LINE__ moved: ..."
  bool operator==(const IgnoredFunction &) const = default;
};

struct Result {
  Status status = kError;
  std::vector<std::string> changed;   // Xen names (file#name for statics), output order
  std::vector<std::string> added;     // new functions, Xen names
  std::vector<IgnoredFunction> ignored; // ignored by marker or as __LINE__ noise
  std::vector<std::string> hooks;     // hook functions found
  std::vector<Refusal> refusals;
  std::vector<LayoutChange> layout_changes;        // in report order
  std::vector<std::string> possible_layout_changes; // functions (heuristic, no DWARF)
  std::vector<std::string> log;       // every log line, already prefixed "<object name>: "
  std::string error;                  // for kError: the one-line error
  StructSizes sizes;
  std::string xen_version;            // the release the object was built for, e.g. "4.20"
};

// The name log lines give an object at `path`: its path below xen/ when the
// path shows one (".../xen/arch/x86/hvm/dm.o" -> "arch/x86/hvm/dm.o"), else
// `path` as given. Upstream used the basename, which two objects can share.
std::string object_log_name(const std::string &path);

// Linked images (xen-syms) opened once and shared by every run that names
// them: the batch form (batch.h). Safe to use from several threads; an image
// that fails to open fails every run that names it with the same error.
class ImageCache {
public:
  ImageCache();
  ~ImageCache();
  // Throws what LinkedImage::open throws (lp::FileError for bad input).
  const elf::LinkedImage &open(const std::string &path);

private:
  struct Entry;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

// Runs the engine. Never throws for bad input: errors come back as kError
// with Result::error set. If `log_stream` is not null, log lines are also
// written there as they are produced (and flushed before an error). With
// `images`, xen-syms comes from that cache instead of being opened for this
// run alone.
Result create_diff_object(const Options &options, std::FILE *log_stream = nullptr,
                          ImageCache *images = nullptr);

} // namespace lp::diff
