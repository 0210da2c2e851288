// create-diff-object: the command-line face of the diff engine.
//
// Drop-in for livepatch-build-tools' tool of the same name:
//   create-diff-object [-d] [-r] original.o patched.o xen-syms output.o
// Log lines are "<object>: <decision>", the object named by its path below
// xen/ (--object-name, or recognised in original.o's path), not upstream's
// basename, which two changed objects can share. Beyond upstream: --json,
// --explain, --struct-sizes, --xen-version, and the type-layout inputs
// --original-debug/--patched-debug (side objects with DWARF).
// Exit 0 payload object written, 1 error, 2 unsupported change, 3 no change.
// Log lines go to stdout as they are decided; the error line goes to stderr
// after stdout is flushed.
#include "diff/create_diff_object.h"
#include "elf/xen_versions.h"

#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char **argv) {
  lp::diff::Options o;
  CLI::App app{"create-diff-object: compare an original and a patched Xen object and write an "
               "object with the changed and new functions and their .livepatch.funcs entries.\n"
               "Exit status: 0 written, 1 error, 2 unsupported change, 3 no change."};
  app.add_flag("-d,--debug", o.debug, "Log every unit, its key and hash");
  app.add_flag("-r,--resolve", o.resolve, "Fill old_addr from xen-syms");
  app.add_option("--json", o.json, "Write a JSON report of the verdict to FILE");
  app.add_flag("--explain", o.explain,
               "Show the first differing instruction of each changed function, the file:line "
               "its BUG/WARN/ASSERT will report, and why functions were left out");
  app.add_option("--line-map", o.line_map,
                 "Text file of '<file> <old_first> <old_last> <delta>' records: how the patch "
                 "moved source lines (livepatch-build writes it); confirms __LINE__-only "
                 "changes exactly");
  app.add_option("--struct-sizes", o.struct_sizes,
                 "key=value file with alt_instr, bug_frame, exception_table_entry, alt_call sizes");
  app.add_option("--xen-version", o.xen_version,
                 "Target Xen release MAJOR.MINOR (" + lp::elf::supported_xen_versions() +
                     "); default: what xen-syms says, else 4.17");
  app.add_option("--object-name", o.object_name,
                 "Name of the object in log lines (default: its path below xen/ when the path "
                 "shows one, else the path as given)");
  app.add_option("--original-debug", o.original_debug,
                 "Original object compiled again with -g (read only for its DWARF types)");
  app.add_option("--patched-debug", o.patched_debug,
                 "Patched object compiled again with -g (read only for its DWARF types)");
  app.add_option("original", o.original, "Original object")->required();
  app.add_option("patched", o.patched, "Patched object")->required();
  app.add_option("xen-syms", o.xen_syms, "The xen-syms the original objects were linked into")
      ->required();
  app.add_option("output", o.output, "Output object")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  lp::diff::Result r = lp::diff::create_diff_object(o, stdout);
  if (r.status == lp::diff::kError)
    std::fprintf(stderr, "%s\n", r.error.c_str());
  return r.status;
}
