/*
 * livepatch-ctl: the project's own dom0 control program for Xen live patching.
 *
 * It does what Xen's tools/misc/xen-livepatch does (same verbs, same messages,
 * same exit codes) without libxenctrl: it issues XEN_SYSCTL_livepatch_op
 * (UPLOAD, GET, LIST, ACTION) itself through Linux's privcmd driver
 * (IOCTL_PRIVCMD_HYPERCALL on /dev/xen/privcmd), as the tier's probe does.
 * Why: a xen-livepatch is tied to one sysctl interface version, and Xen refuses
 * any other with -EACCES. Debian 12's (4.17, version 0x15) drives Xen 4.17 to
 * 4.20 but is refused by 4.21 and later (0x16), and no distribution ships a
 * newer one this tier could use. This program is built static, against the
 * target Xen's public headers (-I<xen>/xen/include), and speaks both versions:
 * it tries the version of the headers it was built with first and, when Xen
 * answers -EACCES, the other one. The live-patch sub-ops have the same layout
 * in both; only LIST differs, where 0x16 reads the caller's buffer sizes from
 * name_total_size / metadata_total_size. Those are always filled in here, and
 * 0x15 hypervisors ignore them.
 *
 * Usage (as xen-livepatch):
 *   livepatch-ctl [--force] <command> [args] [command-flags]
 *   list | upload <name> <file> | apply <name> [--nodeps] | revert <name> |
 *   replace <name> | unload <name> | load <file> [--nodeps] | help
 * An action prints "<Verb> <name>... completed" once GET shows the expected
 * state. Unlike xen-livepatch, which looks once after 60 ms, it keeps asking
 * every 10 ms while Xen reports -EAGAIN, up to LIVEPATCH_CTL_WAIT_MS (default
 * 5000): a software-emulated machine can need longer than 60 ms to schedule
 * the work. Exit status: 0 success, 2 to retry (EAGAIN/EBUSY), 1 otherwise.
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <public/xen.h>
#include <public/sysctl.h>
#include <public/errno.h>

#include "privcmd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The sysctl interface versions whose live-patch sub-ops this program knows. */
static const uint32_t known_interface_versions[] = { 0x15, 0x16 };

/* Xen's rendezvous timeout for an action, as xen-livepatch passes it. */
#define HYPERVISOR_TIMEOUT_NS 30000000u
#define POLL_NS 10000000L
#define DEFAULT_WAIT_MS 5000L

static uint32_t interface_version = XEN_SYSCTL_INTERFACE_VERSION;
#ifdef LIVEPATCH_FLAG_FORCE /* 4.19+: the op's former pad */
static uint32_t op_flags;   /* LIVEPATCH_FLAG_FORCE with --force */
#endif

/* The sysctl and the name live in one locked page, reused by every call. */
static struct {
    struct xen_sysctl op;
    char name[XEN_LIVEPATCH_NAME_SIZE];
} *page;

/* Issues the sysctl in page->op; returns 0 or -errno (Xen's error). */
static int do_sysctl(void)
{
    return (int)privcmd_hypercall(__HYPERVISOR_sysctl, (uint64_t)(uintptr_t)&page->op, 0);
}

static struct xen_sysctl_livepatch_op *new_op(uint32_t cmd)
{
    memset(&page->op, 0, sizeof(page->op));
    page->op.cmd = XEN_SYSCTL_livepatch_op;
    page->op.interface_version = interface_version;
    page->op.u.livepatch.cmd = cmd;
#ifdef LIVEPATCH_FLAG_FORCE
    page->op.u.livepatch.flags = op_flags;
#endif
    return &page->op.u.livepatch;
}

static void set_name(struct xen_livepatch_name *n)
{
    set_xen_guest_handle(n->name, page->name);
    n->size = strlen(page->name) + 1;
}

/* LIST with nr = 0 (no side effect), under the current interface version. */
static int list_probe(void)
{
    new_op(XEN_SYSCTL_LIVEPATCH_LIST);
    return do_sysctl();
}

/*
 * Tries each known interface version, the headers' first, until Xen stops
 * answering -EACCES (wrong version). If none is accepted, the headers'
 * version stays and every call reports Xen's -EACCES.
 */
