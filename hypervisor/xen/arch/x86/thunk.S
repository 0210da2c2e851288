/*
 * Targets of -mindirect-branch=thunk-extern and -mfunction-return=thunk-extern,
 * as in Xen: every indirect call or jump through register R goes through
 * __x86_indirect_thunk_R, and every function returns through
 * __x86_return_thunk. These are the plain forms (an indirect jump guarded by
 * LFENCE, and RET); payloads reference them as UNDEF symbols that the loader
 * resolves through the runtime symbol table.
 */
    .code64
.macro THUNK reg
    .section .text.__x86_indirect_thunk_\reg, "ax", @progbits
    .globl __x86_indirect_thunk_\reg
    .type __x86_indirect_thunk_\reg, @function
__x86_indirect_thunk_\reg:
    lfence
    jmp     *%\reg
    int3
    .size __x86_indirect_thunk_\reg, . - __x86_indirect_thunk_\reg
.endm

    .irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    THUNK \r
    .endr

    .section .text.__x86_return_thunk, "ax", @progbits
    .globl __x86_return_thunk
    .type __x86_return_thunk, @function
__x86_return_thunk:
    ret
    int3
    .size __x86_return_thunk, . - __x86_return_thunk
    .section .note.GNU-stack, "", @progbits
