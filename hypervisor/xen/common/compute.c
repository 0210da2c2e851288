/*
 * A computation with an observable result: do_compute(x) = x * scale + 1.
 * compute_scale is initialised data on purpose: a patch that changes its
 * initial value changes .data, which live patching must refuse. It is global
 * (not static) so the compiler cannot fold it into do_compute as a constant,
 * which would turn such a patch into a mere code change.
 */
#include <xen/hypercall.h>

long compute_scale = 3;

long cf_check do_compute(long x)
{
    return x * compute_scale + 1;
}
