/*
 * Bringing up the other CPUs: INIT, then STARTUP twice (vector 0x08: start
 * at 0x8000), broadcast to all but ourselves, as the MP specification
 * prescribes. Each AP numbers itself in the trampoline, loads the IDT,
 * enables its LAPIC and timer, reports in, and runs the workload loop.
 * CPU numbers are mapped from APIC IDs for smp_processor_id().
 */
#include <asm/smp.h>
#include <asm/apic.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <xen/lib.h>
#include <xen/workload.h>

volatile unsigned int nr_cpus_online = 1;
static volatile uint8_t cpu_of_apic[256];
uint8_t cpu_stacks[NR_CPUS][STACK_SIZE] __aligned(PAGE_SIZE);
extern uint64_t ap_boot_cr3;
extern char trampoline_start[], trampoline_end[], __trampoline_load[];

unsigned int smp_processor_id(void)
{
    return cpu_of_apic[apic_id() & 0xff];
}

/* Before paging_init: the boot tables still map low memory writable. */
void smp_copy_trampoline(void)
{
    memcpy((void *)0x8000, __trampoline_load, trampoline_end - trampoline_start);
}

void ap_main(unsigned int cpu)
{
    idt_load();
    cpu_of_apic[apic_id() & 0xff] = cpu;
    apic_init();
    printk("CPU%u up (APIC id %u)\n", cpu, apic_id());
    __atomic_add_fetch(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
    local_irq_enable();
    workload_main();
}

void smp_boot_aps(void)
{
    uint64_t deadline;
    unsigned int seen;

    ap_boot_cr3 = read_cr3();
    smp_mb();
    apic_send_ipi_others(0x4500);          /* INIT */
    udelay(10000);
    apic_send_ipi_others(0x4600 | 0x08);   /* STARTUP at 0x8000 */
    udelay(200);
    apic_send_ipi_others(0x4600 | 0x08);
    /* Wait until no new CPU has reported for 100 ms. */
    seen = nr_cpus_online;
    deadline = now_ns() + 100000000ul;
    while (now_ns() < deadline) {
        if (nr_cpus_online != seen) {
            seen = nr_cpus_online;
            deadline = now_ns() + 100000000ul;
        }
        cpu_relax();
    }
    set_page_perm(0x8000, PAGE_SIZE, PERM_NONE);
    flush_tlb_all();
    printk("smp: %u CPUs online\n", nr_cpus_online);
}
