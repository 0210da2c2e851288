/*
 * The IDT and the trap handler. An invalid opcode (#UD) at a bug-frame site
 * goes to the bug-frame handler (arch/x86/bug.c): WARN and run_fn resume,
 * BUG and ASSERT are fatal there. Exceptions then consult the exception
 * tables (the hypervisor's own .ex_table, then every loaded payload's via
 * the live-patch core) and resume at the fix-up if one covers the faulting
 * RIP, as Xen's do_page_fault/do_general_protection do. Anything else is
 * fatal: one clear message naming the exception, the CPU, RIP and its
 * symbol, CR2 and the registers, then the machine stops. The timer and kick
 * vectors just acknowledge the interrupt (and catch up on TLB flushes); the
 * loops they wake do the work.
 */
#include <asm/traps.h>
#include <asm/extable.h>
#include <asm/apic.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/smp.h>
#include <xen/lib.h>
#include <xen/symbols.h>
#include <xen/livepatch.h>

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __packed;

static struct idt_entry idt[256] __aligned(16);
extern const uint64_t idt_stubs[32];
extern const uint64_t idt_stub_timer, idt_stub_kick, idt_stub_serial, idt_stub_spurious;
extern const struct exception_table_entry __start___ex_table[], __stop___ex_table[];

volatile uint64_t fault_count;
volatile uint64_t fatal_fault_count;
volatile uint64_t timer_ticks[NR_CPUS];

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FPU error", "alignment check", "machine check",
    "SIMD error", "virtualization", "control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved",
};

static void set_gate(unsigned int vec, uint64_t handler)
{
    idt[vec] = (struct idt_entry){
        .off_lo = handler & 0xffff, .sel = 0x08, .ist = 0, .type = 0x8e,
        .off_mid = (handler >> 16) & 0xffff, .off_hi = handler >> 32,
    };
}

void idt_init(void)
{
    unsigned int v;

    for (v = 0; v < 32; v++)
        set_gate(v, idt_stubs[v]);
    set_gate(TIMER_VECTOR, idt_stub_timer);
    set_gate(KICK_VECTOR, idt_stub_kick);
    set_gate(SERIAL_VECTOR, idt_stub_serial);
    set_gate(SPURIOUS_VECTOR, idt_stub_spurious);
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __packed d = { sizeof(idt) - 1, (uint64_t)idt };

    asm volatile("lidt %0" :: "m"(d));
}

bool search_exception_table(uint64_t rip, uint64_t *fixup)
{
    const struct exception_table_entry *e;

    for (e = __start___ex_table; e < __stop___ex_table; e++)
        if ((uint64_t)&e->addr + e->addr == rip) {
            *fixup = (uint64_t)&e->cont + e->cont;
            return true;
        }
    return livepatch_search_extable(rip, fixup);
}

static const char *symbol_of(uint64_t addr, uint64_t *off)
{
    /* A payload first: the hypervisor's table names any address after it. */
    const char *name = livepatch_symbol_name(addr, off);

    return name ? name : symbols_lookup(addr, off);
}

static void __noreturn fatal_trap(const struct cpu_regs *r)
{
    uint64_t off = 0;
    const char *sym = symbol_of(r->rip, &off);

    fatal_fault_count++;
    printk("FATAL TRAP: vector %lu (%s), error code 0x%lx, CPU %u\n", r->vector,
           exception_names[r->vector & 31], r->error_code, smp_processor_id());
    printk("  RIP %016lx <%s+0x%lx>  CR2 %016lx  RSP %016lx  RFLAGS %08lx\n", r->rip,
           sym ? sym : "?", off, read_cr2(), r->rsp, r->rflags);
    printk("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk("  RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    panic("FATAL TRAP on CPU %u: %s at %016lx", smp_processor_id(),
          exception_names[r->vector & 31], r->rip);
}

static void __noreturn stop_cpu(void)
{
    for (;;)
        asm volatile("cli; hlt");
}

void do_trap(struct cpu_regs *regs)
{
    uint64_t fixup;

    switch (regs->vector) {
    case TIMER_VECTOR:
        timer_ticks[smp_processor_id() % NR_CPUS]++;
        tlb_flush_ipi_check();
        apic_eoi();
        return;
    case SERIAL_VECTOR: /* COM2 has data: the halted reader wakes up */
        apic_eoi();
        return;
    case KICK_VECTOR:
        tlb_flush_ipi_check();
        apic_eoi();
        return;
    case SPURIOUS_VECTOR:
        return;
    case 2: /* NMI: another CPU panicked */
        stop_cpu();
    }
    if (regs->vector == 6 && do_bug_frame(regs))
        return;
    if (regs->vector < 32 && search_exception_table(regs->rip, &fixup)) {
        fault_count++;
        regs->rip = fixup;
        return;
    }
    fatal_trap(regs);
}
