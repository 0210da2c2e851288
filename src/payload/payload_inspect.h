// What a live-patch payload holds, for people and for machines
// (`livepatch-check --show PAYLOAD [--json] [--xen-syms XEN-SYMS]`).
//
// A payload is an ELF relocatable object whose meaning is spread over
// sections that only make sense together: the name is in .modinfo (or, as
// `xen-livepatch load` has it, the file name), the three build-ids are GNU
// notes in three sections, each function is a 104-byte struct whose names and
// addresses are relocations, hooks are pointer slots with relocations, and a
// signature is either a note or a CMS blob after the ELF data. Answering "what
// does this payload patch, on which Xen, on top of what, signed by whom" used
// to take readelf, objdump and arithmetic. inspect_payload() reads it all into
// one PayloadInfo; format_text() prints it as "key: value" lines (sub-items
// indented by two spaces) and format_json() as one JSON object.
//
// Old addresses: a payload usually leaves old_addr to Xen (0, resolved by name
// at load, or a relocation against an undefined Xen symbol); a prelinked one
// carries the address. Given the xen-syms the payload is for, the address Xen
// will use is looked up and shown too.
#pragma once

#include "elf/image.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

struct InspectedFunction {
  std::string name;                  // Xen's name of the old function ("" if none)
  std::optional<uint64_t> old_addr;  // in the payload (prelinked) or from xen-syms
  std::string old_addr_source;       // "payload", "xen-syms", or "" when unknown
  std::string old_symbol;            // undefined symbol old_addr is relocated against
  uint32_t old_size = 0;
  std::string new_symbol;            // replacement function; "" for a NOP entry
  int64_t new_offset = 0;            // addend of the new_addr relocation
  uint32_t new_size = 0;
  uint8_t version = 0;
  std::vector<uint8_t> expect;       // expected bytes at old_addr, when enabled
};

struct InspectedHook {
  std::string kind;                  // load, unload, preapply, apply, ... postrevert
  std::vector<std::string> targets;  // the function of each slot
};

struct InspectedSection {
  std::string name;
  uint64_t size = 0;
  uint64_t entries = 0; // 0 when the section has no fixed entry size
};

struct InspectedSignature {
  std::string format;    // "note" or "appended"
  uint64_t size = 0;     // signature bytes
  uint64_t covers = 0;   // bytes of the file it covers
  std::string algorithm;
  std::string signer;    // appended: issuer and serial or key id
};

struct PayloadInfo {
  std::string path;
  uint64_t file_size = 0;
  std::string name;
  std::string name_source;   // "modinfo" or "file name"
  std::string xen_version;   // "" when .modinfo does not record it
  std::string build_id;      // hex; "" when missing
  std::string xen_depends;   // hex; "" when missing
  std::string depends;       // hex; "" when missing
  std::vector<InspectedFunction> functions;
  std::vector<InspectedHook> hooks;
  std::vector<InspectedSection> special_sections;
  std::vector<std::string> metadata; // .modinfo strings, in order
  std::vector<InspectedSignature> signatures;
};

// Reads `path`. `xen` (may be null) resolves old addresses left to Xen.
// Throws lp::FileError for a file that is not a readable payload.
PayloadInfo inspect_payload(const std::string &path, const elf::LinkedImage *xen = nullptr);

std::string format_text(const PayloadInfo &info);
std::string format_json(const PayloadInfo &info);

} // namespace lp::payload
