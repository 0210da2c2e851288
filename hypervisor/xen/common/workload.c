/*
 * The CPU-1 workload. Each iteration calls every probe (a patchable function
 * with a fixed argument) and compares the result with the previous one; a
 * difference is recorded as an event (probe, iteration, old, new). Between
 * iterations the CPU calls check_for_livepatch_work() with an unwound stack
 * (this function is the bottom of its stack) and halts until the next timer
 * tick or kick, so it joins every live-patch rendezvous.
 *
 * The report (workload_report) is text, one line per probe and per event:
 *   iterations N
 *   faults F fatal G
 *   probe NAME value V changes C
 *   event I probe NAME iteration N old V new V
 * where string values are quoted. The host tool prints it as it is.
 */
#include <xen/workload.h>
#include <xen/hypercall.h>
#include <xen/version.h>
#include <xen/livepatch.h>
#include <xen/spinlock.h>
#include <xen/lib.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include <asm/smp.h>

#define VALUE_LEN 40
#define MAX_EVENTS 64

struct value {
    char text[VALUE_LEN]; /* the value as printed */
};

struct probe {
    const char *name;
    void (*read)(struct value *v);
    struct value last;
    uint64_t changes;
};

struct event {
    unsigned int probe;
    uint64_t iteration;
    struct value old, new;
};

static void cf_check read_extra_version(struct value *v)
{
    snprintf(v->text, VALUE_LEN, "\"%s\"", xen_extra_version());
}
static void cf_check read_minor_version(struct value *v)
{
    snprintf(v->text, VALUE_LEN, "%u", xen_minor_version());
}
static void cf_check read_compute(struct value *v)
{
    snprintf(v->text, VALUE_LEN, "%ld", do_compute(5000));
}
static void cf_check read_table_0(struct value *v)
{
    snprintf(v->text, VALUE_LEN, "%ld", do_table_lookup(0));
}
static void cf_check read_table_8(struct value *v)
{
    snprintf(v->text, VALUE_LEN, "%ld", do_table_lookup(8));
}

static struct probe probes[] = {
    { .name = "extra_version", .read = read_extra_version },
    { .name = "minor_version", .read = read_minor_version },
    { .name = "compute(5000)", .read = read_compute },
    { .name = "table_lookup(0)", .read = read_table_0 },
    { .name = "table_lookup(8)", .read = read_table_8 },
};

static spinlock_t workload_lock = SPIN_LOCK_UNLOCKED;
static volatile uint64_t iterations;
static struct event events[MAX_EVENTS];
static uint64_t nr_events;

static void record(unsigned int i, const struct value *now)
{
    struct event *e = &events[nr_events % MAX_EVENTS];

    e->probe = i;
    e->iteration = iterations;
    e->old = probes[i].last;
    e->new = *now;
    nr_events++;
    probes[i].changes++;
    probes[i].last = *now;
}

static void workload_iteration(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(probes); i++) {
        struct value now;
        unsigned long flags;

        probes[i].read(&now);
        flags = local_irq_save();
        spin_lock(&workload_lock);
        if (iterations == 0)
            probes[i].last = now;
        else if (strcmp(now.text, probes[i].last.text))
            record(i, &now);
        spin_unlock(&workload_lock);
        local_irq_restore(flags);
    }
    iterations++;
}

void workload_main(void)
{
    printk("workload: CPU%u calling %u patchable functions\n", smp_processor_id(),
           (unsigned int)ARRAY_SIZE(probes));
    for (;;) {
        workload_iteration();
        check_for_livepatch_work();
        tlb_flush_ipi_check();
        if (!livepatch_work_pending())
            safe_halt();
    }
}

size_t workload_report(char *buf, size_t size)
{
    size_t n;
    uint64_t i, first;
    unsigned long flags = local_irq_save();

    spin_lock(&workload_lock);
    n = snprintf(buf, size, "iterations %lu\nfaults %lu fatal %lu\n", iterations, fault_count,
                 fatal_fault_count);
    for (i = 0; i < ARRAY_SIZE(probes) && n < size; i++)
        n += snprintf(buf + n, size - n, "probe %s value %s changes %lu\n", probes[i].name,
                      probes[i].last.text, probes[i].changes);
    first = nr_events > MAX_EVENTS ? nr_events - MAX_EVENTS : 0;
    for (i = first; i < nr_events && n < size; i++) {
        const struct event *e = &events[i % MAX_EVENTS];

        n += snprintf(buf + n, size - n, "event %lu probe %s iteration %lu old %s new %s\n",
                      i + 1, probes[e->probe].name, e->iteration, e->old.text, e->new.text);
    }
    spin_unlock(&workload_lock);
    local_irq_restore(flags);
    return n < size ? n : size - 1;
}
