// livepatch-gcc: the compiler/objcopy interposer that captures the objects a
// build produces (reference §2.5).
//
// livepatch-build exports CROSS_COMPILE="<libexec>/livepatch-gcc ", so Xen's
// $(CROSS_COMPILE)gcc runs `livepatch-gcc gcc ...`, $(CROSS_COMPILE)objcopy
// runs `livepatch-gcc objcopy ...` and so on. The wrapper is in place from the
// first, full build: Xen 4.17's kbuild records command lines and would
// rebuild everything if the compiler command changed between builds.
//
// A launcher already in CC composes: `livepatch-gcc ccache gcc ...` or
// `livepatch-gcc distcc gcc ...` finds the compiler word after the launcher.
// The real command always runs with its original arguments; when
// LIVEPATCH_CAPTURE_DIR is set and the output object is not on the ignore
// list, the object is copied under the capture folder at its path relative to
// LIVEPATCH_BUILD_DIR and that path is appended to <capture>/changed_objs.
// A compile (-c) whose object is captured also leaves its compile record
// beside it (compile_record.h), written when the compiler succeeds, keyed by
// the object it becomes: kbuild's `dir/.name.o.tmp` (which objcopy then turns
// into dir/name.o, CONFIG_ENFORCE_UNIQUE_SYMBOLS) belongs to dir/name.o.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp::payload {

enum class ToolKind { Compiler, Objcopy, Other };

struct WrappedCommand {
  ToolKind kind = ToolKind::Other;
  std::optional<std::string> object; // the output object, if any
  // For a compile (-c): the object its output becomes, as written on the
  // command line but without kbuild's temporary naming.
  std::optional<std::string> compiled_object;
};

// Classifies argv (without the wrapper itself) and finds the object it
// writes: gcc's `-o FILE` (with upstream's `.tmp_` handling), objcopy's last
// argument; and for a compile, the object it becomes.
WrappedCommand classify_command(const std::vector<std::string> &argv);

// The file a command writes as written on its command line: the value of
// `-o` (compilers, linkers), objcopy's last argument (its only file when it
// works in place); nullopt if none is recognised.
std::optional<std::string> command_output(const std::vector<std::string> &argv);

// The programs a command starts by name: its launcher words and the tool
// (`ccache gcc -c ...` -> ccache, gcc).
std::vector<std::string> command_programs(const std::vector<std::string> &argv);

// The object files (`*.o`) a command reads: its arguments ending in .o other
// than its output, as written on its command line.
std::vector<std::string> command_object_inputs(const std::vector<std::string> &argv);

// kbuild's dot-target temporary: "dir/.name.o.tmp" is the future
// "dir/name.o"; nullopt for any other name.
std::optional<std::string> object_of_temporary(const std::string &path);

// For objcopy reading the temporary of the object it writes (kbuild's
// `objcopy --redefine-sym ... dir/.name.o.tmp dir/name.o`): that object.
std::optional<std::string> finished_temporary(const std::vector<std::string> &argv);

// True if the object must not be captured (upstream's basename ignore list:
// link intermediates, EFI probe and build-id objects, hidden files, init-only
// objects).
bool is_ignored_object(std::string_view path);

// Path of `object` (relative to `cwd` unless absolute) relative to
// `build_dir`, or nullopt if it lies outside it.
std::optional<std::string> capture_relative_path(const std::string &cwd, const std::string &object,
                                                 const std::string &build_dir);

} // namespace lp::payload
