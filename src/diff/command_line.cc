// create-diff-object's options (see command_line.h), through CLI11.
#include "diff/command_line.h"

#include "elf/xen_versions.h"
#include "lp_version.h"

#include <CLI/CLI.hpp>
#include <sstream>

namespace lp::diff {
namespace {

void add_options(CLI::App &app, Options &o) {
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
                 "Target Xen release MAJOR.MINOR (" + elf::supported_xen_versions() +
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
}

} // namespace

// The option set bound to `bound`, which parse() resets before each use.
struct CommandLineParser::Impl {
  Options bound;
  CLI::App app{"create-diff-object: compare an original and a patched Xen object and write an "
               "object with the changed and new functions and their .livepatch.funcs entries.\n"
               "Exit status: 0 written, 1 error, 2 unsupported change, 3 no change.\n"
               "Batch form (one process, xen-syms read once, objects diffed in parallel): "
               "create-diff-object --batch JOBS [-j N]; see --batch --help."};

  Impl() {
    app.name("create-diff-object");
    app.set_version_flag("--version", version_text("create-diff-object"));
    add_options(app, bound);
  }
};

CommandLineParser::CommandLineParser() : impl_(std::make_unique<Impl>()) {}
CommandLineParser::~CommandLineParser() = default;

CommandLine CommandLineParser::parse(const std::vector<std::string> &args) {
  Impl &p = *impl_;
  p.bound = Options{};
  p.app.clear();
  CommandLine c;
  std::vector<const char *> argv = {"create-diff-object"};
  for (const std::string &a : args)
    argv.push_back(a.c_str());
  try {
    p.app.parse(static_cast<int>(argv.size()), argv.data());
    c.options = p.bound;
  } catch (const CLI::ParseError &e) {
    std::ostringstream out, err;
    int rc = p.app.exit(e, out, err);
    c.exit = rc == 0 ? 0 : 1;
    c.out = out.str();
    c.err = err.str();
  }
  return c;
}

CommandLine parse_command_line(const std::vector<std::string> &args) {
  return CommandLineParser().parse(args);
}

} // namespace lp::diff