static void choose_interface_version(void)
{
    int rc = list_probe();

    for (size_t i = 0; rc == -XEN_EACCES && i < ARRAY_SIZE(known_interface_versions); i++) {
        if (known_interface_versions[i] == XEN_SYSCTL_INTERFACE_VERSION)
            continue;
        interface_version = known_interface_versions[i];
        rc = list_probe();
    }
    if (rc == -XEN_EACCES)
        interface_version = XEN_SYSCTL_INTERFACE_VERSION;
}

static void show_help(void)
{
    fprintf(stderr,
            "livepatch-ctl: live patching tool (xen-livepatch's commands, no libxenctrl)\n"
            "Usage: livepatch-ctl [--force] <command> [args] [command-flags]\n"
            " <name> An unique name of payload. Up to %d characters.\n"
            "Commands:\n"
            "  help                   display this help\n"
            "  upload <name> <file>   upload file <file> with <name> name\n"
            "  list                   list payloads uploaded.\n"
            "  apply <name> [flags]   apply <name> patch.\n"
            "    Supported flags:\n"
            "      --nodeps           Disable inter-module buildid dependency check.\n"
            "                         Check only against hypervisor buildid.\n"
            "  revert <name>          revert name <name> patch.\n"
            "  replace <name>         apply <name> patch and revert all others.\n"
            "  unload <name>          unload name <name> patch.\n"
            "  load <file> [flags]    upload and apply <file> with name as the <file> name\n"
            "    Supported flags:\n"
            "      --nodeps           Disable inter-module buildid dependency check.\n"
            "                         Check only against hypervisor buildid.\n",
            XEN_LIVEPATCH_NAME_SIZE - 1);
}

static int help_func(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    show_help();
    return 0;
}

static const char *state2str(int state)
{
    switch (state) {
    case LIVEPATCH_STATE_CHECKED: return "CHECKED";
    case LIVEPATCH_STATE_APPLIED: return "APPLIED";
    default: return "unknown";
    }
}

static int list_sizes(uint32_t *nr, uint32_t *name_total, uint32_t *meta_total)
{
    int rc = list_probe();

    if (rc < 0)
        return rc;
    *nr = page->op.u.livepatch.u.list.nr;
    *name_total = page->op.u.livepatch.u.list.name_total_size;
    *meta_total = page->op.u.livepatch.u.list.metadata_total_size;
    return 0;
}

struct list_buffers {
    uint32_t nr, name_size, meta_size;
    xen_livepatch_status_t *status;
    char *name, *meta;
    uint32_t *len, *meta_len;
};

static void free_list_buffers(struct list_buffers *b)
{
    locked_free(b->status, b->nr * sizeof(*b->status));
    locked_free(b->name, b->name_size);
    locked_free(b->meta, b->meta_size + 1);
    locked_free(b->len, b->nr * sizeof(*b->len));
    locked_free(b->meta_len, b->nr * sizeof(*b->meta_len));
}

static int alloc_list_buffers(struct list_buffers *b)
{
    b->status = locked_alloc(b->nr * sizeof(*b->status));
    b->name = locked_alloc(b->name_size);
    b->meta = locked_alloc(b->meta_size + 1);
    b->len = locked_alloc(b->nr * sizeof(*b->len));
    b->meta_len = locked_alloc(b->nr * sizeof(*b->meta_len));
    return b->status && b->name && b->meta && b->len && b->meta_len ? 0 : -ENOMEM;
}

/*
 * Fetches every entry, in as many LIST calls as Xen needs (it stops early when
 * preempted). Returns the number fetched, -EAGAIN if the list changed in
 * between (payload_version moved), or -errno.
 */
static int list_all(struct list_buffers *b)
{
    uint32_t done = 0, name_off = 0, meta_off = 0, version = 0;

    while (done < b->nr) {
        struct xen_sysctl_livepatch_op *op = new_op(XEN_SYSCTL_LIVEPATCH_LIST);
        struct xen_sysctl_livepatch_list *l = &op->u.list;
        int rc;

        l->idx = done;
        l->nr = b->nr - done;
        l->name_total_size = b->name_size - name_off;
        l->metadata_total_size = b->meta_size - meta_off;
        set_xen_guest_handle(l->status, b->status + done);
        set_xen_guest_handle(l->name, b->name + name_off);
        set_xen_guest_handle(l->len, b->len + done);
        set_xen_guest_handle(l->metadata, b->meta + meta_off);
        set_xen_guest_handle(l->metadata_len, b->meta_len + done);
        rc = do_sysctl();
        if (rc < 0)
            return rc;
        if (done && l->version != version)
            return -EAGAIN;
        version = l->version;
        for (int i = 0; i < rc; i++) {
            name_off += b->len[done + i];
            meta_off += b->meta_len[done + i];
        }
        done += rc;
        if (rc == 0 || l->nr == 0)
            break;
    }
    return (int)done;
}

