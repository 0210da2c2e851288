/*
 * The runtime symbol table generated at link time (tools/symbols.awk): every
 * text, data, rodata and bss symbol of xen-syms, globals by name and statics
 * as "path/file.c#name", sorted by name.
 */
#ifndef XEN_SYMBOLS_H
#define XEN_SYMBOLS_H
#include <stdint.h>
uint64_t symbols_lookup_by_name(const char *name);  /* 0 if absent */
/* Name of the symbol containing addr, or NULL; *offset = addr - start. */
const char *symbols_lookup(uint64_t addr, uint64_t *offset);
uint64_t symbols_count(void);
#endif
