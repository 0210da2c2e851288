/*
 * Bug frames, as in Xen 4.17 (xen/arch/x86/include/asm/bug.h). BUG(),
 * WARN(), ASSERT failures and run_in_exception_handler() put a `ud2` at the
 * site and an 8-byte struct bug_frame into section .bug_frames.<type>:
 *   loc_disp  24-bit signed, from the frame to the ud2
 *   ptr_disp  24-bit signed, from the frame to the file name (or, for
 *             run_fn, the function to call)
 *   line      14 bits, stored as the top 7 bits of each 32-bit word
 *             (line_hi above loc_disp, line_lo above ptr_disp).
 * The words are assembled as `disp + (line_part << 24)`, so a negative disp
 * borrows one from the line part; bug_line() adds it back.
 * ASSERT frames (type 3) are followed by a second frame whose msg_disp[1]
 * points at the failed predicate: 16 bytes per entry. The linker script keeps
 * the types apart (__start_bug_frames, __stop_bug_frames_0..3), and the #UD
 * handler (arch/x86/bug.c) searches them, then loaded payloads' frames.
 */
#ifndef ASM_BUG_H
#define ASM_BUG_H

#define BUG_DISP_WIDTH    24
#define BUG_LINE_LO_WIDTH (31 - BUG_DISP_WIDTH)
#define BUG_LINE_HI_WIDTH (31 - BUG_DISP_WIDTH)

#define BUGFRAME_run_fn 0
#define BUGFRAME_warn   1
#define BUGFRAME_bug    2
#define BUGFRAME_assert 3

#define BUGFRAME_NR     4

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>

struct bug_frame {
    signed int loc_disp:BUG_DISP_WIDTH;
    unsigned int line_hi:BUG_LINE_HI_WIDTH;
    signed int ptr_disp:BUG_DISP_WIDTH;
    unsigned int line_lo:BUG_LINE_LO_WIDTH;
    signed int msg_disp[];
};

#define bug_loc(b) ((const void *)(b) + (b)->loc_disp)
#define bug_ptr(b) ((const void *)(b) + (b)->ptr_disp)
#define bug_line(b) (((((b)->line_hi + ((b)->loc_disp < 0)) &                \
                       ((1 << BUG_LINE_HI_WIDTH) - 1)) <<                    \
                      BUG_LINE_LO_WIDTH) +                                   \
                     (((b)->line_lo + ((b)->ptr_disp < 0)) &                 \
                      ((1 << BUG_LINE_LO_WIDTH) - 1)))
#define bug_msg(b) ((const char *)(b) + (b)->msg_disp[1])

#define _ASM_BUGFRAME_TEXT(second_frame)                                     \
    ".Lbug%=: ud2\n"                                                         \
    ".pushsection .bug_frames.%c[bf_type], \"a\", @progbits\n"               \
    ".p2align 2\n"                                                           \
    ".Lfrm%=:\n"                                                             \
    ".long (.Lbug%= - .Lfrm%=) + %c[bf_line_hi]\n"                           \
    ".long (%c[bf_ptr] - .Lfrm%=) + %c[bf_line_lo]\n"                        \
    ".if " #second_frame "\n"                                                \
    ".long 0, %c[bf_msg] - .Lfrm%=\n"                                        \
    ".endif\n"                                                               \
    ".popsection\n"

#define _ASM_BUGFRAME_INFO(type, line, ptr, msg)                             \
    [bf_type]    "i" (type),                                                 \
    [bf_ptr]     "i" (ptr),                                                  \
    [bf_msg]     "i" (msg),                                                  \
    [bf_line_lo] "i" (((line) & ((1 << BUG_LINE_LO_WIDTH) - 1))              \
                      << BUG_DISP_WIDTH),                                    \
    [bf_line_hi] "i" (((line) >> BUG_LINE_LO_WIDTH) << BUG_DISP_WIDTH)

#define BUG_FRAME(type, line, ptr, second_frame, msg) do {                   \
    _Static_assert(!((line) >> (BUG_LINE_LO_WIDTH + BUG_LINE_HI_WIDTH)),     \
                   "bug frame line number too large");                       \
    _Static_assert((type) < BUGFRAME_NR, "bug frame type");                  \
    asm volatile ( _ASM_BUGFRAME_TEXT(second_frame)                          \
                   :: _ASM_BUGFRAME_INFO(type, line, ptr, msg) );            \
} while (0)

#define WARN() BUG_FRAME(BUGFRAME_warn, __LINE__, __FILE__, 0, NULL)
#define BUG() do {                                                           \
    BUG_FRAME(BUGFRAME_bug, __LINE__, __FILE__, 0, NULL);                    \
    __builtin_unreachable();                                                 \
} while (0)

struct cpu_regs;
/* Calls fn(regs) from the #UD handler, then carries on after the ud2. */
#define run_in_exception_handler(fn) do {                                    \
    (void)((fn) == (void (*)(struct cpu_regs *))NULL);                       \
    BUG_FRAME(BUGFRAME_run_fn, 0, fn, 0, NULL);                              \
} while (0)

#define assert_failed(msg) do {                                              \
    BUG_FRAME(BUGFRAME_assert, __LINE__, __FILE__, 1, msg);                  \
    __builtin_unreachable();                                                 \
} while (0)

extern const struct bug_frame __start_bug_frames[],
                              __stop_bug_frames_0[],
                              __stop_bug_frames_1[],
                              __stop_bug_frames_2[],
                              __stop_bug_frames_3[];

#endif /* !__ASSEMBLY__ */
#endif /* ASM_BUG_H */
