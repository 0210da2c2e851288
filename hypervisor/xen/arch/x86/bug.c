/*
 * The #UD handler for bug frames, with Xen 4.17's rules (do_invalid_op).
 * A ud2 whose address a bug frame names is a BUG(), WARN(), failed ASSERT
 * or run_in_exception_handler() site (asm/bug.h). The frame is looked up
 * first in the hypervisor's own tables, when RIP is in its text, and
 * otherwise in the frames of the loaded payload whose text holds RIP (the
 * live-patch core records them at upload and drops them at unload):
 *   run_fn  call the function with the registers, resume after the ud2
 *   warn    "Xen WARN at <file>:<line>", the state, resume after the ud2
 *   bug     "Xen BUG at <file>:<line>", then fatal
 *   assert  "Assertion '<msg>' failed at <file>:<line>", then fatal
 * A file name must lie in the hypervisor image or in a loaded payload (Xen's
 * is_kernel()/is_patch()), else the trap is fatal; an invalid ASSERT message
 * reads "<unknown>". Names longer than 50 characters are shortened to "..."
 * and their last 47. do_bug_frame returns false when RIP is not a known
 * site, and the caller takes the ordinary fatal path.
 */
#include <asm/bug.h>
#include <asm/traps.h>
#include <asm/processor.h>
#include <asm/smp.h>
#include <xen/lib.h>
#include <xen/symbols.h>
#include <xen/livepatch.h>

extern const char _stext[], _etext[], __image_start[], __image_end[];

static const struct bug_frame *const bug_frames[BUGFRAME_NR + 1] = {
    __start_bug_frames, __stop_bug_frames_0, __stop_bug_frames_1,
    __stop_bug_frames_2, __stop_bug_frames_3,
};

static bool is_kernel(const void *p)
{
    return (const char *)p >= __image_start && (const char *)p < __image_end;
}

static bool is_known_address(const void *p)
{
    return is_kernel(p) || livepatch_is_patch((uint64_t)p);
}

/* The hypervisor's own frame for the ud2 at rip, stepping 8 bytes as Xen does. */
static const struct bug_frame *own_bug_frame(uint64_t rip, unsigned int *type)
{
    unsigned int t;
    const struct bug_frame *b;

    if (rip < (uint64_t)_stext || rip >= (uint64_t)_etext)
        return NULL;
    for (t = 0; t < BUGFRAME_NR; t++)
        for (b = bug_frames[t]; b < bug_frames[t + 1]; b++)
            if ((uint64_t)bug_loc(b) == rip) {
                *type = t;
                return b;
            }
    return NULL;
}

static const struct bug_frame *find_bug_frame(uint64_t rip, unsigned int *type)
{
    const struct bug_frame *b = own_bug_frame(rip, type);

    return b ? b : (const struct bug_frame *)livepatch_find_bug_frame(rip, type);
}

static bool is_ud2(uint64_t rip)
{
    const uint8_t *insn = (const uint8_t *)rip;

    return insn[0] == 0x0f && insn[1] == 0x0b;
}

/* Xen's short form of a long file name: "..." and the last 47 characters. */
static const char *short_file_name(const char *file, const char **prefix)
{
    size_t len = strlen(file);

    *prefix = "";
    if (len <= 50)
        return file;
    *prefix = "...";
    return file + len - 47;
}

static void show_state(const struct cpu_regs *r)
{
    uint64_t off = 0;
    /* A payload first: the hypervisor's table names any address after it. */
    const char *sym = livepatch_symbol_name(r->rip, &off);

    if (!sym)
        sym = symbols_lookup(r->rip, &off);
    printk("  CPU %u RIP %016lx <%s+0x%lx> RSP %016lx RFLAGS %08lx\n", smp_processor_id(),
           r->rip, sym ? sym : "?", off, r->rsp, r->rflags);
}

static bool report_and_resume(struct cpu_regs *regs, const struct bug_frame *b,
                              unsigned int type)
{
    const char *prefix, *file, *msg;
    int line = bug_line(b);

    if (!is_known_address(bug_ptr(b)))
        return false;
    file = short_file_name(bug_ptr(b), &prefix);
    switch (type) {
    case BUGFRAME_warn:
        printk("Xen WARN at %s%s:%d\n", prefix, file, line);
        show_state(regs);
        regs->rip += 2;
        return true;
    case BUGFRAME_bug:
        printk("Xen BUG at %s%s:%d\n", prefix, file, line);
        show_state(regs);
        panic("Xen BUG at %s%s:%d", prefix, file, line);
    default: /* BUGFRAME_assert */
        msg = bug_msg(b);
        if (!is_known_address(msg))
            msg = "<unknown>";
        printk("Assertion '%s' failed at %s%s:%d\n", msg, prefix, file, line);
        show_state(regs);
        panic("Assertion '%s' failed at %s%s:%d", msg, prefix, file, line);
    }
}

bool do_bug_frame(struct cpu_regs *regs)
{
    unsigned int type = 0;
    const struct bug_frame *b;

    if (!(b = find_bug_frame(regs->rip, &type)) || !is_ud2(regs->rip))
        return false;
    if (type == BUGFRAME_run_fn) {
        void (*fn)(struct cpu_regs *) = (void (*)(struct cpu_regs *))bug_ptr(b);

        fn(regs);
        regs->rip += 2;
        return true;
    }
    return report_and_resume(regs, b, type);
}
