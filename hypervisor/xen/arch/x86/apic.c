/*
 * The local APIC (xAPIC, MMIO at 0xfee00000): software enable, a periodic
 * timer of about 1 ms that wakes halted CPUs, end-of-interrupt, and IPIs
 * (INIT/STARTUP for bring-up, the kick vector for the live-patch rendezvous
 * and TLB shootdowns). The legacy 8259 PICs are remapped away from the
 * exception vectors and masked: nothing here uses them.
 */
#include <asm/apic.h>
#include <asm/io.h>
#include <asm/processor.h>

enum {
    APIC_ID = 0x20, APIC_TPR = 0x80, APIC_EOI = 0xb0, APIC_SVR = 0xf0,
    APIC_ICR_LO = 0x300, APIC_ICR_HI = 0x310, APIC_LVT_TIMER = 0x320,
    APIC_LVT_LINT0 = 0x350, APIC_LVT_LINT1 = 0x360, APIC_TIMER_INIT = 0x380,
    APIC_TIMER_DIV = 0x3e0,
};
#define APIC_LVT_MASKED (1u << 16)
#define APIC_TIMER_PERIODIC (1u << 17)
#define APIC_ICR_BUSY (1u << 12)
#define APIC_DEST_ALLBUT (3u << 18)

static uint32_t apic_read(uint32_t reg) { return readl(APIC_BASE + reg); }
static void apic_write(uint32_t reg, uint32_t v) { writel(v, APIC_BASE + reg); }

static void pic_disable(void)
{
    static const uint8_t init[][2] = {
        { 0x20, 0x11 }, { 0xa0, 0x11 }, /* ICW1: init, ICW4 follows */
        { 0x21, 0x20 }, { 0xa1, 0x28 }, /* ICW2: vectors 0x20 and 0x28 */
        { 0x21, 0x04 }, { 0xa1, 0x02 }, /* ICW3: cascade on IRQ2 */
        { 0x21, 0x01 }, { 0xa1, 0x01 }, /* ICW4: 8086 mode */
        { 0x21, 0xff }, { 0xa1, 0xff }, /* mask everything */
    };
    unsigned int i;

    for (i = 0; i < sizeof(init) / sizeof(init[0]); i++)
        outb(init[i][1], init[i][0]);
}

void apic_init(void)
{
    if (apic_id() == 0)
        pic_disable();
    apic_write(APIC_SVR, 0x100 | SPURIOUS_VECTOR);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
    apic_write(APIC_TIMER_DIV, 0x3);  /* divide by 16 */
    apic_write(APIC_LVT_TIMER, APIC_TIMER_PERIODIC | TIMER_VECTOR);
    apic_write(APIC_TIMER_INIT, 62500); /* ~1 ms with QEMU's 1 GHz APIC clock */
}

uint32_t apic_id(void) { return apic_read(APIC_ID) >> 24; }

void apic_eoi(void) { apic_write(APIC_EOI, 0); }

void apic_send_ipi_others(uint32_t icr_low)
{
    while (apic_read(APIC_ICR_LO) & APIC_ICR_BUSY)
        cpu_relax();
    apic_write(APIC_ICR_HI, 0);
    apic_write(APIC_ICR_LO, APIC_DEST_ALLBUT | icr_low);
}

/*
 * The I/O APIC (0xfec00000): route ISA IRQ `irq` (QEMU's pc machine wires
 * ISA IRQs 1-15 straight to the same pins) to `vector` on APIC id 0,
 * edge-triggered, active high.
 */
void ioapic_route_isa_irq(unsigned int irq, uint8_t vector)
{
    writel(0x10 + 2 * irq, IOAPIC_BASE);
    writel(vector, IOAPIC_BASE + 0x10);
    writel(0x11 + 2 * irq, IOAPIC_BASE);
    writel(0, IOAPIC_BASE + 0x10);
}

void apic_kick_others(void)
{
    apic_send_ipi_others(KICK_VECTOR);
}
