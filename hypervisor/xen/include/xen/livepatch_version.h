/*
 * The Xen release whose live-patch loader rules the core follows.
 *
 * The core is one loader that behaves like the loader of the Xen release it
 * is told to be (4.17 .. 4.22). What differs, in the order the loader meets
 * it (ABI doc §0, checked against the 4.17.5, 4.20.4 and 4.22.0 sources):
 *
 *   build_id_first          4.20+ check .livepatch.xen_depends right after
 *                           the ELF checks; earlier releases after
 *                           prepare_payload, so another error wins.
 *   funcs_must_be_writable  4.18 writes per-function state into
 *                           .livepatch.funcs without lifting write
 *                           protection; a read-only section faults at APPLY.
 *                           This loader refuses it at upload (-EINVAL).
 *   funcs_state_in_payload  4.17/4.18 keep applied (byte 64) in each entry
 *                           and skip an entry already marked applied; this
 *                           loader refuses a set marker (-EINVAL). 4.19+ have
 *                           padding at 33..71 (Xen ignores it); this loader
 *                           refuses a non-zero byte there (-EINVAL), the mark
 *                           of a payload made for the older layout.
 *   alt_call_sites          4.21+ rewrite .alt_call_sites at load; earlier
 *                           releases treat it as ordinary data.
 *   sysctl_interface_version  0x15 up to 4.20, 0x16 from 4.21.
 *
 * The refusals marked "this loader" are stricter than Xen, where Xen would
 * fault or silently misbehave. The toolchain's own table is
 * src/elf/xen_versions.h; a unit test keeps the two in agreement.
 */
#ifndef XEN_LIVEPATCH_VERSION_H
#define XEN_LIVEPATCH_VERSION_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lp_xen_rules {
    unsigned int major, minor;
    bool funcs_state_in_payload;
    bool funcs_must_be_writable;
    bool build_id_first;
    bool alt_call_sites;
    uint32_t sysctl_interface_version;
};

/* Follow the rules of Xen major.minor: 0, or -EINVAL (22) if not in the table. */
int livepatch_set_xen_version(unsigned int major, unsigned int minor);

/* The rules in force (Xen 4.17's until livepatch_set_xen_version succeeds). */
const struct lp_xen_rules *livepatch_xen_rules(void);

#ifdef __cplusplus
}
#endif

#endif /* XEN_LIVEPATCH_VERSION_H */
