/*
 * The live-patch core's view of this machine (include/xen/livepatch_platform.h):
 * payload memory from the page allocator (identity-mapped, so well within
 * +-2 GiB of the hypervisor's text), page permissions through mm.c, the
 * runtime symbol table, the build-id, HPET time, CPU identity, IPIs, and the
 * built-in verification key that the build embeds (tools/extract-key.sh).
 */
#include <xen/livepatch_platform.h>
#include <xen/livepatch.h>
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/symbols.h>
#include <xen/version.h>
#include <asm/page.h>
#include <asm/apic.h>
#include <asm/processor.h>
#include <asm/smp.h>
#include <asm/time.h>

extern const uint8_t xen_livepatch_key_data[];
extern const uint32_t xen_livepatch_key_size;
extern const uint32_t xen_livepatch_sig_mode;

static uint64_t pages_of(uint64_t bytes) { return (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT; }

void *lp_plat_alloc(uint64_t bytes)
{
    void *p = alloc_pages(pages_of(bytes));

    if (p) {
        set_page_perm((uint64_t)p, pages_of(bytes) << PAGE_SHIFT, PERM_RW);
        memset(p, 0, pages_of(bytes) << PAGE_SHIFT);
    }
    return p;
}

void lp_plat_free(void *p, uint64_t bytes)
{
    if (!p)
        return;
    set_page_perm((uint64_t)p, pages_of(bytes) << PAGE_SHIFT, PERM_RW);
    flush_tlb_all();
    free_pages(p, pages_of(bytes));
}

uint64_t lp_plat_vaddr(const void *p) { return (uint64_t)p; }

int lp_plat_protect(void *p, uint64_t bytes, int perm)
{
    static const enum page_perm perms[] = {
        [LP_PERM_RX] = PERM_RX, [LP_PERM_RW] = PERM_RW, [LP_PERM_RO] = PERM_RO,
    };

    if (perm < LP_PERM_RX || perm > LP_PERM_RO || ((uint64_t)p & (PAGE_SIZE - 1)))
        return -EINVAL;
    set_page_perm((uint64_t)p, bytes, perms[perm]);
    flush_tlb_all();
    return 0;
}

void lp_plat_text_writable(bool writable) { text_set_writable(writable); }

uint64_t lp_plat_symbol(const char *xen_name) { return symbols_lookup_by_name(xen_name); }

const uint8_t *lp_plat_build_id(uint32_t *len) { return xen_build_id(len); }

static bool range_mapped(uint64_t addr, uint64_t len)
{
    uint64_t a;

    if (addr + len < addr)
        return false;
    for (a = addr & ~(uint64_t)(PAGE_SIZE - 1); a < addr + len; a += PAGE_SIZE)
        if (!page_is_mapped(a))
            return false;
    return true;
}

int lp_plat_peek(uint64_t addr, void *buf, uint64_t len)
{
    if (!range_mapped(addr, len))
        return -EFAULT;
    memcpy(buf, (const void *)addr, len);
    return 0;
}

int lp_plat_poke(uint64_t addr, const void *buf, uint64_t len)
{
    if (!range_mapped(addr, len))
        return -EFAULT;
    memcpy((void *)addr, buf, len);
    return 0;
}

int lp_plat_call_hook(int kind, uint64_t fn, struct payload *p)
{
    switch (kind) {
    case LP_HOOK_LOAD:
    case LP_HOOK_UNLOAD:
        ((void (*)(void))fn)();
        return 0;
    case LP_HOOK_POSTAPPLY:
    case LP_HOOK_POSTREVERT:
        ((void (*)(struct payload *))fn)(p);
        return 0;
    default:
        return ((int (*)(struct payload *))fn)(p);
    }
}

void lp_plat_printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void lp_plat_panic(const char *msg) { panic("%s", msg); }

uint64_t lp_plat_now_ns(void) { return now_ns(); }
unsigned lp_plat_num_cpus(void) { return nr_cpus_online; }
unsigned lp_plat_cpu_id(void) { return smp_processor_id(); }
void lp_plat_kick_other_cpus(void) { apic_kick_others(); }
unsigned long lp_plat_irq_save(void) { return local_irq_save(); }
void lp_plat_irq_restore(unsigned long flags) { local_irq_restore(flags); }
void lp_plat_flush_tlb(void) { flush_tlb_local(); }
void lp_plat_cpu_relax(void) { cpu_relax(); }

const uint8_t *lp_plat_signing_key(uint32_t *len)
{
    *len = xen_livepatch_key_size;
    return xen_livepatch_key_size ? xen_livepatch_key_data : NULL;
}

int lp_plat_signature_mode(void) { return (int)xen_livepatch_sig_mode; }
