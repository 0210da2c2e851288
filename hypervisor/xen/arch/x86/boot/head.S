/*
 * Multiboot entry. QEMU's -kernel loader finds the header below (a.out
 * kludge: flag 16 gives the load addresses, so the image is a flat binary)
 * and enters start32 in 32-bit protected mode with EAX = 0x2BADB002 and EBX
 * = the multiboot info. We map the first 1 GiB with 2 MiB pages (temporary
 * boot tables), enable PAE, long mode, NX and paging, and call __start_xen
 * in 64-bit mode on the boot stack. The real 4 KiB page tables with W^X are
 * built in C (arch/x86/mm.c).
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010003

    .section .text.multiboot, "ax", @progbits
    .code32
    .balign 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long multiboot_header      /* header_addr */
    .long __image_start         /* load_addr */
    .long __load_end            /* load_end_addr */
    .long __bss_end             /* bss_end_addr */
    .long start32               /* entry_addr */

    .globl start32
start32:
    cli
    cld
    mov     %ebx, multiboot_info
    mov     %eax, multiboot_magic
    lgdt    gdt_descr
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     $boot_stack_top, %esp

    /* Boot page tables: PML4[0] -> PDPT[0] -> PD of 512 x 2 MiB. */
    mov     $boot_pd, %edi
    mov     $0x83, %eax              /* present, writable, large */
    xor     %ecx, %ecx
1:  mov     %eax, (%edi,%ecx,8)
    movl    $0, 4(%edi,%ecx,8)
    add     $0x200000, %eax
    inc     %ecx
    cmp     $512, %ecx
    jne     1b
    mov     $boot_pd + 3, %eax
    mov     %eax, boot_pdpt
    mov     $boot_pdpt + 3, %eax
    mov     %eax, boot_pml4

    mov     %cr4, %eax
    or      $0x20, %eax              /* PAE */
    mov     %eax, %cr4
    mov     $boot_pml4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx        /* EFER: LME, and NXE if the CPU has NX */
    rdmsr
    or      $0x100, %eax
    mov     %eax, %esi
    mov     $0x80000001, %eax
    cpuid
    mov     %esi, %eax
    bt      $20, %edx
    jnc     2f
    or      $0x800, %eax
2:  mov     $0xc0000080, %ecx
    xor     %edx, %edx
    wrmsr
    mov     %cr0, %eax
    or      $0x80010001, %eax        /* PG, WP, PE */
    mov     %eax, %cr0
    ljmp    $0x08, $start64

    .code64
start64:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    xor     %eax, %eax
    mov     %ax, %fs
    mov     %ax, %gs
    mov     $boot_stack_top, %rsp
    xor     %ebp, %ebp
    mov     multiboot_info(%rip), %edi
    mov     multiboot_magic(%rip), %esi
    call    __start_xen
3:  cli
    hlt
    jmp     3b

    .section .data.boot, "aw", @progbits
    .balign 8
    .globl multiboot_info
multiboot_info:
    .long 0
multiboot_magic:
    .long 0
    .balign 16
    /* 0x08: 64-bit code, 0x10: data, 0x18: 32-bit code (AP trampoline).
     * Accessed bits preset so the CPU never writes the table. */
    .globl gdt_table
gdt_table:
    .quad 0
    .quad 0x00af9b000000ffff
    .quad 0x00cf93000000ffff
    .quad 0x00cf9b000000ffff
gdt_end:
    .globl gdt_descr
gdt_descr:
    .word gdt_end - gdt_table - 1
    .quad gdt_table

    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096
    .globl boot_stack
boot_stack:
    .skip 16384
    .globl boot_stack_top
boot_stack_top:
    .section .note.GNU-stack, "", @progbits
