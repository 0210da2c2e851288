// create-diff-object: the command-line face of the diff engine.
//
// Drop-in for livepatch-build-tools' tool of the same name:
//   create-diff-object [-d] [-r] original.o patched.o xen-syms output.o
// Log lines are "<object>: <decision>", the object named by its path below
// xen/ (--object-name, or recognised in original.o's path), not upstream's
// basename, which two changed objects can share. Beyond upstream: --json,
// --explain, --struct-sizes, --xen-version, and the type-layout inputs
// --original-debug/--patched-debug (side objects with DWARF); the options are
// in command_line.cc.
// Exit 0 payload object written, 1 error, 2 unsupported change, 3 no change.
// Log lines go to stdout as they are decided; the error line goes to stderr
// after stdout is flushed.
//
// The batch form, `create-diff-object --batch JOBS [-j N]` (batch.h), runs
// many one-pair jobs in one process: what livepatch-build uses.
#include "diff/batch.h"
#include "diff/command_line.h"
#include "diff/create_diff_object.h"
#include "elf/error.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

int batch_main(int argc, char **argv) {
  std::string jobs_path;
  unsigned workers = 1;
  CLI::App app{"create-diff-object --batch: run the one-pair jobs listed in JOBS (one per line, "
               "arguments separated by tabs; \\t \\n \\\\ escape) in one process, xen-syms read "
               "once, N jobs at a time. Standard output: per job, in order, a line "
               "'== <index> <exit status> <length>' and then that many bytes, what the one-pair "
               "run would have printed. Exit 0 once every job ran, 1 on a bad job file."};
  app.name("create-diff-object");
  app.add_option("--batch", jobs_path, "Job file")->required();
  app.add_option("-j,--jobs", workers, "Jobs run at once (threads)")
      ->check(CLI::Range(1u, 1024u));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  try {
    lp::diff::run_batch(lp::diff::read_batch_jobs(jobs_path), workers, stdout);
  } catch (const lp::FileError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--batch") == 0)
      return batch_main(argc, argv);
  lp::diff::CommandLine c = lp::diff::parse_command_line({argv + 1, argv + argc});
  if (c.exit) {
    std::fputs(c.out.c_str(), stdout);
    std::fputs(c.err.c_str(), stderr);
    return *c.exit;
  }
#ifndef __SANITIZE_ADDRESS__
  c.options.leave_to_exit = true;
#endif
  lp::diff::Result r = lp::diff::create_diff_object(c.options, stdout);
  if (r.status == lp::diff::kError)
    std::fprintf(stderr, "%s\n", r.error.c_str());
  return r.status;
}
