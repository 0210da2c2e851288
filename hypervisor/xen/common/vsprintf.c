/*
 * A small vsnprintf: %d %i %u %x %X %p %s %c %% with the l/ll/z length
 * modifiers, field width, '0' padding, '-' alignment and precision for %s.
 * Enough for the hypervisor's and the live-patch core's messages.
 */
#include <xen/lib.h>

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;

    if (!left)
        while (fill-- > 0)
            put(o, pad);
    while (n--)
        put(o, *s++);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

static size_t format_number(char *tmp, uint64_t v, unsigned int base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0, i;

    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return n;
}

struct spec {
    bool left, zero;
    int width, precision, longs;
};

static const char *parse_spec(const char *f, struct spec *sp)
{
    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        sp->precision = 0;
        for (f++; *f >= '0' && *f <= '9'; f++)
            sp->precision = sp->precision * 10 + (*f - '0');
    }
    for (; *f == 'l' || *f == 'z'; f++)
        sp->longs++;
    return f;
}

static void emit_integer(struct out *o, const struct spec *sp, char conv, va_list *ap)
{
    char tmp[24];
    uint64_t v;
    bool neg = false;
    size_t n;

    if (conv == 'd' || conv == 'i') {
        int64_t s = sp->longs ? va_arg(*ap, int64_t) : va_arg(*ap, int);
        neg = s < 0;
        v = neg ? -(uint64_t)s : (uint64_t)s;
    } else if (conv == 'p') {
        v = (uint64_t)va_arg(*ap, void *);
    } else {
        v = sp->longs ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned int);
    }
    n = format_number(tmp, v, (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10, conv == 'X');
    if (conv == 'p') {
        put(o, '0');
        put(o, 'x');
    }
    if (neg) {
        put(o, '-');
        put_padded(o, tmp, n, sp->width - 1, sp->left, sp->zero ? '0' : ' ');
    } else {
        put_padded(o, tmp, n, sp->width, sp->left, sp->zero ? '0' : ' ');
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    va_list args;

    va_copy(args, ap);
    for (; *fmt; fmt++) {
        struct spec sp;
        const char *s;
        char c;

        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt = parse_spec(fmt + 1, &sp);
        switch (*fmt) {
        case 's':
            s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, s, sp.precision >= 0 ? strnlen(s, sp.precision) : strlen(s),
                       sp.width, sp.left, ' ');
            break;
        case 'c':
            c = (char)va_arg(args, int);
            put_padded(&o, &c, 1, sp.width, sp.left, ' ');
            break;
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'p':
            emit_integer(&o, &sp, *fmt, &args);
            break;
        case '\0':
            fmt--;
            break;
        default:
            put(&o, *fmt);
            break;
        }
    }
    va_end(args);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
