/*
 * Paging with W^X. The boot code maps the first GiB with 2 MiB pages and no
 * restrictions; paging_init replaces that with tables that map all of RAM
 * with 4 KiB pages (so each page carries its own permission), plus the
 * LAPIC and HPET pages uncached:
 *
 *   page 0                      not present (NULL dereferences fault)
 *   0x8000 (AP start-up code)   RX while the APs boot, then not present
 *   hypervisor text             RX
 *   hypervisor rodata           RO, NX
 *   hypervisor data, bss, rest  RW, NX
 *
 * The permission of every RAM page is also recorded in page_perm[], which is
 * what lets the live-patch quiesce make text and read-only pages writable
 * (hypervisor and payloads alike) and revive put them back exactly.
 * Page tables themselves and the page allocator's pool come from the RAM
 * above the image.
 */
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/apic.h>
#include <asm/smp.h>
#include <xen/lib.h>
#include <xen/spinlock.h>

#define PTE_P (1ul << 0)
#define PTE_W (1ul << 1)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_NX (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul
#define MAX_RAM (1ul << 30)
#define MAX_PAGES (MAX_RAM >> PAGE_SHIFT)

extern char __image_start[], _etext[], __ro_start[], __ro_end[], __rw_start[], __image_end[];

static uint64_t *pml4;
static uint64_t ram_pages;       /* RAM pages mapped */
static uint64_t next_table_page; /* bump pointer for page-table pages */
static uint64_t pool_start;      /* first page of the allocator's pool */
static uint8_t page_perm[MAX_PAGES];
static uint8_t page_used[MAX_PAGES];
static spinlock_t alloc_lock = SPIN_LOCK_UNLOCKED;

static const uint64_t perm_bits[] = {
    [PERM_NONE] = 0,
    [PERM_RX] = PTE_P,
    [PERM_RW] = PTE_P | PTE_W | PTE_NX,
    [PERM_RO] = PTE_P | PTE_NX,
    [PERM_RWX] = PTE_P | PTE_W,
    [PERM_MMIO] = PTE_P | PTE_W | PTE_NX | PTE_PCD | PTE_PWT,
};

static uint64_t *new_table(void)
{
    uint64_t *t = (uint64_t *)next_table_page;

    next_table_page += PAGE_SIZE;
    memset(t, 0, PAGE_SIZE);
    return t;
}

/* The level-1 entry for va, creating intermediate tables as needed. */
static uint64_t *pte_of(uint64_t va, bool create)
{
    uint64_t *t = pml4;
    int shift;

    for (shift = 39; shift > 12; shift -= 9) {
        uint64_t *e = &t[(va >> shift) & 511];

        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            *e = (uint64_t)new_table() | PTE_P | PTE_W;
        }
        t = (uint64_t *)(*e & PTE_ADDR);
    }
    return &t[(va >> 12) & 511];
}

static void map_page(uint64_t va, enum page_perm perm)
{
    *pte_of(va, true) = perm == PERM_NONE ? 0 : (va | perm_bits[perm]);
}

void flush_tlb_local(void)
{
    write_cr3(read_cr3());
}

void set_page_perm(uint64_t va, uint64_t bytes, enum page_perm perm)
{
    uint64_t a, end = (va + bytes + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);

    for (a = va & ~(uint64_t)(PAGE_SIZE - 1); a < end; a += PAGE_SIZE) {
        map_page(a, perm);
        if ((a >> PAGE_SHIFT) < ram_pages)
            page_perm[a >> PAGE_SHIFT] = perm;
    }
    flush_tlb_local();
}

enum page_perm get_page_perm(uint64_t va)
{
    return (va >> PAGE_SHIFT) < ram_pages ? page_perm[va >> PAGE_SHIFT] : PERM_NONE;
}

bool page_is_mapped(uint64_t va)
{
    uint64_t *e = pte_of(va, false);

    return e && (*e & PTE_P);
}

static enum page_perm initial_perm(uint64_t a)
{
    if (a == 0)
        return PERM_NONE;
    if (a == 0x8000)
        return PERM_RX;
    if (a >= (uint64_t)__image_start && a < (uint64_t)__ro_start)
        return PERM_RX;
    if (a >= (uint64_t)__ro_start && a < (uint64_t)__rw_start)
        return PERM_RO;
    return PERM_RW;
}

