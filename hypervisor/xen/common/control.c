/*
 * The control channel: frames from the host tool on COM2 (protocol in
 * include/public/control.h), served on CPU 0 from its main loop, which is
 * this hypervisor's "sysctl context". Each request maps onto one call of the
 * live-patch core (UPLOAD, GET, LIST, ACTION) or onto the hypercall table
 * and the workload report. ACTION only schedules, exactly like Xen's sysctl;
 * the main loop then joins the rendezvous and the tool polls GET.
 *
 * Receiving: COM2's receive interrupt (ISA IRQ 3 through the I/O APIC)
 * wakes CPU 0 whenever bytes arrive, and between bytes CPU 0 halts instead
 * of polling; a frame must keep coming with at most 2 s between bytes, and a
 * bad magic byte is skipped so the stream resynchronises.
 */
#include <xen/control.h>
#include <xen/serial.h>
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/hypercall.h>
#include <xen/livepatch.h>
#include <xen/version.h>
#include <xen/workload.h>
#include <public/control.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/processor.h>
#include <asm/apic.h>

#define RX_TIMEOUT_NS 2000000000ul

static uint8_t req_body[CTL_MAX_BODY] __aligned(PAGE_SIZE);
static uint8_t rsp_body[64 * 1024];

static bool channel_present;

void control_init(void)
{
    unsigned int i;

    channel_present = uart_present(COM2);
    if (!channel_present) {
        printk("control: no COM2, control channel disabled\n");
        return;
    }
    uart_init(COM2);
    uart_enable_rx_irq(COM2);
    ioapic_route_isa_irq(3, SERIAL_VECTOR);
    for (i = 0; i < 64 && uart_rx_ready(COM2); i++)
        uart_getc(COM2);
    printk("control: listening on COM2\n");
}

