/* The IDT and what every trap handler receives. */
#ifndef ASM_TRAPS_H
#define ASM_TRAPS_H
#include <stdint.h>
#include <stdbool.h>

struct cpu_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

void idt_init(void);   /* build the IDT (BSP) */
void idt_load(void);   /* load it on this CPU */
/* #UD at a bug-frame site (arch/x86/bug.c): true if handled and resumable. */
bool do_bug_frame(struct cpu_regs *regs);
extern volatile uint64_t fault_count;      /* faults fixed up through an exception table */
extern volatile uint64_t fatal_fault_count;
#endif
