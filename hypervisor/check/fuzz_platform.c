/*
 * A fake machine for fuzzing the live-patch core: a 4 KiB "hypervisor text"
 * at Xen's usual address with a few named functions (one starting with
 * ENDBR64), a fixed 20-byte build-id, and payload memory from calloc with
 * runtime addresses in fixed 64 MiB slots above the text. Hooks are not run:
 * action hooks mark their functions, others return 0. Everything the core
 * asks for is bounds-checked, so the sanitizers see only the core's own bugs.
 *
 * fuzz_build_id is what seed payloads must name in .livepatch.xen_depends
 * (scripts/fuzz-livepatch.sh writes it with printf).
 */
#include "xen/livepatch.h"
#include "xen/livepatch_platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_BASE 0xffff82d040200000ull
#define TEXT_SIZE 4096u
#define SLOT_BASE 0xffff82d080000000ull
#define SLOT_SIZE (64ull << 20)
#define NSLOTS 16

const uint8_t fuzz_build_id[20] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
    0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05,
};

static const struct { const char *name; uint64_t offset; } fuzz_symbols[] = {
    { "xen_extra_version", 0x000 },
    { "xen_cf_version", 0x040 },       /* starts with ENDBR64 */
    { "xen_minor_version", 0x080 },
    { "xen_compute", 0x0c0 },
    { "common/version.c#helper", 0x100 },
    { "__x86_return_thunk", 0x140 },
    { "__x86_indirect_thunk_rax", 0x150 },
};

static uint8_t text[TEXT_SIZE];
static bool text_ready;
static struct { uint8_t *mem; uint64_t size; } slots[NSLOTS];

static void init_text(void)
{
    static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

    if ( text_ready )
        return;
    memset(text, 0xcc, sizeof(text));
    memcpy(text + 0x40, endbr64, sizeof(endbr64));
    text_ready = true;
}

void *lp_plat_alloc(uint64_t bytes)
{
    if ( !bytes || bytes > SLOT_SIZE )
        return NULL;
    for ( unsigned int i = 0; i < NSLOTS; i++ )
        if ( !slots[i].mem )
        {
            slots[i].mem = calloc(1, bytes);
            slots[i].size = bytes;
            return slots[i].mem;
        }
    return NULL;
}

void lp_plat_free(void *p, uint64_t bytes)
{
    (void)bytes;
    for ( unsigned int i = 0; i < NSLOTS; i++ )
        if ( slots[i].mem == p )
        {
            free(p);
            slots[i].mem = NULL;
        }
}

uint64_t lp_plat_vaddr(const void *p)
{
    for ( unsigned int i = 0; i < NSLOTS; i++ )
        if ( slots[i].mem == p )
            return SLOT_BASE + i * SLOT_SIZE;
    return 0;
}

/* Host pointer for [addr, addr+len), or NULL. */
static uint8_t *locate(uint64_t addr, uint64_t len)
{
    init_text();
    if ( addr >= TEXT_BASE && addr - TEXT_BASE <= TEXT_SIZE && len <= TEXT_SIZE - (addr - TEXT_BASE) )
        return text + (addr - TEXT_BASE);
    for ( unsigned int i = 0; i < NSLOTS; i++ )
    {
        uint64_t base = SLOT_BASE + i * SLOT_SIZE;
        if ( slots[i].mem && addr >= base && addr - base <= slots[i].size &&
             len <= slots[i].size - (addr - base) )
            return slots[i].mem + (addr - base);
    }
    return NULL;
}

int lp_plat_peek(uint64_t addr, void *buf, uint64_t len)
{
    uint8_t *p = locate(addr, len);
    if ( !p )
        return -LP_EFAULT;
    memcpy(buf, p, len);
    return 0;
}

int lp_plat_poke(uint64_t addr, const void *buf, uint64_t len)
{
    uint8_t *p = locate(addr, len);
    if ( !p )
        return -LP_EFAULT;
    memcpy(p, buf, len);
    return 0;
}

int lp_plat_protect(void *p, uint64_t bytes, int perm) { (void)p; (void)bytes; (void)perm; return 0; }
void lp_plat_text_writable(bool writable) { (void)writable; }

uint64_t lp_plat_symbol(const char *name)
{
    for ( unsigned int i = 0; i < sizeof(fuzz_symbols) / sizeof(fuzz_symbols[0]); i++ )
        if ( !strcmp(fuzz_symbols[i].name, name) )
            return TEXT_BASE + fuzz_symbols[i].offset;
    return 0;
}

const uint8_t *lp_plat_build_id(uint32_t *len)
{
    *len = sizeof(fuzz_build_id);
    return fuzz_build_id;
}

int lp_plat_call_hook(int kind, uint64_t fn, struct payload *p)
{
    (void)fn;
    if ( kind == LP_HOOK_APPLY || kind == LP_HOOK_REVERT )
        for ( unsigned int i = 0; i < p->nfuncs; i++ )
            p->fstate[i].applied = kind == LP_HOOK_APPLY ? LIVEPATCH_FUNC_APPLIED
                                                         : LIVEPATCH_FUNC_NOT_APPLIED;
    return 0;
}

void lp_plat_printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if ( getenv("LP_FUZZ_VERBOSE") )
        fputs(buf, stderr);
}

void lp_plat_panic(const char *msg)
{
    fprintf(stderr, "panic: %s\n", msg);
    abort();
}

uint64_t lp_plat_now_ns(void) { return 0; }
unsigned lp_plat_num_cpus(void) { return 1; }
unsigned lp_plat_cpu_id(void) { return 0; }
void lp_plat_kick_other_cpus(void) {}
unsigned long lp_plat_irq_save(void) { return 0; }
void lp_plat_irq_restore(unsigned long flags) { (void)flags; }
void lp_plat_flush_tlb(void) {}
void lp_plat_cpu_relax(void) {}
const uint8_t *lp_plat_signing_key(uint32_t *len) { (void)len; return NULL; }
int lp_plat_signature_mode(void) { return LP_SIG_OFF; }
