/*
 * privcmd.h: what the dom0 test programs (probe.c, livepatch-ctl.c) share to
 * issue hypercalls from a PV dom0 the way libxencall does: Linux's privcmd
 * ioctl on /dev/xen/privcmd, and argument memory that is populated and locked
 * so that Xen's copy_{to,from}_guest never meets a page that is not there.
 * Header-only (static inline), because each program is one static executable compiled by
 * boot.sh against the booted Xen's public headers.
 */
#ifndef REALXEN_PRIVCMD_H
#define REALXEN_PRIVCMD_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux's include/uapi/xen/privcmd.h. */
struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

static int privcmd_fd = -1;

/* Opens the privcmd device once; returns 0, or -1 with errno set. */
static inline int privcmd_open(void)
{
    privcmd_fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    return privcmd_fd < 0 ? -1 : 0;
}

/* Hypercall op(a0, a1); returns Xen's value, or -errno as Xen returned it. */
static inline long privcmd_hypercall(uint64_t op, uint64_t a0, uint64_t a1)
{
    struct privcmd_hypercall call = { .op = op, .arg = { a0, a1 } };
    long rc = ioctl(privcmd_fd, IOCTL_PRIVCMD_HYPERCALL, &call);

    return rc < 0 ? -errno : rc;
}

/* Anonymous memory, populated and locked; NULL on failure. */
static inline void *locked_alloc(size_t size)
{
    size_t len = size ? size : 1;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    if (mlock(p, len) != 0) {
        munmap(p, len);
        return NULL;
    }
    return p;
}

static inline void locked_free(void *p, size_t size)
{
    size_t len = size ? size : 1;

    if (p) {
        munlock(p, len);
        munmap(p, len);
    }
}

#endif
