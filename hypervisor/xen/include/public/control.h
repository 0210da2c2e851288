/*
 * The control-channel protocol between the host tool (minixen-livepatch)
 * and the hypervisor, over COM2. It plays the role of Xen's sysctl
 * interface: one request frame, one response frame, in order.
 *
 *   request:  "LPRQ" | u32 op | u32 len | body[len] | u32 check
 *   response: "LPRS" | u32 op | i32 rc  | u32 len | body[len] | u32 check
 *
 * All integers little-endian; check is FNV-1a (32-bit) over the body. rc is
 * 0 or a negative Xen errno. Request bodies:
 *
 *   HELLO     (empty)                          -> text: version, build-id, CPUs
 *   UPLOAD    u32 flags | u32 name_size | name (NUL-terminated) | payload bytes
 *   GET       name (NUL-terminated)            -> u32 state | i32 rc
 *   LIST      (empty)                          -> u32 count | u32 version, then per
 *             payload: u32 state | i32 rc | u32 name_size | name | u32 meta_len | meta
 *   ACTION    u32 cmd | u32 timeout_ns | u32 flags | name (NUL-terminated)
 *   CALL      i64 arg | name (NUL-terminated)  -> u32 is_string | i64 value | text
 *   WORKLOAD  (empty)                          -> text report (common/workload.c)
 */
#ifndef PUBLIC_CONTROL_H
#define PUBLIC_CONTROL_H

#define CTL_REQ_MAGIC 0x5152504cu /* "LPRQ" */
#define CTL_RSP_MAGIC 0x5352504cu /* "LPRS" */
#define CTL_MAX_BODY (2u * 1024 * 1024 + 4096)

enum ctl_op {
    CTL_HELLO = 1,
    CTL_UPLOAD = 2,
    CTL_GET = 3,
    CTL_LIST = 4,
    CTL_ACTION = 5,
    CTL_CALL = 6,
    CTL_WORKLOAD = 7,
};

static inline unsigned int ctl_check(const unsigned char *p, unsigned long n)
{
    unsigned int h = 2166136261u;

    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}
#endif
