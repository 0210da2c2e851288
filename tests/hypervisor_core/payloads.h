// The test payloads, modelled on Xen's xen/test/livepatch set (ABI doc §6).
// Each is built once per process by Lab; names of new symbols carry the
// payload's name so that payloads loaded together do not collide.
#pragma once

#include <string>

namespace lp::hyptest {

std::string hello_payload();        // xen_extra_version -> "Hello World"; alternatives,
                                    // ex_table (2 unsorted entries), bug frame, .modinfo
std::string warn_payload();         // a WARN frame (.bug_frames.1, 8 bytes) and an ASSERT
                                    // frame (.bug_frames.3, 16 bytes) in warn_sites
std::string bye_payload();          // stacked on hello (depends = hello's build-id)
std::string replace_payload();      // old_addr 0: resolved by name at load
std::string nop_payload();          // NOPs the first 5 bytes (the mov) of xen_minor_version
std::string cf_payload();           // patches xen_cf_version (starts with ENDBR64)
std::string hooks_payload();        // 2 load, 1 unload, pre/post apply/revert hooks
std::string action_hooks_payload(); // apply/revert action hooks, one func
std::string action_nofunc_payload();// apply/revert action hooks, no .livepatch.funcs
std::string data_payload();         // has a non-empty .data: not re-appliable
std::string expect_payload(bool ok);// expectation of 8 bytes at xen_extra_version
std::string xen_dup_payload();      // a new symbol named like a hypervisor symbol
std::string no_xen_depends_payload();

} // namespace lp::hyptest
