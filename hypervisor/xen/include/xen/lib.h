/*
 * Console output and the small formatted-print library (common/console.c,
 * common/vsprintf.c), plus panic, and Xen's checks on the hypervisor's own
 * state: BUG_ON, WARN_ON and ASSERT (bug frames, asm/bug.h). As in Xen,
 * ASSERT is compiled in only with CONFIG_DEBUG=y in .config (defconfig
 * leaves it off, so ASSERT costs nothing and emits no frame).
 */
#ifndef XEN_LIB_H
#define XEN_LIB_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <asm/bug.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void console_init(void);

#define BUG_ON(p) do { if (unlikely(p)) BUG(); } while (0)
#define WARN_ON(p) ({                    \
    bool ret_warn_on_ = (p);             \
    if (unlikely(ret_warn_on_))          \
        WARN();                          \
    unlikely(ret_warn_on_);              \
})

#ifdef CONFIG_DEBUG
#define ASSERT(p) do { if (unlikely(!(p))) assert_failed(#p); } while (0)
#define ASSERT_UNREACHABLE() assert_failed("unreachable")
#else
#define ASSERT(p) do { if (0 && (p)) {} } while (0)
#define ASSERT_UNREACHABLE() do { } while (0)
#endif
#endif
