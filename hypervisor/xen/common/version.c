/*
 * Version information, as in Xen's common/version.c. This file includes the
 * compile.h that every make regenerates, so it is rebuilt each time.
 * xen_extra_version() is what Xen's hello-world test payload replaces, and
 * xen_minor_version() what its NOP payload blanks out; both are reached
 * through the version hypercall and the CPU-1 workload.
 */
#include <xen/version.h>
#include <xen/compile.h>
#include <xen/lib.h>

/* XEN_VERSION and XEN_SUBVERSION come from compile.h (CONFIG_XEN_RELEASE). */
#define XEN_EXTRAVERSION "-minixen"

extern const char __note_gnu_build_id_start[], __note_gnu_build_id_end[];

/* Reached through function pointers too, hence the ENDBR64 landing pad. */
const char *cf_check xen_extra_version(void)
{
    return XEN_EXTRAVERSION;
}

unsigned int xen_major_version(void)
{
    return XEN_VERSION;
}

unsigned int xen_minor_version(void)
{
    return XEN_SUBVERSION;
}

const char *xen_compile_date(void)
{
    return XEN_COMPILE_DATE;
}

/* The descriptor of the first note in .note.gnu.build-id (ld --build-id=sha1). */
const uint8_t *xen_build_id(uint32_t *len)
{
    const uint32_t *note = (const uint32_t *)__note_gnu_build_id_start;
    uint64_t size = __note_gnu_build_id_end - __note_gnu_build_id_start;

    if (size < 16 || note[2] != 3 || note[0] != 4 || 12 + 4 + (uint64_t)note[1] > size)
        return NULL;
    *len = note[1];
    return (const uint8_t *)note + 16;
}

void print_banner(void)
{
    uint32_t len = 0, i;
    const uint8_t *id = xen_build_id(&len);
    char hex[2 * 64 + 1];

    for (i = 0; id && i < len && i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    hex[id ? 2 * i : 0] = '\0';
    printk("minixen %u.%u%s (%s) built %s %s by %s\n", xen_major_version(),
           xen_minor_version(), xen_extra_version(), XEN_COMPILER, XEN_COMPILE_DATE,
           XEN_COMPILE_TIME, XEN_COMPILE_BY);
    printk("build-id: %s\n", id ? hex : "(none)");
}
