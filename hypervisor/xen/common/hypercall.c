/*
 * The hypercall table: name -> handler. The control channel's CALL request
 * and the host tool's `call` verb reach the patchable functions through it.
 * Handlers are called through function pointers, so they are cf_check and
 * start with ENDBR64, like Xen's.
 */
#include <xen/hypercall.h>
#include <xen/version.h>
#include <xen/errno.h>
#include <xen/lib.h>

static int cf_check hc_extra_version(int64_t arg, struct hypercall_result *res)
{
    res->is_string = 1;
    strlcpy(res->text, xen_extra_version(), sizeof(res->text));
    return 0;
}

static int cf_check hc_major_version(int64_t arg, struct hypercall_result *res)
{
    res->value = xen_major_version();
    return 0;
}

static int cf_check hc_minor_version(int64_t arg, struct hypercall_result *res)
{
    res->value = xen_minor_version();
    return 0;
}

static int cf_check hc_compute(int64_t arg, struct hypercall_result *res)
{
    res->value = do_compute(arg);
    return 0;
}

static int cf_check hc_table_lookup(int64_t arg, struct hypercall_result *res)
{
    res->value = do_table_lookup(arg);
    return 0;
}

static const struct hypercall {
    const char *name;
    int (*fn)(int64_t arg, struct hypercall_result *res);
} hypercalls[] = {
    { "extra_version", hc_extra_version },
    { "major_version", hc_major_version },
    { "minor_version", hc_minor_version },
    { "compute", hc_compute },
    { "table_lookup", hc_table_lookup },
};

int hypercall_by_name(const char *name, int64_t arg, struct hypercall_result *res)
{
    unsigned int i;

    memset(res, 0, sizeof(*res));
    for (i = 0; i < ARRAY_SIZE(hypercalls); i++)
        if (!strcmp(hypercalls[i].name, name))
            return hypercalls[i].fn(arg, res);
    return -ENOSYS;
}

const char *hypercall_name(unsigned int idx)
{
    return idx < ARRAY_SIZE(hypercalls) ? hypercalls[idx].name : NULL;
}
