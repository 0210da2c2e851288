/*
 * Time from the HPET (QEMU's pc machine has one at 0xfed00000): its main
 * counter runs at a fixed, known rate, so now_ns() needs no calibration.
 * The live-patch rendezvous uses it for its deadline.
 */
#include <asm/time.h>
#include <asm/io.h>
#include <asm/processor.h>
#include <xen/lib.h>

#define HPET_BASE 0xfed00000ul
#define HPET_CAP 0x00
#define HPET_CONF 0x10
#define HPET_COUNTER 0xf0

static uint64_t period_fs;

void time_init(void)
{
    period_fs = readq(HPET_BASE + HPET_CAP) >> 32;
    if (!period_fs || period_fs > 100000000ul)
        panic("time: no usable HPET at 0x%lx", HPET_BASE);
    writeq(readq(HPET_BASE + HPET_CONF) | 1, HPET_BASE + HPET_CONF);
    printk("time: HPET period %lu fs\n", period_fs);
}

uint64_t now_ns(void)
{
    return readq(HPET_BASE + HPET_COUNTER) * period_fs / 1000000;
}

void udelay(uint64_t us)
{
    uint64_t end = now_ns() + us * 1000;

    while (now_ns() < end)
        cpu_relax();
}