static bool read_bytes(uint8_t *p, uint64_t n)
{
    uint64_t deadline = now_ns() + RX_TIMEOUT_NS;

    while (n) {
        if (uart_rx_ready(COM2)) {
            *p++ = uart_getc(COM2);
            n--;
            deadline = now_ns() + RX_TIMEOUT_NS;
        } else if (now_ns() > deadline) {
            return false;
        } else {
            /*
             * Sleep until the receive interrupt (or the 1 ms tick). Spinning
             * on the status register would take QEMU's big lock over and over
             * and starve the main loop that refills the FIFO from the socket.
             */
            safe_halt();
        }
    }
    return true;
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

static void send_bytes(const uint8_t *p, uint64_t n)
{
    while (n--)
        uart_putc(COM2, *p++);
}

static void respond(uint32_t op, int32_t rc, const uint8_t *body, uint32_t len)
{
    uint8_t hdr[16], tail[4];

    put32(hdr, CTL_RSP_MAGIC);
    put32(hdr + 4, op);
    put32(hdr + 8, (uint32_t)rc);
    put32(hdr + 12, len);
    put32(tail, ctl_check(body, len));
    send_bytes(hdr, sizeof(hdr));
    send_bytes(body, len);
    send_bytes(tail, sizeof(tail));
}

/* A NUL-terminated string inside [p, p+len), or NULL. */
static const char *string_in(const uint8_t *p, uint32_t len)
{
    return len && p[len - 1] == '\0' ? (const char *)p : NULL;
}

static int32_t op_hello(const uint8_t *b, uint32_t len, uint32_t *out)
{
    uint32_t idlen = 0, i, n;
    const uint8_t *id = xen_build_id(&idlen);

    n = snprintf((char *)rsp_body, sizeof(rsp_body), "minixen %u.%u%s cpus %u build-id ",
                 xen_major_version(), xen_minor_version(), xen_extra_version(), nr_cpus_online);
    for (i = 0; id && i < idlen; i++)
        n += snprintf((char *)rsp_body + n, sizeof(rsp_body) - n, "%02x", id[i]);
    *out = n;
    return 0;
}

static int32_t op_upload(const uint8_t *b, uint32_t len, uint32_t *out)
{
    uint32_t flags, name_size;

    if (len < 8)
        return -EINVAL;
    flags = get32(b);
    name_size = get32(b + 4);
    if (name_size == 0 || name_size > len - 8 || b[8 + name_size - 1] != '\0')
        return -EINVAL;
    return livepatch_upload((const char *)b + 8, b + 8 + name_size, len - 8 - name_size, flags);
}

static int32_t op_get(const uint8_t *b, uint32_t len, uint32_t *out)
{
    const char *name = string_in(b, len);
    uint32_t state = 0;
    int32_t rc = 0, ret;

    if (!name)
        return -EINVAL;
    ret = livepatch_get(name, &state, &rc);
    put32(rsp_body, state);
    put32(rsp_body + 4, (uint32_t)rc);
    *out = 8;
    return ret;
}

static int32_t op_list(const uint8_t *b, uint32_t len, uint32_t *out)
{
    uint32_t version = 0, count = livepatch_list_count(&version), i, n = 8;

    put32(rsp_body, count);
    put32(rsp_body + 4, version);
    for (i = 0; i < count; i++) {
        const char *name = NULL, *meta = NULL;
        uint32_t state = 0, meta_len = 0, name_size;
        int32_t rc = 0;

        if (livepatch_list_entry(i, &name, &state, &rc, &meta, &meta_len))
            break;
        name_size = strlen(name) + 1;
        if (n + 16 + name_size + meta_len > sizeof(rsp_body))
            return -ENOBUFS;
        put32(rsp_body + n, state);
        put32(rsp_body + n + 4, (uint32_t)rc);
        put32(rsp_body + n + 8, name_size);
        memcpy(rsp_body + n + 12, name, name_size);
        n += 12 + name_size;
        put32(rsp_body + n, meta_len);
        if (meta_len)
            memcpy(rsp_body + n + 4, meta, meta_len);
        n += 4 + meta_len;
    }
    *out = n;
    return 0;
}

static int32_t op_action(const uint8_t *b, uint32_t len, uint32_t *out)
{
    const char *name = len > 12 ? string_in(b + 12, len - 12) : NULL;

    if (!name)
        return -EINVAL;
    return livepatch_action(name, get32(b), get32(b + 4), get32(b + 8));
}

static int32_t op_call(const uint8_t *b, uint32_t len, uint32_t *out)
{
    const char *name = len > 8 ? string_in(b + 8, len - 8) : NULL;
    struct hypercall_result res;
    int rc;

    if (!name)
        return -EINVAL;
    rc = hypercall_by_name(name, (int64_t)(get32(b) | (uint64_t)get32(b + 4) << 32), &res);
    put32(rsp_body, res.is_string);
    put64(rsp_body + 4, (uint64_t)res.value);
    memcpy(rsp_body + 12, res.text, strlen(res.text) + 1);
    *out = 12 + strlen(res.text) + 1;
    return rc;
}

static int32_t op_workload(const uint8_t *b, uint32_t len, uint32_t *out)
{
    *out = workload_report((char *)rsp_body, sizeof(rsp_body));
    return 0;
}

static int32_t (*const handlers[])(const uint8_t *, uint32_t, uint32_t *) = {
    [CTL_HELLO] = op_hello, [CTL_UPLOAD] = op_upload, [CTL_GET] = op_get,
    [CTL_LIST] = op_list, [CTL_ACTION] = op_action, [CTL_CALL] = op_call,
    [CTL_WORKLOAD] = op_workload,
};

static bool sync_magic(void)
{
    uint8_t b;
    uint32_t window = 0;
    unsigned int i;

    for (i = 0; i < 64; i++) {
        if (!read_bytes(&b, 1))
            return false;
        window = (window >> 8) | (uint32_t)b << 24;
        if (i >= 3 && window == CTL_REQ_MAGIC)
            return true;
    }
    return false;
}

static void serve_request(void);

bool control_poll(void)
{
    if (!channel_present || !uart_rx_ready(COM2))
        return false;
    serve_request();
    return true;
}

static void serve_request(void)
{
    uint8_t hdr[8], tail[4];
    uint32_t op, len, out = 0;
    int32_t rc;

    if (!sync_magic() || !read_bytes(hdr, 8))
        return;
    op = get32(hdr);
    len = get32(hdr + 4);
    if (len > sizeof(req_body)) {
        respond(op, -E2BIG, NULL, 0);
        return;
    }
    if (!read_bytes(req_body, len) || !read_bytes(tail, 4)) {
        printk("control: request truncated\n");
        return;
    }
    if (get32(tail) != ctl_check(req_body, len)) {
        respond(op, -EFAULT, NULL, 0);
        return;
    }
    if (op >= ARRAY_SIZE(handlers) || !handlers[op])
        rc = -EOPNOTSUPP;
    else
        rc = handlers[op](req_body, len, &out);
    respond(op, rc, rsp_body, out);
}
