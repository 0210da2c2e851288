/*
 * The workload CPU 1 runs: it keeps calling the patchable functions and
 * records every change of their results, so a test can see the old result,
 * then only the new one after APPLY, then the old one after REVERT.
 */
#ifndef XEN_WORKLOAD_H
#define XEN_WORKLOAD_H
#include <stddef.h>
void workload_main(void) __attribute__((noreturn));
/* Writes the text report into buf; returns its length. */
size_t workload_report(char *buf, size_t size);
#endif
