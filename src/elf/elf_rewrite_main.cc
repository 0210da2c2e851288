// elf-rewrite: read an ELF object into the model and write it back.
//
// A diagnostic and a proof of the object model: what comes out is what every
// stage of the toolchain would write for the same input. Bad input prints one
// line "<file>: <what is wrong>" and exits 1 without creating the output.
#include "elf/error.h"
#include "elf/reader.h"
#include "elf/writer.h"
#include "lp_version.h"

#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char **argv) {
  CLI::App app{"Read an x86-64 ELF object into the live-patch object model and write it back "
               "as a relocatable object (ET_REL). Exit status: 0 written, 1 error.",
               "elf-rewrite"};
  app.set_version_flag("--version", lp::version_text("elf-rewrite"));
  std::string in, out;
  app.add_option("IN", in, "input ELF file")->required();
  app.add_option("OUT", out, "output relocatable object")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1; // --help is success; a usage error is exit 1
  }
  try {
    lp::elf::write_object(lp::elf::read_object(in), out);
  } catch (const lp::FileError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
