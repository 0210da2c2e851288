/*
 * Interrupt and exception entry. Each vector's stub pushes a dummy error
 * code when the CPU does not supply one, then its vector number, and jumps
 * to a common path that saves the general registers as struct cpu_regs
 * (asm/traps.h) and calls do_trap(regs). do_trap may change regs->rip (an
 * exception-table fix-up) before we return with iretq. idt_stubs[] is the
 * table of stub addresses that traps.c installs.
 */
    .section .text.entry, "ax", @progbits
    .code64

.macro STUB vec
    .balign 16
stub_\vec:
    .if (\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
    .else
    pushq   $0
    .endif
    pushq   $\vec
    jmp     common_interrupt
.endm

    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v
    .endr
    STUB 0xf0
    STUB 0xf1
    STUB 0xf2
    STUB 0xff

common_interrupt:
    cld
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, %rdi
    mov     %rsp, %rbx
    and     $~15, %rsp
    call    do_trap
    mov     %rbx, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $16, %rsp
    iretq

    .section .rodata.idt_stubs, "a", @progbits
    .balign 8
    .globl idt_stubs
idt_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad stub_\v
    .endr
    .globl idt_stub_timer, idt_stub_kick, idt_stub_serial, idt_stub_spurious
idt_stub_timer:
    .quad stub_0xf0
idt_stub_kick:
    .quad stub_0xf1
idt_stub_serial:
    .quad stub_0xf2
idt_stub_spurious:
    .quad stub_0xff
    .section .note.GNU-stack, "", @progbits
