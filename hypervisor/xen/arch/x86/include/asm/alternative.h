/*
 * Xen 4.17's struct alt_instr (14 bytes, packed) and struct bug_frame
 * (8 bytes). The hypervisor does not patch itself with alternatives or trap
 * on bug frames; the types are here so xen-syms's DWARF describes them the
 * way Xen's does, which is where livepatch-build reads the special-section
 * entry sizes from.
 */
#ifndef ASM_ALTERNATIVE_H
#define ASM_ALTERNATIVE_H
#include <stdint.h>

struct alt_instr {
    int32_t orig_offset;
    int32_t repl_offset;
    uint16_t cpuid;
    uint8_t orig_len;
    uint8_t repl_len;
    uint8_t pad_len;
    uint8_t priv;
} __attribute__((packed));

struct bug_frame {
    int32_t loc_disp : 31;
    uint32_t line_hi : 1;
    int32_t ptr_disp : 31;
    uint32_t line_lo : 1;
};
#endif
