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

// True if the object must not be captured (upstream's basename ignore list:
// link intermediates, EFI probe and build-id objects, hidden files, init-only
// objects).
bool is_ignored_object(std::string_view path);

// Path of `object` (relative to `cwd` unless absolute) relative to
// `build_dir`, or nullopt if it lies outside it.
std::optional<std::string> capture_relative_path(const std::string &cwd, const std::string &object,
                                                 const std::string &build_dir);

} // namespace lp::payload
