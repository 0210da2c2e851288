// Payload assembly: from the per-object diff results to <name>.livepatch.
//
// The steps, in order, each in its own file:
//   link (payload_link.h) -> strip metadata symbols (metadata_strip.h)
//   -> .livepatch.depends / .livepatch.xen_depends (build_id_note.h)
//   -> .modinfo (modinfo.h) -> optional prelink (prelink.h)
//   -> optional expectations (expectations.h)
//   -> .note.gnu.build-id over the final bytes (payload_build_id.h)
//   -> one atomic write, mode 0755 as upstream's `chmod +x`.
// Every step works on the object model; the output is a pure function of the
// inputs, so identical inputs give byte-identical payloads.
#pragma once

#include "elf/image.h"
#include "payload/expectations.h"
#include "payload/modinfo.h"
#include "payload/prelink.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lp::payload {

struct AssembleRequest {
  std::vector<std::string> objects;  // diff outputs and new objects
  std::string linked_path;           // where `ld -r` writes (kept, like upstream's output.o)
  std::string output;                // the payload
  std::vector<uint8_t> depends;
  std::vector<uint8_t> xen_depends;
  ModInfo modinfo;
  const elf::LinkedImage *prelink_against = nullptr;
  const elf::LinkedImage *expect_against = nullptr;
};

struct AssembleResult {
  std::vector<uint8_t> build_id;
  size_t size = 0;
  std::vector<std::string> functions;  // names in .livepatch.funcs
  std::vector<std::string> stripped;   // metadata symbols removed
  std::vector<PrelinkedSymbol> prelinked;
  std::vector<Expectation> expectations;
};

// Throws lp::FileError on bad input; nothing is written then.
AssembleResult assemble_payload(const AssembleRequest &req);

} // namespace lp::payload
