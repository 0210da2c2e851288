/*
 * Page tables: the whole of RAM is identity-mapped with 4 KiB pages so that
 * every page can carry its own permission (W^X): hypervisor text RX, rodata
 * RO+NX, data RW+NX, payload regions as the live-patch core asks.
 */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H
#include <stdint.h>
#include <stdbool.h>

enum page_perm { PERM_NONE, PERM_RX, PERM_RW, PERM_RO, PERM_RWX, PERM_MMIO };

void paging_init(uint64_t ram_bytes);
/* Sets the permission of [va, va+bytes) (identity-mapped RAM); flushes locally. */
void set_page_perm(uint64_t va, uint64_t bytes, enum page_perm perm);
enum page_perm get_page_perm(uint64_t va);
bool page_is_mapped(uint64_t va);
void flush_tlb_local(void);
/* Flush every CPU's TLB; waits for the others unless IRQs are off here. */
void flush_tlb_all(void);
void tlb_flush_ipi_check(void); /* called by each CPU on a kick */

/* Page allocator over the RAM above the image. */
void *alloc_pages(uint64_t n);
void free_pages(void *p, uint64_t n);
uint64_t free_page_count(void);

/* Quiesce / revive: text and read-only pages become writable and back. */
void text_set_writable(bool writable);
#endif
