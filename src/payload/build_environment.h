// The environment of the original build, kept with its records, and what of
// it reaches a build.
//
// make turns every environment variable into a make variable, so an
// incremental make evaluates the tree's makefiles with today's environment:
// a variable a makefile reads (the in-tree hypervisor's LIVEPATCH_INCLUDE,
// Xen's XEN_TARGET_ARCH or EXTRA_CFLAGS_XEN_CORE) changes the commands make
// runs, which the original build's records do not show. The fast path
// replays those records, so it is only equivalent while every variable the
// build can read has the value it had then. livepatch-build writes the
// environment it gives the original build's make into <records>/environment;
// the fast path compares it with the current one and falls back to make
// (build_path.h) when a variable differs that either the compiler reads
// (PATH, CPATH, SOURCE_DATE_EPOCH, ...: one table) or a makefile of the tree
// names, except SHELL (make never takes it from the environment) and bash's
// `_` (each command's path; `_` in a makefile is a literal). Other
// differences (a CI job's id, the terminal, the login shell) change nothing.
// PATH is compared by what it does: two values that find the same file for
// every program the build's recorded commands start (and for `as` and `ld`,
// which gcc looks up in PATH too) are alike, whatever else they list (a
// shell that adds ~/.cargo/bin, another that does not).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lp::payload {

using Environment = std::map<std::string, std::string>;

// This process's environment, without what livepatch-build sets itself for
// each build (LIVEPATCH_CAPTURE_DIR, _BUILD_DIR, _RECORD_DIR, MAKEFLAGS,
// MFLAGS, MAKELEVEL).
Environment build_environment();

// One NAME=VALUE per line (newlines in values escaped), sorted; and back.
std::string format_environment(const Environment &env);
Environment parse_environment(const std::string &text);

// Names whose value differs (or that only one side has), sorted.
std::vector<std::string> environment_differences(const Environment &then, const Environment &now);

// The file `program` runs as under `path` (a PATH value): the first
// executable of that name in its folders, canonical; "" if none. A name with
// a slash is itself.
std::string resolve_program(const std::string &program, const std::string &path);

// True if every one of `programs` (and `as`, `ld`) resolves to the same file
// under both PATH values.
bool path_resolves_alike(const std::string &then, const std::string &now,
                         const std::vector<std::string> &programs);

// The first of `names` a build reads: a compiler variable, or a name that
// appears as a word in a makefile (Makefile*, Kbuild, *.mk) of `tree`'s xen/
// or of its root and config/ (what `make -C xen` reads). "" if none.
std::string first_read_by_build(const std::vector<std::string> &names, const std::string &tree);

} // namespace lp::payload
