/*
 * What the live-patch core needs from the machine it runs on.
 *
 * The core (common/livepatch*.c, arch/x86/livepatch.c, common/rsa.c,
 * common/sha256.c) is freestanding C and touches the world only through
 * these functions. The hypervisor implements them for real; hypervisor/check
 * implements them on the host over a xen-syms file, which is how the same
 * code becomes `livepatch-check` and the fuzz target.
 *
 * Addresses: payload memory comes from lp_plat_alloc as a host pointer and
 * has a runtime address lp_plat_vaddr(ptr). In the hypervisor both are the
 * same number. On the host the runtime address is a simulated one near the
 * image's text, so that relocations and the +-2 GiB checks see what the
 * hypervisor would see. Memory named by a runtime address (old functions,
 * names in Xen's rodata, payload memory) is read with lp_plat_peek and the
 * hypervisor's text is written with lp_plat_poke.
 */
#ifndef XEN_LIVEPATCH_PLATFORM_H
#define XEN_LIVEPATCH_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct payload;

#define LP_PERM_RX 1
#define LP_PERM_RW 2
#define LP_PERM_RO 3

#define LP_SIG_OFF 0
#define LP_SIG_WARN 1
#define LP_SIG_ENFORCE 2

/* Page-aligned, zeroed, RW+NX, within +-2 GiB of hypervisor text; NULL on failure. */
void *lp_plat_alloc(uint64_t bytes);
void lp_plat_free(void *p, uint64_t bytes);
/* Runtime address of memory returned by lp_plat_alloc (hypervisor: (uintptr_t)p). */
uint64_t lp_plat_vaddr(const void *p);
/* Final page permissions of payload memory; 0 or -errno. */
int lp_plat_protect(void *p, uint64_t bytes, int perm);
/* Quiesce (true: hypervisor and payload text/rodata writable) / revive (false). */
void lp_plat_text_writable(bool writable);

/* Xen runtime spelling: "name" or "path/file.c#name"; 0 if absent. */
uint64_t lp_plat_symbol(const char *xen_name);
/* The running hypervisor's build-id descriptor, or NULL (no build-id). */
const uint8_t *lp_plat_build_id(uint32_t *len);
/* Read len bytes at runtime address addr; 0 or -EFAULT if not mapped. */
int lp_plat_peek(uint64_t addr, void *buf, uint64_t len);
/* Write len bytes of hypervisor or payload text at addr (quiesced); 0 or -EFAULT. */
int lp_plat_poke(uint64_t addr, const void *buf, uint64_t len);

/*
 * Call a payload hook at runtime address fn. kind is an enum lp_hook_kind:
 * LOAD/UNLOAD hooks are void(void), POSTAPPLY/POSTREVERT are
 * void(struct payload *) (return 0), the others int(struct payload *).
 */
int lp_plat_call_hook(int kind, uint64_t fn, struct payload *p);

void lp_plat_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stop the machine: inconsistent applied markers (Xen panics). */
void lp_plat_panic(const char *msg) __attribute__((noreturn));

uint64_t lp_plat_now_ns(void);
unsigned lp_plat_num_cpus(void);   /* online CPUs */
unsigned lp_plat_cpu_id(void);     /* 0 .. num_cpus-1, < 64 */
/* Make every other CPU call check_for_livepatch_work() soon (IPI). */
void lp_plat_kick_other_cpus(void);
unsigned long lp_plat_irq_save(void);
void lp_plat_irq_restore(unsigned long flags);
void lp_plat_flush_tlb(void);      /* global, serializing */
void lp_plat_cpu_relax(void);      /* pause in spin loops */

/* Built-in key: le32 len(n), n big-endian, le32 len(e), e big-endian; NULL if none. */
const uint8_t *lp_plat_signing_key(uint32_t *len);
int lp_plat_signature_mode(void);  /* LP_SIG_OFF / _WARN / _ENFORCE */

/*
 * The core also calls memcpy, memset, memcmp and strlen (through GCC
 * builtins, which may become calls): the hypervisor's lib provides them.
 */

#ifdef __cplusplus
}
#endif

#endif /* XEN_LIVEPATCH_PLATFORM_H */
