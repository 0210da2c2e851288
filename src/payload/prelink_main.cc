// prelink: resolve a linked payload's undefined symbols against xen-syms.
//
//   prelink [-d] input.o output xen-syms
//
// Same interface as upstream's prelink (reference §4); see prelink.h for the
// rules. When the input carries a .note.gnu.build-id it is recomputed over the
// prelinked bytes, so the payload's identity follows its contents.
// A signed input is refused: prelinking changes the bytes the signature
// covers, so the output would carry a void signature. Prelink first, then sign.
// Exit: 0 written, 1 error (bad input, a signed input, or an unresolvable
// symbol; no output).
#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/image.h"
#include "elf/reader.h"
#include "elf/writer.h"
#include "payload/payload_build_id.h"
#include "payload/prelink.h"
#include "lp_version.h"
#include "sign/sign.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace {

// Throws FileError when `input` carries a signature of either format.
void refuse_signed(const std::string &input) {
  std::string text = lp::read_file(input);
  std::span bytes(reinterpret_cast<const uint8_t *>(text.data()), text.size());
  auto signatures = lp::sign::show_payload(bytes, input);
  if (signatures.empty())
    return;
  throw lp::FileError(
      input, fmt::format("the payload is signed ({} signature); prelinking would change the "
                         "signed bytes and void it: prelink the unsigned payload, then sign it",
                         lp::sign::format_name(signatures.front().format)));
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Resolve a live-patch payload's undefined symbols to absolute xen-syms addresses",
               "prelink"};
  app.set_version_flag("--version", lp::version_text("prelink"));
  bool debug = false;
  std::string input, output, xen_syms;
  app.add_flag("-d,--debug", debug, "Print every resolved symbol");
  app.add_option("input", input, "Linked payload object (ld -r output)")->required();
  app.add_option("output", output, "Prelinked payload to write")->required();
  app.add_option("xen-syms", xen_syms, "The hypervisor image the payload is for")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    lp::elf::LinkedImage xen = lp::elf::LinkedImage::open(xen_syms);
    refuse_signed(input);
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
