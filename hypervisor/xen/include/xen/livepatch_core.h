/*
 * Declarations shared by the files of the live-patch core: the payload list
 * (livepatch.c), the upload pipeline (livepatch_load.c) and the signature
 * check (livepatch_signature.c). Internal to the core.
 */
#ifndef XEN_LIVEPATCH_CORE_H
#define XEN_LIVEPATCH_CORE_H

#include "xen/livepatch_elf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LP_PAGE_SIZE 4096ull
#define LP_PAGE_ALIGN(x) (((x) + LP_PAGE_SIZE - 1) & ~(LP_PAGE_SIZE - 1))
#define KSYM_NAME_LEN 127
#define LP_ARCH_RANGE (1ll << 31) /* ARCH_LIVEPATCH_RANGE, half-open [-2G, +2G) */

/* Loaded payloads in upload order (livepatch.c). */
extern struct payload *lp_payload_list;

/* §3.1: parse the first note of a build-id section: 0 or -EINVAL/-ENODATA. */
int lp_parse_buildid(const uint8_t *data, uint64_t size, const uint8_t **id, uint32_t *len);

/* §4.2 steps 1-10 for a new payload; on failure nothing stays allocated. */
int lp_load_payload_data(struct payload *p, uint8_t *raw, uint64_t len);
/* Frees what lp_load_payload_data allocated. */
void lp_free_payload_data(struct payload *p);

/* §8: signature of the raw upload, per the platform's mode. 0 or -errno. */
int lp_check_signature(struct lp_elf *elf);
int lp_signature_init(void);

/* Copy of funcs[i] out of payload memory (any alignment). */
void lp_func_get(const struct payload *p, unsigned int i, struct livepatch_func *f);

/* A name at runtime address addr (NUL within 128 bytes) into buf; false if unreadable. */
bool lp_read_name(uint64_t addr, char *buf, unsigned int size);

#ifdef __cplusplus
}
#endif

#endif /* XEN_LIVEPATCH_CORE_H */
