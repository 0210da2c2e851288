/*
 * Included first by every C and assembly file (-include include/xen/config.h),
 * as in Xen. It pulls in the build configuration and, for C, makes every
 * declaration hidden: with -fpic that keeps references PC-relative (no GOT),
 * which is what lets payloads carry only R_X86_64_64/PC32/PLT32 relocations.
 */
#ifndef XEN_CONFIG_H
#define XEN_CONFIG_H

#include <generated/autoconf.h>

#ifndef __ASSEMBLY__
#pragma GCC visibility push(hidden)

/* Functions reached through a function pointer get an ENDBR64 landing pad. */
#define cf_check __attribute__((cf_check))
#define noinline __attribute__((noinline))
#define __used __attribute__((used))
#define __section(s) __attribute__((__section__(s)))
#define __aligned(a) __attribute__((aligned(a)))
#define __packed __attribute__((packed))
#define __noreturn __attribute__((noreturn))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096
#define NR_CPUS 8
#define STACK_SIZE 16384

#endif /* XEN_CONFIG_H */
