/*
 * The payload as the live-patch core keeps it, and the payload ABI records.
 *
 * struct livepatch_func is the 104-byte version-2 record of .livepatch.funcs
 * (ABI doc §2.1, Xen 4.19+ layout). Xen-internal per-function state lives
 * apart from it in struct livepatch_fstate (§2.4): the applied marker, the
 * ENDBR64 patch offset and the saved bytes. struct payload is what hooks
 * receive (livepatch_payload_t); hooks may read the public fields at its top
 * and action hooks must set fstate[i].applied themselves. Everything below
 * the "core-private" line is the loader's bookkeeping.
 *
 * Addresses in the ABI records are runtime addresses (uint64_t), so the same
 * header serves the hypervisor and the host build, where payload memory has a
 * simulated runtime address (see livepatch_platform.h).
 */
#ifndef XEN_LIVEPATCH_PAYLOAD_H
#define XEN_LIVEPATCH_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIVEPATCH_PAYLOAD_VERSION 2
#define LIVEPATCH_OPAQUE_SIZE 31
#define XEN_LIVEPATCH_NAME_SIZE 128

/* livepatch_expectation_t: byte 0 = enabled:1 | len:5 << 1 | rsv:2 << 6. */
struct livepatch_expectation {
    uint8_t flags;
    uint8_t data[LIVEPATCH_OPAQUE_SIZE];
};

struct livepatch_func {
    uint64_t name;      /* runtime address of a NUL-terminated name, or 0 */
    uint64_t new_addr;  /* replacement function; 0 = NOP patch */
    uint64_t old_addr;  /* function to patch; 0 = resolve by name at load */
    uint32_t new_size;
    uint32_t old_size;
    uint8_t version;    /* LIVEPATCH_PAYLOAD_VERSION */
    uint8_t _pad[39];
    struct livepatch_expectation expect;
};
#ifdef __cplusplus
static_assert(sizeof(struct livepatch_func) == 104, "livepatch_func is 104 bytes");
#else
_Static_assert(sizeof(struct livepatch_func) == 104, "livepatch_func is 104 bytes");
#endif

enum livepatch_func_state {
    LIVEPATCH_FUNC_NOT_APPLIED = 0,
    LIVEPATCH_FUNC_APPLIED = 1,
};

struct livepatch_fstate {
    unsigned int patch_offset;                 /* 0, or 4 after ENDBR64 */
    enum livepatch_func_state applied;
    uint8_t insn_buffer[LIVEPATCH_OPAQUE_SIZE]; /* bytes the patch overwrote */
};

/* The eight hook kinds, in the order of the table in livepatch.c. */
enum lp_hook_kind {
    LP_HOOK_LOAD,       /* void fn(void), array */
    LP_HOOK_UNLOAD,     /* void fn(void), array */
    LP_HOOK_PREAPPLY,   /* int fn(struct payload *) */
    LP_HOOK_APPLY,      /* int fn(struct payload *) (action) */
    LP_HOOK_POSTAPPLY,  /* void fn(struct payload *) */
    LP_HOOK_PREREVERT,  /* int fn(struct payload *) */
    LP_HOOK_REVERT,     /* int fn(struct payload *) (action) */
    LP_HOOK_POSTREVERT, /* void fn(struct payload *) */
    LP_HOOK_NR
};

/* A loaded symbol a payload exports (§4.11). */
struct lp_symbol {
    const char *name;
    uint64_t value;
    bool new_symbol;    /* false: overrides a func's new_addr */
};

/* One memory region of a payload: text (RX), rw, or ro. */
struct lp_region {
    uint8_t *mem;       /* host pointer (== runtime address in the hypervisor) */
    uint64_t vaddr;     /* runtime address */
    uint64_t size;      /* bytes used */
};

/* A payload's .bug_frames.<type> (8-byte frames; type 3 entries take two). */
struct lp_bug_frames {
    const uint8_t *mem; /* host pointer */
    uint64_t vaddr;     /* runtime address */
    unsigned int n;     /* 8-byte frames */
};
#define LP_BUGFRAME_NR 4

struct payload {
    /* Public: hooks may read these. */
    char name[XEN_LIVEPATCH_NAME_SIZE];
    uint32_t state;     /* LIVEPATCH_STATE_CHECKED / _APPLIED */
    int32_t rc;
    const struct livepatch_func *funcs;
    struct livepatch_fstate *fstate;
    unsigned int nfuncs;

    /* ---- core-private ---- */
    struct payload *next;          /* payload_list, upload order */
    struct payload *applied_next;  /* applied stack, bottom to top */
    bool reverted;
    bool safe_to_reapply;
    uint8_t *mem;                  /* the single allocation */
    uint64_t mem_size;
    struct lp_region text, rw, ro;
    uint64_t hooks[LP_HOOK_NR];    /* single hooks: function address or 0 */
    uint64_t load_funcs_vaddr, unload_funcs_vaddr; /* arrays (runtime address) */
    const uint8_t *load_funcs, *unload_funcs;      /* same arrays, host pointers */
    unsigned int n_load_funcs, n_unload_funcs;
    const uint8_t *build_id; uint32_t build_id_len;
    const uint8_t *dep; uint32_t dep_len;
    const char *metadata; uint32_t metadata_len;
    uint8_t *ex_table; uint64_t ex_table_vaddr; unsigned int n_ex;
    struct lp_bug_frames bug_frames[LP_BUGFRAME_NR];
    struct lp_symbol *symtab; unsigned int nsyms;
    char *strtab;
    uint64_t symtab_bytes, strtab_bytes;
};
typedef struct payload livepatch_payload_t;

#endif /* XEN_LIVEPATCH_PAYLOAD_H */
