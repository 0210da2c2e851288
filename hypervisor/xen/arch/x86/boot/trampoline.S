/*
 * Application-processor start-up code. The linker gives this section the
 * address 0x8000 while storing it inside the image; setup copies it down, and a STARTUP IPI with vector 0x08 starts
 * each AP here in real mode with CS:IP = 0800:0000. The AP switches to
 * protected mode, loads the final page tables (ap_boot_cr3, with 0x8000
 * mapped read-only and executable), enables long mode and NX, takes the next
 * CPU number from ap_next_cpu and jumps to ap_main(cpu) on that CPU's stack.
 */
    .section .trampoline, "ax", @progbits
    .code16
    .globl trampoline_start
trampoline_start:
    cli
    ljmp    $0, $1f
1:  xor     %ax, %ax
    mov     %ax, %ds
    lgdtl   tramp_gdt_descr
    mov     %cr0, %eax
    or      $1, %eax
    mov     %eax, %cr0
    ljmpl   $0x18, $tramp32

    .code32
tramp32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %cr4, %eax
    or      $0x20, %eax
    mov     %eax, %cr4
    mov     ap_boot_cr3, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx
    rdmsr
    or      $0x900, %eax             /* LME | NXE */
    wrmsr
    mov     %cr0, %eax
    or      $0x80010001, %eax
    mov     %eax, %cr0
    ljmp    $0x08, $tramp64

    .code64
tramp64:
    /* Take the next CPU number; its stack is cpu_stacks[n + 1]. */
    mov     $1, %edi
    lock xadd %edi, ap_next_cpu(%rip)
    cmp     $NR_CPUS, %edi
    jae     2f
    mov     %edi, %eax
    inc     %eax
    imul    $STACK_SIZE, %eax
    lea     cpu_stacks(%rip), %rsp
    add     %rax, %rsp
    xor     %ebp, %ebp
    movabs  $ap_main, %rax
    jmp     *%rax
2:  cli
    hlt
    jmp     2b

    .balign 8
tramp_gdt_descr:
    .word 31
    .long gdt_table
    .globl trampoline_end
trampoline_end:

    .section .data.ap_boot, "aw", @progbits
    .balign 8
    .globl ap_boot_cr3, ap_next_cpu
ap_boot_cr3:
    .quad 0
ap_next_cpu:
    .long 1
    .section .note.GNU-stack, "", @progbits
