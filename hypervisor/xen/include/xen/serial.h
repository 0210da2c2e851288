/*
 * The two 16550 UARTs: COM1 is the console, COM2 the control channel that
 * QEMU connects to a host socket (common/control.c).
 */
#ifndef XEN_SERIAL_H
#define XEN_SERIAL_H
#include <stdint.h>
#include <stdbool.h>
#define COM1 0x3f8
#define COM2 0x2f8
bool uart_present(uint16_t port);
void uart_init(uint16_t port);
void uart_putc(uint16_t port, char c);
void uart_enable_rx_irq(uint16_t port);
bool uart_rx_ready(uint16_t port);
uint8_t uart_getc(uint16_t port); /* only after uart_rx_ready */
#endif
