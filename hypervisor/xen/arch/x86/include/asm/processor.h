/* Control registers, MSRs, CPUID and the few instructions C code needs. */
#ifndef ASM_PROCESSOR_H
#define ASM_PROCESSOR_H
#include <stdint.h>

#define X86_CR0_WP (1ul << 16)
#define X86_CR4_PGE (1ul << 7)
#define MSR_EFER 0xc0000080
#define EFER_NXE (1ul << 11)
#define X86_EFLAGS_IF (1ul << 9)

static inline uint64_t read_cr0(void) { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void cpu_relax(void) { asm volatile("pause" ::: "memory"); }
static inline void local_irq_enable(void) { asm volatile("sti" ::: "memory"); }
static inline void local_irq_disable(void) { asm volatile("cli" ::: "memory"); }
static inline unsigned long local_save_flags(void)
{
    unsigned long f;
    asm volatile("pushf; pop %0" : "=r"(f) :: "memory");
    return f;
}
static inline unsigned long local_irq_save(void)
{
    unsigned long f = local_save_flags();
    local_irq_disable();
    return f;
}
static inline void local_irq_restore(unsigned long f)
{
    if (f & X86_EFLAGS_IF)
        local_irq_enable();
}
/* Enable interrupts and halt until one arrives, atomically (sti shadow). */
static inline void safe_halt(void) { asm volatile("sti; hlt" ::: "memory"); }
static inline void barrier(void) { asm volatile("" ::: "memory"); }
static inline void smp_mb(void) { asm volatile("mfence" ::: "memory"); }
#endif
