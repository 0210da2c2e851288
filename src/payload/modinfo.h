// The payload's .modinfo: NUL-terminated key=value strings that Xen prints
// when the payload is applied and returns to `xen-livepatch list`.
//
// It records what an operator needs to trace a payload running on a host back
// to its origin: the payload name, the SHA-256 of the source patch it was
// built from, the tool and version that built it, the build-id and version
// of the Xen it targets (`livepatch-check --show` prints them); then one
// `layout_change=<type>: <reason>` per type-layout change the patch author
// declared safe (layout_report.h), sorted. Keys are fixed and emitted in this
// order, so the section is a pure function of its inputs. Xen requires the section to be SHF_ALLOC and
// to end with a NUL; an empty .modinfo is never emitted.
#pragma once

#include "elf/object.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lp::payload {

struct ModInfo {
  std::string name;
  std::string patch_sha256; // hex
  std::string tool;         // e.g. "xen-livepatch-tools 0.1.0"
  std::string xen_build_id; // hex
  std::string xen_version;  // "4.17" from xen/Makefile; "" when unknown (not emitted)
  std::vector<std::string> layout_changes; // "<type>: <reason>", sorted
};

std::vector<std::pair<std::string, std::string>> modinfo_entries(const ModInfo &info);
std::vector<uint8_t> modinfo_bytes(const ModInfo &info);

// Sets .modinfo (SHT_PROGBITS, SHF_ALLOC, align 1). Strings already present
// (a patch author's own MODULE_INFO-style entries, merged by the link) are
// kept, ours appended after them.
void add_modinfo(elf::Object &obj, const ModInfo &info);

// Parses NUL-separated key=value strings (for tests and the JSON summary).
std::vector<std::pair<std::string, std::string>> parse_modinfo(std::span<const uint8_t> bytes);

} // namespace lp::payload
