// What differs between the Xen releases a payload can be built for (4.17..4.22).
//
// One table, one place: every stage that must behave differently per Xen
// release asks this table instead of testing version numbers itself. It
// holds what a payload generator must honour (ABI doc §0 and §2):
//
//   funcs layout   4.17/4.18 keep Xen's per-function state (opaque[31] at 33,
//                  applied at 64, patch_offset at 65) inside struct
//                  livepatch_func; 4.19 moved it into the hypervisor and made
//                  bytes 33..71 padding. The generator writes zeros there on
//                  every release.
//   funcs flags    4.18 writes that state without lifting write protection
//                  (8676092a0f without 82182ad7b4), so a read-only
//                  .livepatch.funcs faults at APPLY: 4.18 payloads carry
//                  SHF_ALLOC|SHF_WRITE. 4.17 cleared CR0.WP while patching,
//                  and 4.19+ never write it: SHF_ALLOC only, as upstream's
//                  tools and Xen's own tests do.
//   loader order   4.20 checks .livepatch.xen_depends before anything else
//                  (fa49f4be41); earlier releases after prepare_payload.
//   sections       4.21 adds .alt_call_sites (4-byte entries).
//   entry sizes    alt_instr 14, bug_frame 8, exception_table_entry 8 on
//                  every release here; alt_call 4 from 4.21.
//   sysctl         XEN_SYSCTL_INTERFACE_VERSION 0x15 up to 4.20, 0x16 from 4.21.
//   build defaults CONFIG_DEBUG_INFO defaults to y with LIVEPATCH from 4.20
//                  (a 22 MB xen-syms with DWARF); -Wa,-mx86-used-note=no with
//                  LIVEPATCH from 4.20; -malign-data=abi in 4.22 (4.21's
//                  arch.mk not seen: listed from 4.22). All releases build
//                  with -fcf-protection=branch -mmanual-endbr when
//                  CONFIG_XEN_IBT (ENDBR64 only on cf_check functions, which
//                  the diff engine reads from xen-syms) and -fno-jump-tables;
//                  CONFIG_FUNCTION_ALIGNMENT (16 on x86, 4.20+) aligns only
//                  assembly functions, so C objects are laid out alike.
//
// Stable point releases later received the 4.19 layout change (Debian 12's
// 4.17.5 has fstate and relaxed page permissions); the rules above are those
// of each branch's first release, which are safe on every later one too.
//
// The target release is detected from the tree (xen/Makefile XEN_VERSION,
// XEN_SUBVERSION) and from xen-syms (the immediate returned by
// xen_major_version() and xen_minor_version(), which every Xen since 3.x
// compiles to `mov $imm32,%eax`), and the two must agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp::elf {

class LinkedImage;

struct XenVersion {
  int major = 0;
  int minor = 0;
  std::string str() const; // "4.20"
  auto operator<=>(const XenVersion &) const = default;
};

// Special-section entry sizes in bytes (0: the section does not exist).
struct XenEntrySizes {
  uint32_t alt_instr = 14;
  uint32_t bug_frame = 8;
  uint32_t exception_table_entry = 8;
  uint32_t alt_call = 0;
};

struct XenRelease {
  XenVersion version;
  bool funcs_state_in_payload; // Xen writes applied/opaque/patch_offset into livepatch_func
  bool funcs_writable;         // .livepatch.funcs must be SHF_WRITE
  bool build_id_first;         // .livepatch.xen_depends checked before any section work
  bool alt_call_sites;         // .alt_call_sites is processed at load
  uint32_t sysctl_interface_version;
  XenEntrySizes sizes;
  bool debug_info_default;     // CONFIG_DEBUG_INFO=y by default with CONFIG_LIVEPATCH
  const char *extra_cflags;    // flags the release adds with CONFIG_LIVEPATCH (informational)
};

// Every supported release, oldest first.
const std::vector<XenRelease> &xen_releases();

// The release `v` belongs to, or nullptr if unsupported.
const XenRelease *xen_release(XenVersion v);

// The release assumed when nothing tells: Xen 4.17 (Debian 12).
const XenRelease &default_xen_release();

// "4.20" or "4.20.4" -> {4, 20}; nullopt if malformed.
std::optional<XenVersion> parse_xen_version(std::string_view text);

// "4.17, 4.18, 4.19, 4.20, 4.21, 4.22"
std::string supported_xen_versions();

// XEN_VERSION / XEN_SUBVERSION from the text of xen/Makefile; nullopt if
// either is missing or not a number.
std::optional<XenVersion> xen_version_from_makefile(const std::string &text);

// The version xen-syms says it is, from xen_major_version() and
// xen_minor_version(); nullopt if either function is missing or does not
// start (after an optional ENDBR64) with `mov $imm32,%eax`.
std::optional<XenVersion> xen_version_from_image(const LinkedImage &xen);

// Bytes 33..71 of each 104-byte struct livepatch_func: padding on 4.19+, Xen's
// own state on 4.17/4.18. A payload leaves them zero on every release.
inline constexpr uint32_t kFuncsStateBegin = 33;
inline constexpr uint32_t kFuncsStateEnd = 72;

} // namespace lp::elf
