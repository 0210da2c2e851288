/*
 * The console: printk formats into a line buffer and writes it to COM1
 * under a lock, so lines from the two CPUs never interleave mid-line.
 * panic prints and stops every CPU.
 */
#include <xen/lib.h>
#include <xen/serial.h>
#include <xen/spinlock.h>
#include <asm/processor.h>
#include <asm/apic.h>

static spinlock_t console_lock = SPIN_LOCK_UNLOCKED;

void console_init(void)
{
    uart_init(COM1);
}

static void console_write(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc(COM1, '\r');
        uart_putc(COM1, *s);
    }
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    unsigned long flags;

    vsnprintf(buf, sizeof(buf), fmt, ap);
    flags = local_irq_save();
    spin_lock(&console_lock);
    console_write(buf);
    spin_unlock(&console_lock);
    local_irq_restore(flags);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;

    local_irq_disable();
    printk("\n****************************************\nPanic: ");
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n****************************************\n");
    apic_send_ipi_others(0x000c4400); /* NMI to the others: stop them too */
    for (;;)
        asm volatile("cli; hlt");
}
