/*
 * Xen 4.17's struct alt_instr (14 bytes, packed); struct bug_frame (8 bytes)
 * comes from asm/bug.h. The hypervisor does not patch itself with
 * alternatives; the type is here so xen-syms's DWARF describes it the way
 * Xen's does, which is where livepatch-build reads the special-section entry
 * sizes from.
 */
#ifndef ASM_ALTERNATIVE_H
#define ASM_ALTERNATIVE_H
#include <stdint.h>
#include <asm/bug.h>

struct alt_instr {
    int32_t orig_offset;
    int32_t repl_offset;
    uint16_t cpuid;
    uint8_t orig_len;
    uint8_t repl_len;
    uint8_t pad_len;
    uint8_t priv;
} __attribute__((packed));
#endif
