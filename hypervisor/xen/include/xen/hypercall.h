/*
 * The "hypercalls" whose results example patches change. Each is a separate
 * non-inline function in its own file under common/ so a patch can target it;
 * they are reached through the table in common/hypercall.c by name.
 */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H
#include <stddef.h>
#include <stdint.h>

#define TABLE_SIZE 8

long do_compute(long x);        /* common/compute.c */
extern long compute_scale;      /* its initialised data */
long do_table_lookup(long idx); /* common/table.c: misses the upper bound check */

/* Result of a hypercall: a number, or a string copied into text. */
struct hypercall_result {
    int is_string;
    int64_t value;
    char text[128];
};

/* Calls hypercall `name` with `arg`; 0, or -ENOSYS for an unknown name. */
int hypercall_by_name(const char *name, int64_t arg, struct hypercall_result *res);
/* Names of all hypercalls, NULL-terminated, for the help text. */
const char *hypercall_name(unsigned int idx);
#endif
