/*
 * probe: issues the hypercalls that the real-Xen test patches change, from a PV
 * dom0, and prints what Xen answered, one line per probe.
 *
 * The real-Xen tier boots Debian's Xen 4.17 with a busybox dom0. After each
 * xen-livepatch step the dom0 script runs `probe <name>...`, and the transcript
 * checker compares the printed results with what the unpatched and the patched
 * hypervisor must answer. The hypercalls go through Linux's privcmd driver
 * (IOCTL_PRIVCMD_HYPERCALL on /dev/xen/privcmd), exactly as libxencall issues
 * them, and the argument structures come from Xen's own public headers (the
 * probe is compiled at test time with -I<xen>/xen/include), so their
 * layout is the hypervisor's.
 *
 * Output format, parsed by check-transcript.sh:
 *   PROBE <name> rc=<hypercall return value> [key=value...]
 * A negative rc is -errno as Xen returned it (privcmd's ioctl returns it as
 * errno). The exit status is 0 when every probe could be issued at all.
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <public/xen.h>
#include <public/version.h>
#include <public/sysctl.h>

#include "privcmd.h"

/* An out-of-range XENVER_build_id buffer length (patched Xen caps it at a page). */
#define HUGE_BUILD_ID_LEN (1u << 20)
/* A featureset index past the end of Xen's table. */
#define BAD_FEATURESET_INDEX 99u

/* Hypercall arguments live in one locked page, so Xen never meets a page fault. */
static unsigned char *arena;
#define ARENA_SIZE (64 * 1024)

static struct xen_sysctl *new_sysctl(uint32_t cmd)
{
    struct xen_sysctl *op = (struct xen_sysctl *)arena;

    memset(arena, 0, ARENA_SIZE);
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return op;
}

/* XENVER_extraversion: the string xen_extra_version() returns. */
static void probe_extraversion(void)
{
    char *extra = (char *)arena;
    long rc;

    memset(arena, 0, ARENA_SIZE);
    rc = privcmd_hypercall(__HYPERVISOR_xen_version, XENVER_extraversion,
                   (uint64_t)(uintptr_t)extra);
    printf("PROBE extraversion rc=%ld value=%s\n", rc,
           rc == 0 ? extra : "-");
}

/* XENVER_build_id with a sane and with an oversized buffer length. */
static void probe_build_id(const char *name, uint32_t len)
{
    xen_build_id_t *id = (xen_build_id_t *)arena;

    memset(arena, 0, ARENA_SIZE);
    id->len = len;
    printf("PROBE %s rc=%ld\n", name,
           privcmd_hypercall(__HYPERVISOR_xen_version, XENVER_build_id,
                     (uint64_t)(uintptr_t)id));
}

static void probe_buildid_ok(void) { probe_build_id("buildid_ok", 64); }
static void probe_buildid_huge(void) { probe_build_id("buildid_huge", HUGE_BUILD_ID_LEN); }

/* XEN_SYSCTL_getdomaininfolist starting at first_domain. */
static void probe_domlist(const char *name, domid_t first)
{
    struct xen_sysctl *op = new_sysctl(XEN_SYSCTL_getdomaininfolist);
    long rc;

    op->u.getdomaininfolist.first_domain = first;
    op->u.getdomaininfolist.max_domains = 4;
    set_xen_guest_handle(op->u.getdomaininfolist.buffer,
                         (xen_domctl_getdomaininfo_t *)(arena + 4096));
    rc = privcmd_hypercall(__HYPERVISOR_sysctl, (uint64_t)(uintptr_t)op, 0);
    printf("PROBE %s rc=%ld num=%u\n", name, rc,
           op->u.getdomaininfolist.num_domains);
}

static void probe_domlist_dom0(void) { probe_domlist("domlist_dom0", 0); }
static void probe_domlist_reserved(void)
{
    probe_domlist("domlist_reserved", DOMID_FIRST_RESERVED);
}

/* XEN_SYSCTL_get_cpu_featureset with an index past Xen's table. */
static void probe_featureset_bad(void)
{
    struct xen_sysctl *op = new_sysctl(XEN_SYSCTL_get_cpu_featureset);

    op->u.cpu_featureset.index = BAD_FEATURESET_INDEX;
    op->u.cpu_featureset.nr_features = 64;
    set_xen_guest_handle(op->u.cpu_featureset.features,
                         (uint32_t *)(arena + 4096));
    printf("PROBE featureset_bad rc=%ld\n",
           privcmd_hypercall(__HYPERVISOR_sysctl, (uint64_t)(uintptr_t)op, 0));
}

static const struct {
    const char *name;
    void (*run)(void);
} probes[] = {
    { "extraversion", probe_extraversion },
    { "buildid_ok", probe_buildid_ok },
    { "buildid_huge", probe_buildid_huge },
    { "domlist_dom0", probe_domlist_dom0 },
    { "domlist_reserved", probe_domlist_reserved },
    { "featureset_bad", probe_featureset_bad },
};
#define NR_PROBES (sizeof(probes) / sizeof(probes[0]))

static int run_probe(const char *name)
{
    for (size_t i = 0; i < NR_PROBES; i++) {
        if (strcmp(probes[i].name, name) == 0) {
            probes[i].run();
            return 0;
        }
    }
    fprintf(stderr, "probe: unknown probe '%s'\n", name);
    return 1;
}

static int setup(void)
{
    if (privcmd_open() != 0) {
        perror("probe: open /dev/xen/privcmd");
        return 1;
    }
    arena = locked_alloc(ARENA_SIZE);
    if (!arena) {
        perror("probe: locking the hypercall buffer");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: probe all | <probe>...\n");
        return 2;
    }
    if (setup() != 0)
        return 1;
    if (argc == 2 && strcmp(argv[1], "all") == 0) {
        for (size_t i = 0; i < NR_PROBES; i++)
            probes[i].run();
    } else {
        for (int i = 1; i < argc; i++)
            failed |= run_probe(argv[i]);
    }
    fflush(stdout);
    return failed;
}