static void print_list(const struct list_buffers *b, uint32_t n)
{
    uint32_t name_off = 0, meta_off = 0;

    printf(" ID                                     | status     | metadata\n"
           "----------------------------------------+------------+---------------\n");
    for (uint32_t i = 0; i < n; i++) {
        char *meta = b->meta + meta_off;

        printf("%-40.*s| %s", (int)b->len[i], b->name + name_off,
               state2str(b->status[i].state));
        if (b->status[i].rc)
            printf(" (%d, %s)    | ", -b->status[i].rc, strerror(-b->status[i].rc));
        else
            printf("    | ");
        /* Replace all '\0' with semi-colons, as xen-livepatch does. */
        for (uint32_t j = 0; b->meta_len[i] && j < b->meta_len[i] - 1; j++)
            meta[j] = meta[j] ? meta[j] : ';';
        printf("%.*s\n", (int)b->meta_len[i], meta);
        name_off += b->len[i];
        meta_off += b->meta_len[i];
    }
}

static int list_func(int argc, char *argv[])
{
    struct list_buffers b = { 0 };
    int rc, n;

    (void)argv;
    if (argc) {
        show_help();
        return -1;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        rc = list_sizes(&b.nr, &b.name_size, &b.meta_size);
        if (rc) {
            fprintf(stderr, "Failed to get list sizes.\nError %d: %s\n", -rc, strerror(-rc));
            return -rc;
        }
        if (b.nr == 0) {
            printf("Nothing to list\n");
            return 0;
        }
        if (alloc_list_buffers(&b)) {
            free_list_buffers(&b);
            return ENOMEM;
        }
        n = list_all(&b);
        if (n != -EAGAIN)
            break;
        free_list_buffers(&b);
        memset(&b, 0, sizeof(b));
    }
    if (n < 0 || (uint32_t)n != b.nr) {
        rc = n < 0 ? -n : ENOBUFS;
        fprintf(stderr, "Failed to list %d/%u.\nError %d: %s\n",
                n < 0 ? 0 : n, b.nr, rc, strerror(rc));
        free_list_buffers(&b);
        return rc;
    }
    print_list(&b, (uint32_t)n);
    free_list_buffers(&b);
    return 0;
}

/* Copies <name> into the locked page; Xen takes at most NAME_SIZE - 1 chars. */
static int get_name(const char *arg)
{
    size_t len = strlen(arg);

    if (len >= XEN_LIVEPATCH_NAME_SIZE) {
        fprintf(stderr, "ID must be no more than %d characters.\n",
                XEN_LIVEPATCH_NAME_SIZE - 1);
        return EINVAL;
    }
    memset(page->name, 0, sizeof(page->name));
    memcpy(page->name, arg, len);
    return 0;
}

