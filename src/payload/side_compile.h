// Side compiles: DWARF types for changed objects of a build that has none.
//
// create-diff-object compares the type layouts of the original and patched
// translation units (issue 11) from DWARF. Xen 4.17's defconfig builds
// without debug info, and -g must not reach the real build (the build-id of
// xen-syms covers its debug sections). So every changed C object without
// DWARF of its own is compiled once more, from its compile record
// (compile_record.h) with `-g` appended, on both sides:
//
//   original: in the pristine copy of the original build, the record's
//             $ROOT mapped to it, and -fdebug-prefix-map=<pristine>=<build>
//             so that its DWARF names the same paths as the patched side;
//   patched:  in the patched build copy, as recorded.
//
// Outputs go to <out>/debug-objects/{original,patched}/<object>, never into
// either tree or the payload. `-fno-var-tracking(-assignments)` follows -g:
// only types are read, and variable location tracking is most of what -g
// costs at -O2.
//
// Cost: a per-advisory patch usually changes one .c file, and its compile
// happens early in the patched make, which then spends most of its time
// linking on one core. So the compiles of objects whose own source the patch
// touches start while make still runs, as soon as livepatch-gcc has written
// their compile record, one at a time on a background thread; the rest run
// in parallel (-j) after make. The command is changed only where it would
// write anything else: dependency outputs (-MD, -MMD, -MF FILE, -MT/-MQ,
// -MP, -Wp,-MD,FILE), -save-temps and -o are dropped, DEPENDENCIES_OUTPUT
// and SUNPRO_DEPENDENCIES are unset; auxiliary outputs gcc derives from -o
// (.su, .gcno, .dwo) land beside the side object. GCC promises that -g does
// not change the code it generates; the side objects are read only for
// their types.
//
// Objects with DWARF already (Xen 4.20+ with CONFIG_DEBUG_INFO) and
// assembly objects (no types) are skipped. A changed object without a
// compile record (made by something other than a compile, e.g. ld -r or
// objcopy from a blob) gets no type check, which the outcome says. A side
// compile that fails stops the run with exit 5 naming the object: skipping
// the type check silently would let exactly the changes it exists to
// refuse through.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace lp::payload {

enum class TypeSource {
  kSideObjects, // compiled again with -g: pass --original-debug/--patched-debug
  kOwnDwarf,    // the objects carry DWARF themselves
  kAssembly,    // no C source, no types
  kNoRecord,    // no compile record: no type information
};

// "side_objects", "own_dwarf", "assembly", "no_record" (the --json report).
const char *type_source_name(TypeSource source);

struct SideCompileRequest {
  std::vector<std::string> objects; // changed objects (compile_side_objects only)
  std::string capture_dir;          // captured patched objects and their records
  std::string original_dir;         // the original objects
  std::string build_root;           // the patched build copy ($ROOT of the records)
  std::string pristine_root;        // the original build's pristine copy
  std::string out_dir;              // side objects go to <out_dir>/{original,patched}/
  std::string log;                  // commands and compiler output, in object order
  unsigned jobs = 1;
};

struct SideCompileOutcome {
  std::string object;
  TypeSource source = TypeSource::kNoRecord;
};

// The side compiles of one run. Not copyable; the destructor waits for a
// compile that is still running.
class SideCompiler {
public:
  explicit SideCompiler(SideCompileRequest request);
  ~SideCompiler();
  SideCompiler(const SideCompiler &) = delete;
  SideCompiler &operator=(const SideCompiler &) = delete;

  // Starts watching for the compile records of `objects` (relative paths)
  // and compiles each, both sides, as soon as its record appears.
  void start_early(std::vector<std::string> objects);

  // Stops the early compiles (waiting for a running one), runs those of
  // `objects` (the changed ones) not done yet, up to `jobs` at once, and
  // writes the log. Throws BuildFailure (exit 5) naming the first of
  // `objects` whose compile failed.
  std::vector<SideCompileOutcome> finish(const std::vector<std::string> &objects);

  struct Job;

private:
  void watch();
  SideCompileRequest r_;
  std::vector<std::string> early_;
  std::vector<std::unique_ptr<Job>> done_; // by the early thread
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// SideCompiler(request).finish(request.objects).
std::vector<SideCompileOutcome> compile_side_objects(const SideCompileRequest &request);

// The object a patched source file compiles to ("xen/common/a.c" ->
// "xen/common/a.o"); "" for files that are not C sources.
std::string object_of_source(const std::string &source);

// Where the side object of `object` is ("original" or "patched" side).
std::string side_object_path(const std::string &out_dir, const std::string &side,
                             const std::string &object);

// The recorded command rewritten for a side compile into `output`: every
// output but the object dropped, `-o output -g` appended, and `extra`
// options after them.
std::vector<std::string> side_compile_argv(const std::vector<std::string> &recorded,
                                           const std::string &output,
                                           const std::vector<std::string> &extra = {});

// True if the ELF file has a .debug_info section.
bool has_dwarf(const std::string &elf_path);

} // namespace lp::payload
