/*
 * __start_xen: the BSP's path from the multiboot entry to the main loop.
 *
 *   console -> trampoline copy -> IDT -> paging with W^X -> HPET -> LAPIC
 *   -> runtime symbols -> live-patch core -> control channel -> APs -> ready
 *
 * The main loop is CPU 0's idle loop: it serves control requests (the
 * "sysctl" context that uploads payloads and schedules actions), calls
 * check_for_livepatch_work() with an unwound stack, and halts until the next
 * timer tick or kick when there is nothing to do. The line
 * "minixen: ready" on the console tells the test harness it can connect.
 */
#include <xen/lib.h>
#include <xen/control.h>
#include <xen/livepatch.h>
#include <xen/livepatch_version.h>
#include <xen/symbols.h>
#include <xen/version.h>
#include <asm/apic.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <asm/alternative.h>
#include <asm/extable.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper;
};

/* Special-section entry types, kept referenced so xen-syms's DWARF has them. */
const struct alt_instr *const __used xen_alt_instr_type;
const struct bug_frame *const __used xen_bug_frame_type;
const struct exception_table_entry *const __used xen_extable_type;

static uint64_t ram_size(const struct multiboot_info *mbi, uint32_t magic)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !(mbi->flags & 1))
        panic("not started by a multiboot loader with memory information");
    return ((uint64_t)mbi->mem_upper + 1024) * 1024;
}

static void report_wx(void)
{
    extern char _stext[], __ro_start[], __rw_start[];
    bool ok = (rdmsr(MSR_EFER) & EFER_NXE) && (read_cr0() & X86_CR0_WP) &&
              get_page_perm((uint64_t)_stext) == PERM_RX &&
              get_page_perm((uint64_t)__ro_start) == PERM_RO &&
              get_page_perm((uint64_t)__rw_start) == PERM_RW;

    if (!ok)
        panic("W^X could not be enabled");
    printk("W^X enabled: text RX, rodata RO+NX, data RW+NX\n");
}

static void __noreturn main_loop(void)
{
    for (;;) {
        bool busy = control_poll();

        check_for_livepatch_work();
        tlb_flush_ipi_check();
        if (!busy && !livepatch_work_pending())
            safe_halt();
    }
}

void __start_xen(uint32_t mbi_addr, uint32_t magic)
{
    uint64_t ram;
    int rc;

    console_init();
    printk("\n");
    print_banner();
    ram = ram_size((const struct multiboot_info *)(uint64_t)mbi_addr, magic);
    smp_copy_trampoline();
    idt_init();
    idt_load();
    paging_init(ram);
    report_wx();
    time_init();
    apic_init();
    local_irq_enable();
    printk("symbols: %lu in the runtime table\n", symbols_count());
    rc = livepatch_set_xen_version(xen_major_version(), xen_minor_version());
    if ( !rc )
        rc = livepatch_init();
    printk("livepatch: initialised (rc %d), Xen %u.%u loader rules, sysctl interface 0x%x\n", rc,
           livepatch_xen_rules()->major, livepatch_xen_rules()->minor,
           livepatch_xen_rules()->sysctl_interface_version);
    control_init();
    smp_boot_aps();
    printk("minixen: ready (%u CPUs)\n", nr_cpus_online);
    main_loop();
}
