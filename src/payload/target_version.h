// Which Xen release livepatch-build builds the payload for.
//
// Three witnesses, which must agree when they speak: --xen-version (the
// user), xen/Makefile's XEN_VERSION and XEN_SUBVERSION (the tree) and
// xen_major_version()/xen_minor_version() in xen-syms (the image the
// payload is checked against). A release outside the table of
// elf/xen_versions.h is refused; with no witness the release is Xen 4.17.
// The release is then handed to create-diff-object and livepatch-check as
// --xen-version, so the .livepatch.funcs flags, the special-section sizes and
// the loader rules all follow the same decision.
#pragma once

#include "elf/xen_versions.h"

#include <string>

namespace lp::payload {

struct TargetVersion {
  const elf::XenRelease *release = nullptr;
  std::string how; // "xen/Makefile and xen-syms", "--xen-version", "default", ...
};

// `option` is --xen-version ("" if absent), `xen_dir` the tree's xen/ folder
// ("" to skip), `xen_syms` the image ("" to skip). Throws lp::FileError
// naming the witness that disagrees or the unsupported release.
TargetVersion detect_target_version(const std::string &option, const std::string &xen_dir,
                                    const std::string &xen_syms);

} // namespace lp::payload
