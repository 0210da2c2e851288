/*
 * Exception tables: {addr, cont} pairs, both relative to the field's own
 * address, 8 bytes per entry, as in Xen 4.17 (struct exception_table_entry).
 * The fault handler looks the faulting RIP up in the hypervisor's table and
 * in every loaded payload's, and resumes at the continuation.
 */
#ifndef ASM_EXTABLE_H
#define ASM_EXTABLE_H
#include <stdint.h>
#include <stdbool.h>

struct exception_table_entry {
    int32_t addr, cont;
};

bool search_exception_table(uint64_t rip, uint64_t *fixup);
#endif
