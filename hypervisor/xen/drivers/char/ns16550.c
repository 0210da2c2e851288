/*
 * Driver for a 16550 UART, polled except for an optional receive interrupt. The FIFOs are enabled so that QEMU hands
 * the guest 16 received bytes at a time, which keeps large uploads on the
 * control channel fast; transmit waits for the holding register to empty.
 */
#include <xen/serial.h>
#include <asm/io.h>

enum { RBR = 0, THR = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7, DLL = 0, DLM = 1 };
#define LSR_DR 0x01
#define LSR_THRE 0x20

/* A missing UART reads as all-ones; a present one keeps its scratch register. */
bool uart_present(uint16_t port)
{
    outb(0x5a, port + SCR);
    if (inb(port + SCR) != 0x5a)
        return false;
    outb(0xa5, port + SCR);
    return inb(port + SCR) == 0xa5;
}

void uart_init(uint16_t port)
{
    outb(0x00, port + IER);  /* polled: no interrupts */
    outb(0x80, port + LCR);  /* DLAB to set the divisor */
    outb(0x01, port + DLL);  /* 115200 baud */
    outb(0x00, port + DLM);
    outb(0x03, port + LCR);  /* 8n1 */
    outb(0xc7, port + FCR);  /* FIFO on, cleared, 14-byte trigger */
    outb(0x03, port + MCR);  /* DTR, RTS */
}

void uart_putc(uint16_t port, char c)
{
    while (!(inb(port + LSR) & LSR_THRE))
        asm volatile("pause");
    outb((uint8_t)c, port + THR);
}

/* Raise the UART's interrupt line while received data is waiting. */
void uart_enable_rx_irq(uint16_t port)
{
    outb(0x01, port + IER);
    outb(0x0b, port + MCR); /* DTR, RTS, OUT2 (gates the ISA IRQ) */
}

bool uart_rx_ready(uint16_t port) { return inb(port + LSR) & LSR_DR; }

uint8_t uart_getc(uint16_t port) { return inb(port + RBR); }