void paging_init(uint64_t ram_bytes)
{
    uint64_t a, tables;

    if (ram_bytes > MAX_RAM)
        ram_bytes = MAX_RAM;
    ram_pages = ram_bytes >> PAGE_SHIFT;
    /* Tables: one PT per 2 MiB of RAM, PDs, PDPTs, PML4, MMIO: generous. */
    tables = ram_pages / 512 + 16;
    next_table_page = (uint64_t)__image_end;
    pool_start = next_table_page + tables * PAGE_SIZE;
    pml4 = new_table();

    for (a = 0; a < ram_pages << PAGE_SHIFT; a += PAGE_SIZE) {
        page_perm[a >> PAGE_SHIFT] = initial_perm(a);
        map_page(a, initial_perm(a));
    }
    map_page(APIC_BASE, PERM_MMIO);
    map_page(0xfed00000ul, PERM_MMIO); /* HPET */
    map_page(IOAPIC_BASE, PERM_MMIO);
    if (next_table_page > pool_start)
        panic("paging: page-table pool overflow");
    for (a = 0; a < pool_start >> PAGE_SHIFT; a++)
        page_used[a] = 1;

    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr0(read_cr0() | X86_CR0_WP);
    write_cr3((uint64_t)pml4);
    printk("paging: %lu MiB RAM in 4 KiB pages, %lu pages free for payloads\n",
           ram_bytes >> 20, free_page_count());
}

/* ---- TLB shootdown ---- */

static volatile uint64_t tlb_generation;
static volatile uint64_t tlb_seen[NR_CPUS];

void tlb_flush_ipi_check(void)
{
    unsigned int cpu = smp_processor_id();
    uint64_t gen = tlb_generation;

    if (tlb_seen[cpu] != gen) {
        flush_tlb_local();
        tlb_seen[cpu] = gen;
    }
}

void flush_tlb_all(void)
{
    uint64_t gen = __atomic_add_fetch(&tlb_generation, 1, __ATOMIC_SEQ_CST);
    unsigned int cpu, spins;

    flush_tlb_local();
    tlb_seen[smp_processor_id()] = gen;
    if (nr_cpus_online < 2)
        return;
    apic_kick_others();
    if (!(local_save_flags() & X86_EFLAGS_IF))
        return; /* inside a rendezvous: the others flush on the way out */
    for (cpu = 0; cpu < nr_cpus_online; cpu++)
        for (spins = 0; tlb_seen[cpu] < gen && spins < 10000000; spins++)
            cpu_relax();
}

/* ---- quiesce / revive ---- */

void text_set_writable(bool writable)
{
    static const enum page_perm relaxed[] = {
        [PERM_NONE] = PERM_NONE, [PERM_RX] = PERM_RWX, [PERM_RW] = PERM_RW,
        [PERM_RO] = PERM_RW, [PERM_RWX] = PERM_RWX, [PERM_MMIO] = PERM_MMIO,
    };
    uint64_t p;

    for (p = 0; p < ram_pages; p++) {
        enum page_perm perm = page_perm[p];

        if (perm == PERM_RX || perm == PERM_RO)
            map_page(p << PAGE_SHIFT, writable ? relaxed[perm] : perm);
    }
    flush_tlb_local();
}

/* ---- page allocator (first fit over the pool) ---- */

uint64_t free_page_count(void)
{
    uint64_t p, n = 0;

    for (p = pool_start >> PAGE_SHIFT; p < ram_pages; p++)
        n += !page_used[p];
    return n;
}

void *alloc_pages(uint64_t n)
{
    uint64_t p, run = 0;
    void *ret = NULL;

    if (!n)
        return NULL;
    spin_lock(&alloc_lock);
    for (p = pool_start >> PAGE_SHIFT; p < ram_pages; p++) {
        run = page_used[p] ? 0 : run + 1;
        if (run == n) {
            uint64_t first = p + 1 - n, i;

            for (i = first; i <= p; i++)
                page_used[i] = 1;
            ret = (void *)(first << PAGE_SHIFT);
            break;
        }
    }
    spin_unlock(&alloc_lock);
    return ret;
}

void free_pages(void *ptr, uint64_t n)
{
    uint64_t first = (uint64_t)ptr >> PAGE_SHIFT, i;

    spin_lock(&alloc_lock);
    for (i = first; i < first + n && i < ram_pages; i++)
        page_used[i] = 0;
    spin_unlock(&alloc_lock);
}
