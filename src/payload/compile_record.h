// Compile records: how an object was compiled, kept beside it so that the
// compile can be run again later.
//
// livepatch-gcc writes one for every object it captures that a compiler
// produced, as <capture>/<object>.compile (e.g. xen/common/grant_table.o.compile
// beside the captured xen/common/grant_table.o). livepatch-build replays them
// with `-g` added to get the DWARF types of a build that has none
// (side_compile.h). The original build records every object and every other
// compiler output the same way (build_records.h), for the fast path
// (fast_build.h), which replays the records of the objects a patch affects.
//
// A record is text, one `key value` per line after a versioned first line:
//
//   livepatch-compile-record 1
//   object xen/common/grant_table.o      the object, relative to the build root
//   directory xen                        working directory, relative to the root
//   source common/grant_table.c          the translation unit, as on the command line
//   arg gcc                              argv, one per line, launcher words included
//   arg -m64
//   ...
//   post objcopy                         a second command of the recipe, run
//   post --redefine-sym ...              after the compile (kbuild's objcopy of
//   ...                                  dir/.name.o.tmp into dir/name.o)
//   dep xen/include/xen/lib.h            each file the compiler read (its
//   dep /usr/lib/gcc/.../stddef.h        dependency output), root-relative
//                                        inside the root
//
// Values are relative to the build root where possible, so that one record
// serves both the build copy and the pristine copy of a tree: wherever the
// absolute build root appears in an argument it is written `$ROOT` (a literal
// `$` is `$$`), and `directory` is root-relative unless it lies outside the
// root. Backslashes and newlines in values are escaped as `\\` and `\n`.
// Readers ignore keys they do not know, so later versions can add lines
// (dependencies, environment) without breaking older readers; a different
// major version is refused.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

struct CompileRecord {
  std::string object;    // relative to the build root
  std::string directory; // absolute (the text form is root-relative when it can be)
  std::string source;    // as on the command line ("" if none was recognised)
  std::vector<std::string> argv;
  // The command that turns the compiler's temporary into the object, when
  // the recipe has one (kbuild's objcopy --redefine-sym); empty otherwise.
  std::vector<std::string> post_argv = {};
  // Files the compile read, from its dependency output: relative to the
  // build root when inside it, else absolute. Empty when the command wrote
  // no dependency file (then nothing is known about what it read).
  std::vector<std::string> deps = {};
};

// The record's text, paths made relative to `root` (absolute; a trailing
// slash is ignored).
std::string format_compile_record(const CompileRecord &record, const std::string &root);

// Parses a record's text, resolving `$ROOT` to `root`. `directory` comes back
// absolute. Returns nullopt with `error` set when the text is not a record
// of a version this reader understands.
std::optional<CompileRecord> parse_compile_record(const std::string &text,
                                                  const std::string &root, std::string &error);

// Path of the record that belongs to `object_path` (the object itself, or
// its captured copy).
inline std::string compile_record_path(const std::string &object_path) {
  return object_path + ".compile";
}

// The translation unit of a compiler command: the last argument ending in a
// source suffix (.c, .S, .s, .cc, .cpp) that is not the value of an option;
// "" if none.
std::string compile_source(const std::vector<std::string> &argv);

// The dependency file a compile writes, as named on its command line
// (-MF FILE, -Wp,-MD,FILE, -Wp,-MMD,FILE; -MD/-MMD alone: the output with
// .d for its suffix); "" if it writes none.
std::string dependency_output(const std::vector<std::string> &argv);

// The prerequisites of the first rule of a make-syntax dependency file as
// gcc writes it (continuation lines, `\ ` for a space in a name; -MP's
// phony rules after it are ignored).
std::vector<std::string> parse_dependency_file(const std::string &text);

// True if `source` is C (a .c file): the only language whose types are
// compared. Assembly has none.
bool is_c_source(const std::string &source);

} // namespace lp::payload
