/*
 * A computation with an observable result: do_compute(x) = x * scale + 1.
 * compute_scale is initialised data on purpose: a patch that changes it
 * changes .data, which live patching must refuse.
 */
#include <xen/hypercall.h>

static long compute_scale = 3;

long cf_check do_compute(long x)
{
    return x * compute_scale + 1;
}