static int upload(const char *filename)
{
    struct xen_sysctl_livepatch_op *op;
    struct stat st;
    unsigned char *buf;
    int fd, rc;
    ssize_t got = 0;

    fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = errno;
        fprintf(stderr, "Could not open %s.\nError %d: %s\n", filename, rc, strerror(rc));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    buf = locked_alloc(st.st_size);
    while (buf && got < st.st_size) {
        ssize_t n = read(fd, buf + got, st.st_size - got);

        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    if (!buf || got != st.st_size) {
        rc = buf ? EIO : ENOMEM;
        fprintf(stderr, "Could not map %s.\nError %d: %s\n", filename, rc, strerror(rc));
        locked_free(buf, st.st_size);
        return rc;
    }
    printf("Uploading %s... ", filename);
    op = new_op(XEN_SYSCTL_LIVEPATCH_UPLOAD);
    set_name(&op->u.upload.name);
    op->u.upload.size = st.st_size;
    set_xen_guest_handle(op->u.upload.payload, buf);
    rc = do_sysctl();
    locked_free(buf, st.st_size);
    if (rc) {
        printf("failed\n");
        fprintf(stderr, "Error %d: %s\n", -rc, strerror(-rc));
        return -rc;
    }
    printf("completed\n");
    return 0;
}

static int upload_func(int argc, char *argv[])
{
    if (argc != 2) {
        show_help();
        return -1;
    }
    if (get_name(argv[0]))
        return EINVAL;
    return upload(argv[1]);
}

/* GET: 0 with *state / *status_rc, or -errno (-ENOENT: not loaded). */
static int get_status(int *state, int *status_rc)
{
    struct xen_sysctl_livepatch_op *op;
    int rc;

    op = new_op(XEN_SYSCTL_LIVEPATCH_GET);
    set_name(&op->u.get.name);
    rc = do_sysctl();
    if (rc)
        return rc;
    *state = (int)op->u.get.status.state;
    *status_rc = op->u.get.status.rc;
    return 0;
}

static int do_action(uint32_t cmd, uint32_t flags)
{
    struct xen_sysctl_livepatch_op *op = new_op(XEN_SYSCTL_LIVEPATCH_ACTION);

    set_name(&op->u.action.name);
    op->u.action.cmd = cmd;
    op->u.action.timeout = HYPERVISOR_TIMEOUT_NS;
    op->u.action.flags = flags;
    return do_sysctl();
}

static const struct action {
    const char *name;
    const char *verb;
    uint32_t cmd;
    int allow;    /* state the payload must be in */
    int expected; /* state afterwards; -XEN_ENOENT: gone */
    const char *flag_name;
    uint32_t flag;
} actions[] = {
    { "apply", "Applying", LIVEPATCH_ACTION_APPLY, LIVEPATCH_STATE_CHECKED,
      LIVEPATCH_STATE_APPLIED, "--nodeps", LIVEPATCH_ACTION_APPLY_NODEPS },
    { "revert", "Reverting", LIVEPATCH_ACTION_REVERT, LIVEPATCH_STATE_APPLIED,
      LIVEPATCH_STATE_CHECKED, NULL, 0 },
    { "unload", "Unloading", LIVEPATCH_ACTION_UNLOAD, LIVEPATCH_STATE_CHECKED,
      -XEN_ENOENT, NULL, 0 },
    { "replace", "Replacing all live patches with", LIVEPATCH_ACTION_REPLACE,
      LIVEPATCH_STATE_CHECKED, LIVEPATCH_STATE_APPLIED, NULL, 0 },
};

static int get_flags(const struct action *a, int argc, char *argv[], uint32_t *flags)
{
    *flags = 0;
    for (int i = 0; i < argc; i++) {
        if (!a->flag_name || strcmp(a->flag_name, argv[i]) != 0) {
            fprintf(stderr, "Unsupported flag: %s.\n", argv[i]);
            return EINVAL;
        }
        *flags |= a->flag;
    }
    return 0;
}

static long wait_ms(void)
{
    const char *s = getenv("LIVEPATCH_CTL_WAIT_MS");
    long ms = s ? strtol(s, NULL, 10) : DEFAULT_WAIT_MS;

    return ms > 0 ? ms : DEFAULT_WAIT_MS;
}

static void sleep_ns(long ns)
{
    struct timespec req = { 0, ns }, rem;

    while (nanosleep(&req, &rem) == -1 && errno == EINTR)
        req = rem;
}

/*
 * After the action was accepted: GET until Xen no longer reports -EAGAIN, then
 * the state or error found (a state >= 0, or -errno).
 */
static int wait_for_result(void)
{
    long polls = wait_ms() * 1000000L / POLL_NS;
    int state = 0, status_rc = 0, rc;

    do {
        sleep_ns(POLL_NS);
        rc = get_status(&state, &status_rc);
        if (rc == 0 && status_rc)
            rc = status_rc;
    } while (rc == -XEN_EAGAIN && --polls > 0);
    return rc ? rc : state;
}

static int wrong_state(int state, int want)
{
    fprintf(stderr, "%s is in the wrong state.\nCurrent state: %s\nExpected state: %s\n",
            page->name, state2str(state), state2str(want));
    return -1;
}

static int action_func(const struct action *a, int argc, char *argv[])
{
    int state, status_rc, rc;
    uint32_t flags;

    if (argc < 1) {
        show_help();
        return -1;
    }
    if (get_name(argv[0]) || get_flags(a, argc - 1, argv + 1, &flags))
        return EINVAL;

    rc = get_status(&state, &status_rc);
    if (rc) {
        fprintf(stderr, "Failed to get status of %s.\nError %d: %s\n",
                page->name, -rc, strerror(-rc));
        return -rc;
    }
    if (status_rc == -XEN_EAGAIN) {
        fprintf(stderr, "Cannot execute %s.\nOperation already in progress.\n", a->name);
        return EAGAIN;
    }
    if (state == a->expected) {
        printf("No action needed.\n");
        return 0;
    }
    if (!(a->allow & state))
        return wrong_state(state, a->allow);

    printf("%s %s... ", a->verb, page->name);
    rc = do_action(a->cmd, flags);
    if (rc) {
        printf("failed\n");
        fprintf(stderr, "Error %d: %s\n", -rc, strerror(-rc));
        return -rc;
    }

    rc = wait_for_result();
    if (rc == -XEN_EAGAIN) {
        printf("failed\n");
        fprintf(stderr, "Operation didn't complete.\n");
        return EAGAIN;
    }
    if (rc == a->expected) {
        printf("completed\n");
        return 0;
    }
    printf("failed\n");
    if (rc < 0) {
        fprintf(stderr, "Error %d: %s\n", -rc, strerror(-rc));
        return -rc;
    }
    return wrong_state(rc, a->expected);
}

static const struct action *action_named(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

/* upload <file> under its base name without the last extension, then apply. */
static int load_func(int argc, char *argv[])
{
    char *path, *name, *dot, *upload_argv[2];
    int rc;

    if (argc < 1) {
        show_help();
        return -1;
    }
    path = strdup(argv[0]);
    if (!path)
        return ENOMEM;
    name = basename(path);
    dot = strrchr(name, '.');
    if (dot)
        *dot = '\0';
    upload_argv[0] = name;
    upload_argv[1] = argv[0];
    rc = upload_func(2, upload_argv);
    if (!rc) {
        argv[0] = name;
        rc = action_func(action_named("apply"), argc, argv);
        if (rc)
            action_func(action_named("unload"), 1, upload_argv);
    }
    free(path);
    return rc;
}

static const struct {
    const char *name;
    int (*function)(int argc, char *argv[]);
} main_options[] = {
    { "help", help_func },
    { "list", list_func },
    { "upload", upload_func },
    { "load", load_func },
};

static int setup(void)
{
    if (privcmd_open() != 0) {
        fprintf(stderr, "failed to get the handler\n");
        return -1;
    }
    page = locked_alloc(sizeof(*page));
    if (!page) {
        fprintf(stderr, "failed to lock the hypercall buffer: %s\n", strerror(errno));
        return -1;
    }
    choose_interface_version();
    return 0;
}

/* Like xen-livepatch: a command may be abbreviated to any prefix. */
static int run(int argc, char *argv[])
{
    size_t n = strlen(argv[0]);

    for (size_t i = 0; i < ARRAY_SIZE(main_options); i++)
        if (strncmp(main_options[i].name, argv[0], n) == 0)
            return setup() ? 1 : main_options[i].function(argc - 1, argv + 1);
    for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
        if (strncmp(actions[i].name, argv[0], n) == 0)
            return setup() ? 1 : action_func(&actions[i], argc - 1, argv + 1);
    fprintf(stderr, "Unrecognised command '%s' -- try 'livepatch-ctl help'\n", argv[0]);
    return -1;
}

int main(int argc, char *argv[])
{
    int ret;

    setvbuf(stdout, NULL, _IONBF, 0);
    argc--, argv++;
    if (argc && strcmp(argv[0], "--force") == 0) {
#ifdef LIVEPATCH_FLAG_FORCE
        op_flags = LIVEPATCH_FLAG_FORCE;
        argc--, argv++;
#else
        fprintf(stderr, "--force: this Xen's interface has no LIVEPATCH_FLAG_FORCE\n");
        return EXIT_FAILURE;
#endif
    }
    if (argc < 1) {
        show_help();
        return 0;
    }
    ret = run(argc, argv);
    switch (ret) {
    case 0: return EXIT_SUCCESS;
    case EAGAIN:
    case EBUSY: return 2;
    default: return EXIT_FAILURE;
    }
}
