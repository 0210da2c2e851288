/*
 * Console output and the small formatted-print library (common/console.c,
 * common/vsprintf.c), plus panic.
 */
#ifndef XEN_LIB_H
#define XEN_LIB_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void console_init(void);
#endif
