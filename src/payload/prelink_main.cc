// prelink: resolve a linked payload's undefined symbols against xen-syms.
//
//   prelink [-d] input.o output xen-syms
//
// Same interface as upstream's prelink (reference §4); see prelink.h for the
// rules. When the input carries a .note.gnu.build-id it is recomputed over the
// prelinked bytes, so the payload's identity follows its contents.
// Exit: 0 written, 1 error (bad input or an unresolvable symbol; no output).
#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/image.h"
#include "elf/reader.h"
#include "elf/writer.h"
#include "payload/payload_build_id.h"
#include "payload/prelink.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

int main(int argc, char **argv) {
  CLI::App app{"Resolve a live-patch payload's undefined symbols to absolute xen-syms addresses"};
  bool debug = false;
  std::string input, output, xen_syms;
  app.add_flag("-d,--debug", debug, "Print every resolved symbol");
  app.add_option("input", input, "Linked payload object (ld -r output)")->required();
  app.add_option("output", output, "Prelinked payload to write")->required();
  app.add_option("xen-syms", xen_syms, "The hypervisor image the payload is for")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    lp::elf::LinkedImage xen = lp::elf::LinkedImage::open(xen_syms);
    lp::elf::Object obj = lp::elf::read_object(input);
    bool had_build_id = obj.section_named(".note.gnu.build-id") != nullptr;
    auto resolved = lp::payload::prelink(obj, xen);
    if (had_build_id)
      lp::payload::add_build_id_placeholder(obj);
    obj.path = output;
    std::vector<uint8_t> bytes = lp::elf::serialize(obj);
    if (had_build_id)
      lp::payload::seal_build_id(bytes);
    lp::write_file_atomically(output, bytes, 0755);
    if (debug)
      for (const auto &s : resolved)
        fmt::print("{} -> {:#x}\n", s.name, s.address);
    return 0;
  } catch (const lp::FileError &e) {
    fmt::print(stderr, "prelink: {}\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    fmt::print(stderr, "prelink: internal error: {}\n", e.what());
    return 1;
  }
}
