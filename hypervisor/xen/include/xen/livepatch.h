/*
 * The live-patch subsystem's interface to the rest of the hypervisor.
 *
 * These calls mirror Xen's XEN_SYSCTL_livepatch_op sub-ops (ABI doc §5.1):
 * UPLOAD checks and loads a payload (§4), GET and LIST report state, ACTION
 * schedules UNLOAD/REVERT/APPLY/REPLACE and returns at once (§5.2). The
 * scheduled action runs when every CPU has called check_for_livepatch_work()
 * from its idle loop with an unwound stack (§5.3). All calls return 0 or a
 * negative Xen errno (values below, identical to Xen's and to Linux's).
 *
 * Strings are NUL-terminated; a name's "size" in Xen's sense is strlen+1 and
 * must be 1..128 (-EINVAL otherwise).
 */
#ifndef XEN_LIVEPATCH_H
#define XEN_LIVEPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "xen/livepatch_payload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Xen errno values used by the subsystem (ABI doc appendix B). */
#define LP_EPERM 1
#define LP_ENOENT 2
#define LP_E2BIG 7
#define LP_EAGAIN 11
#define LP_ENOMEM 12
#define LP_EACCES 13
#define LP_EFAULT 14
#define LP_EBUSY 16
#define LP_EEXIST 17
#define LP_EINVAL 22
#define LP_ENOSPC 28
#define LP_ERANGE 34
#define LP_ENOSYS 38
#define LP_ENODATA 61
#define LP_EOVERFLOW 75
#define LP_EOPNOTSUPP 95
#define LP_ENOBUFS 105

#define LIVEPATCH_STATE_CHECKED 1
#define LIVEPATCH_STATE_APPLIED 2

#define LIVEPATCH_ACTION_UNLOAD 1
#define LIVEPATCH_ACTION_REVERT 2
#define LIVEPATCH_ACTION_APPLY 3
#define LIVEPATCH_ACTION_REPLACE 4

#define LIVEPATCH_FLAG_FORCE (1u << 0)          /* upload flags */
#define LIVEPATCH_ACTION_APPLY_NODEPS (1u << 0) /* action flags */

#define LIVEPATCH_MAX_SIZE (2u * 1024 * 1024)
#define LIVEPATCH_DEFAULT_TIMEOUT_NS 30000000u

/*
 * Boot-time set-up: loads the built-in signing key when the signature mode
 * is not "off". Returns 0, or -EINVAL if the key blob is malformed (the
 * subsystem then refuses every upload in enforce mode).
 */
int livepatch_init(void);

/* UPLOAD (§4). flags: LIVEPATCH_FLAG_FORCE or 0. 0 or -errno. */
int livepatch_upload(const char *name, const void *buf, uint64_t size, uint32_t flags);

/* GET: 0 with state and rc filled in, or -ENOENT / -EINVAL. */
int livepatch_get(const char *name, uint32_t *state, int32_t *rc);

/*
 * LIST, as an iteration over payloads in upload order. livepatch_list_count
 * returns the number of payloads and stores the list version (bumped on
 * every upload and unload) in *version if non-NULL. livepatch_list_entry
 * fills the fields of entry idx (any pointer may be NULL); meta is the raw
 * .modinfo (NUL-separated, NUL-terminated) or NULL with *meta_len 0.
 * Returns 0 or -EINVAL when idx >= count.
 */
uint32_t livepatch_list_count(uint32_t *version);
int livepatch_list_entry(uint32_t idx, const char **name, uint32_t *state, int32_t *rc,
                         const char **meta, uint32_t *meta_len);

/*
 * ACTION (§5.2). cmd: LIVEPATCH_ACTION_*; timeout_ns 0 means 30 ms; flags:
 * LIVEPATCH_ACTION_APPLY_NODEPS. Returns the immediate result; the outcome
 * is reported later through GET's rc (-EAGAIN while pending).
 */
int livepatch_action(const char *name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags);

/*
 * Every CPU calls this from its idle/work loop with an unwound stack. The
 * fast path is one flag test. The CPU that scheduled the action becomes the
 * master of the rendezvous (§5.3).
 */
void check_for_livepatch_work(void);

/* True if an action is scheduled and not finished (for idle loops). */
bool livepatch_work_pending(void);

/* Exception-table lookup over loaded payloads, for the fault handler. */
bool livepatch_search_extable(uint64_t rip, uint64_t *fixup);

/*
 * The bug frame of a loaded payload whose ud2 is at rip (Xen's #UD lookup in
 * the payload's virtual region): its runtime address, with *type set to
 * 0 run_fn, 1 warn, 2 bug or 3 assert; 0 if no loaded payload has one.
 */
uint64_t livepatch_find_bug_frame(uint64_t rip, unsigned int *type);

/* True if addr lies in any loaded payload's text, rw or ro region. */
bool livepatch_is_patch(uint64_t addr);

/* Symbol of a loaded payload containing addr (for backtraces), or NULL. */
const char *livepatch_symbol_name(uint64_t addr, uint64_t *offset);

/*
 * Default apply/revert of one payload, exported for action hooks (Xen's
 * norevert test calls revert_payload then revert_payload_tail by hand).
 * Call only from the rendezvous context or with IRQs off on a quiet system.
 */
int apply_payload(struct payload *data);
void apply_payload_tail(struct payload *data);
int revert_payload(struct payload *data);
void revert_payload_tail(struct payload *data);

#ifdef __cplusplus
}
#endif

#endif /* XEN_LIVEPATCH_H */
