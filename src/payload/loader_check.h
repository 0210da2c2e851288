// The offline loader check at the end of livepatch-build: which
// livepatch-check command line judges the payload that will ship.
//
// The check runs the hypervisor's own loader (hypervisor/check) on the
// payload. UPLOAD alone cannot see a wrong stacking order: .livepatch.depends
// is only compared at APPLY, against Xen's build-id when nothing is applied or
// against the payload on top of the stack. So the check also runs APPLY,
// against the payloads the user names as loaded below this one (--loaded,
// bottom of the stack first, each uploaded and applied in turn as on a live
// system):
//
//   --loaded given                 APPLY on top of them: a payload whose
//                                  --depends is not the top one's build-id
//                                  is refused (EINVAL), as Xen would;
//   --depends is xen-syms' build-id APPLY on an empty stack;
//   --depends names a payload that  APPLY with NODEPS (expectations and the
//   is not given with --loaded     patching are still checked) and a note that
//                                  the stacking order was not checked.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

struct LoaderCheck {
  std::vector<std::string> argv; // livepatch-check and its arguments
  std::string note;              // "" or one line for the user: what was not checked
};

// `xen_version` is the target release ("4.17"); `xen_build_id` and `depends` are hex; `loaded` are payload files, bottom of
// the stack first.
LoaderCheck loader_check(const std::string &tool, const std::string &xen_syms,
                         const std::string &xen_version, const std::string &xen_build_id, const std::string &depends,
                         const std::vector<std::string> &loaded, const std::string &payload);

} // namespace lp::payload
