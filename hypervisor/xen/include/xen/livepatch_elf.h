/*
 * The payload's ELF file as the loader sees it (ABI doc §4.3-§4.9).
 *
 * The upload buffer is parsed into a section table and a symbol table of
 * private, aligned copies: every record is copied out of the buffer with
 * memcpy, so a payload may put its tables at any offset. Section names and
 * symbol names point into the buffer; the string-table checks guarantee they
 * are NUL-terminated inside it. move_payload (livepatch.c) gives each
 * SHF_ALLOC section its place in payload memory (load, vaddr); resolution
 * and relocation then work on those addresses.
 *
 * Internal to the live-patch core.
 */
#ifndef XEN_LIVEPATCH_ELF_H
#define XEN_LIVEPATCH_ELF_H

#include <stdbool.h>
#include <stdint.h>

#include "xen/livepatch.h"

#ifdef __cplusplus
extern "C" {
#endif

#define lp_memcpy __builtin_memcpy
#define lp_memset __builtin_memset
#define lp_memcmp __builtin_memcmp
#define lp_strlen __builtin_strlen

/* ELF constants the loader uses. */
#define LP_ET_REL 1
#define LP_EM_X86_64 62
#define LP_ELFCLASS64 2
#define LP_ELFDATA2LSB 1
#define LP_EV_CURRENT 1
#define LP_ELFOSABI_SYSV 0
#define LP_ELFOSABI_FREEBSD 9

#define LP_SHT_SYMTAB 2
#define LP_SHT_STRTAB 3
#define LP_SHT_RELA 4
#define LP_SHT_NOBITS 8
#define LP_SHT_REL 9

#define LP_SHF_WRITE 0x1
#define LP_SHF_ALLOC 0x2
#define LP_SHF_EXECINSTR 0x4
#define LP_SHF_MERGE 0x10

#define LP_SHN_UNDEF 0
#define LP_SHN_LORESERVE 0xff00
#define LP_SHN_ABS 0xfff1
#define LP_SHN_COMMON 0xfff2

#define LP_EHDR_SIZE 64
#define LP_SHDR_SIZE 64
#define LP_SYM_SIZE 24
#define LP_RELA_SIZE 24
#define LP_REL_SIZE 16
#define LP_MAX_SECTIONS 1024

#define LP_NT_GNU_BUILD_ID 3
#define LP_NOTE_HDR 12

struct lp_ehdr {
    uint8_t e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct lp_shdr {
    uint32_t sh_name, sh_type;
    uint64_t sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info;
    uint64_t sh_addralign, sh_entsize;
};

struct lp_esym {
    uint32_t st_name;
    uint8_t st_info, st_other;
    uint16_t st_shndx;
    uint64_t st_value, st_size;
};

struct lp_rela {
    uint64_t r_offset, r_info;
    int64_t r_addend;
};

struct lp_elf_sec {
    struct lp_shdr sh;
    const char *name;   /* into .shstrtab of the buffer */
    uint8_t *load;      /* payload memory (SHF_ALLOC only), else NULL */
    uint64_t vaddr;     /* runtime address of load */
};

struct lp_elf_sym {
    struct lp_esym sym; /* st_value resolved in place */
    const char *name;
    bool ignored;       /* defined in a non-ALLOC section */
};

struct lp_elf {
    const char *name;   /* payload name, for log lines */
    uint8_t *raw;       /* private copy of the upload */
    uint64_t len;
    struct lp_ehdr hdr;
    struct lp_elf_sec *sec;
    unsigned int nsec;
    struct lp_elf_sym *sym;
    unsigned int nsym;
    unsigned int symtab_idx;
    const char *strtab;
    uint64_t strtab_size;
    void *tables;       /* allocation holding sec[] and sym[] */
    uint64_t tables_bytes;
};

/* Parse and check header, sections, names and symbols: 0 or -errno. */
int livepatch_elf_load(struct lp_elf *elf, uint8_t *raw, uint64_t len, const char *name);
void livepatch_elf_free(struct lp_elf *elf);
/* First section with this name (index 1..), or NULL. */
const struct lp_elf_sec *livepatch_elf_sec_by_name(const struct lp_elf *elf, const char *name);
/* Raw file bytes of a section, or NULL if it has none inside the file. */
const uint8_t *livepatch_elf_sec_data(const struct lp_elf *elf, const struct lp_elf_sec *sec);
/* §4.8: UNDEF symbols through livepatch_symbols_lookup_by_name. */
int livepatch_elf_resolve_symbols(struct lp_elf *elf);
/* §4.9 */
int livepatch_elf_perform_relocs(struct lp_elf *elf);

/* Xen's table, then the new symbols of every loaded payload (livepatch.c). */
uint64_t livepatch_symbols_lookup_by_name(const char *name);

/* Little-endian field readers for unaligned data. */
static inline uint32_t lp_get32(const void *p) { uint32_t v; lp_memcpy(&v, p, 4); return v; }
static inline uint64_t lp_get64(const void *p) { uint64_t v; lp_memcpy(&v, p, 8); return v; }
static inline void lp_put32(void *p, uint32_t v) { lp_memcpy(p, &v, 4); }
static inline void lp_put64(void *p, uint64_t v) { lp_memcpy(p, &v, 8); }

/* ---- x86 back end (arch/x86/livepatch.c) ---- */
#define ARCH_PATCH_INSN_SIZE 5
#define ENDBR64_LEN 4

int arch_livepatch_verify_elf(const struct lp_elf *elf);
int arch_livepatch_perform_rela(struct lp_elf *elf, const struct lp_elf_sec *base,
                                const struct lp_elf_sec *rela);
int arch_livepatch_verify_func(const struct livepatch_func *func);
/* 0 or 4: whether the bytes at addr are ENDBR64 or its poison. */
unsigned int arch_livepatch_patch_offset(uint64_t addr);
void arch_livepatch_apply(const struct livepatch_func *func, struct livepatch_fstate *state);
void arch_livepatch_revert(const struct livepatch_func *func, struct livepatch_fstate *state);
int arch_livepatch_quiesce(void);
void arch_livepatch_revive(void);
void arch_livepatch_post_action(void);
/* Xen's P6 NOPs: fill buf with len bytes of NOPs (len <= 31). */
void arch_livepatch_nops(uint8_t *buf, unsigned int len);

#ifdef __cplusplus
}
#endif

#endif /* XEN_LIVEPATCH_ELF_H */
