/* Port I/O and memory-mapped I/O accessors. */
#ifndef ASM_IO_H
#define ASM_IO_H
#include <stdint.h>
static inline void outb(uint8_t v, uint16_t port) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t readl(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline void writel(uint32_t v, uint64_t addr) { *(volatile uint32_t *)addr = v; }
static inline uint64_t readq(uint64_t addr) { return *(volatile uint64_t *)addr; }
static inline void writeq(uint64_t v, uint64_t addr) { *(volatile uint64_t *)addr = v; }
#endif
