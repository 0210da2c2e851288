/*
 * ELF checks of a live-patch payload: header, section table, names and
 * symbols, then symbol resolution and relocations (ABI doc §4.3-§4.9).
 *
 * Each check is restated from Xen's livepatch_elf.c in Xen's order and with
 * Xen's errno, because tools and tests key on the exact error. Where Xen
 * would read outside the upload (it trusts some offsets), this code refuses
 * with -EINVAL instead; those places are marked "(bounds)".
 *
 * Records are copied out of the buffer (lp_memcpy) before use, so nothing
 * here depends on the alignment of the tables inside the file.
 */
#include "xen/livepatch_elf.h"
#include "xen/livepatch_platform.h"

#define LOG(elf, fmt, ...) lp_plat_printk("livepatch: %s: " fmt "\n", (elf)->name, ##__VA_ARGS__)

static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

/* §4.3, the generic half (Xen's livepatch_header_check). */
static int header_check(struct lp_elf *elf)
{
    const struct lp_ehdr *h = &elf->hdr;

    if ( elf->len < LP_EHDR_SIZE )
    {
        LOG(elf, "Section header is bigger than payload");
        return -LP_EINVAL;
    }
    lp_memcpy(&elf->hdr, elf->raw, sizeof(elf->hdr));
    if ( lp_memcmp(h->e_ident, elf_magic, 4) )
    {
        LOG(elf, "Not an ELF payload");
        return -LP_EINVAL;
    }
    if ( h->e_version != LP_EV_CURRENT || h->e_ident[6] != LP_EV_CURRENT ||
         h->e_ident[8] != 0 ||
         (h->e_ident[7] != LP_ELFOSABI_SYSV && h->e_ident[7] != LP_ELFOSABI_FREEBSD) ||
         h->e_type != LP_ET_REL || h->e_phnum != 0 )
    {
        LOG(elf, "Invalid ELF payload");
        return -LP_EOPNOTSUPP;
    }
    int rc = arch_livepatch_verify_elf(elf);
    if ( rc )
        return rc;
    if ( h->e_shstrndx == LP_SHN_UNDEF )
    {
        LOG(elf, "Section name idx is undefined");
        return -LP_EINVAL;
    }
    if ( h->e_shnum >= LP_MAX_SECTIONS )
    {
        LOG(elf, "Too many (%u) sections", h->e_shnum);
        return -LP_EOPNOTSUPP;
    }
    if ( h->e_shstrndx >= h->e_shnum )
    {
        LOG(elf, "Section name idx (%u) is past end of sections (%u)", h->e_shstrndx, h->e_shnum);
        return -LP_EINVAL;
    }
    if ( h->e_shoff >= elf->len )
    {
        LOG(elf, "Bogus e_shoff");
        return -LP_EINVAL;
    }
    if ( h->e_shentsize < LP_SHDR_SIZE )
    {
        LOG(elf, "Section header size is %u, expected at least %u", h->e_shentsize, LP_SHDR_SIZE);
        return -LP_EINVAL;
    }
    if ( (elf->len - h->e_shoff) / h->e_shentsize < h->e_shnum )
    {
        LOG(elf, "Section header table is past end of payload");
        return -LP_EINVAL;
    }
    return 0;
}

/* A string table: SHT_STRTAB, non-empty, first and last byte NUL. */
static bool string_table_ok(const struct lp_elf *elf, const struct lp_elf_sec *s)
{
    if ( s->sh.sh_type != LP_SHT_STRTAB || !s->sh.sh_size )
        return false;
    const uint8_t *d = elf->raw + s->sh.sh_offset;
    return d[0] == 0 && d[s->sh.sh_size - 1] == 0;
}

static bool is_pow2(uint64_t v) { return (v & (v - 1)) == 0; }

/* §4.4: one section header. */
static int check_section(struct lp_elf *elf, unsigned int i)
{
    const struct lp_shdr *sh = &elf->sec[i].sh;

    if ( sh->sh_offset < LP_EHDR_SIZE )
    {
        LOG(elf, "Section [%u] data is at ELF header", i);
        return -LP_EINVAL;
    }
    if ( sh->sh_type != LP_SHT_NOBITS &&
         (sh->sh_offset > elf->len || sh->sh_size > elf->len - sh->sh_offset) )
    {
        LOG(elf, "Section [%u] data is past end of payload", i);
        return -LP_EINVAL;
    }
    if ( sh->sh_addralign && !is_pow2(sh->sh_addralign) )
    {
        LOG(elf, "Section [%u] alignment (0x%llx) is not supported", i,
            (unsigned long long)sh->sh_addralign);
        return -LP_EOPNOTSUPP;
    }
    if ( sh->sh_addralign && sh->sh_addr % sh->sh_addralign )
    {
        LOG(elf, "Section [%u] address (0x%llx) is not aligned properly (0x%llx)", i,
            (unsigned long long)sh->sh_addr, (unsigned long long)sh->sh_addralign);
        return -LP_EINVAL;
    }
    if ( (sh->sh_flags & (LP_SHF_WRITE | LP_SHF_ALLOC)) && sh->sh_type == LP_SHT_NOBITS &&
         sh->sh_size > LIVEPATCH_MAX_SIZE )
        return -LP_EINVAL;
    if ( sh->sh_type == LP_SHT_SYMTAB )
    {
        if ( elf->symtab_idx )
        {
            LOG(elf, "Unsupported multiple symbol tables");
            return -LP_EOPNOTSUPP;
        }
        elf->symtab_idx = i;
        if ( sh->sh_link >= elf->nsec )
        {
            LOG(elf, "Symbol table idx (%u) to strtab past end (%u)", sh->sh_link, elf->nsec);
            return -LP_EINVAL;
        }
    }
    return 0;
}

/* §4.4: the section table, then the symbol table's shape. */
static int resolve_sections(struct lp_elf *elf)
{
    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        lp_memcpy(&elf->sec[i].sh,
                  elf->raw + elf->hdr.e_shoff + (uint64_t)i * elf->hdr.e_shentsize,
                  sizeof(struct lp_shdr));
        int rc = check_section(elf, i);
        if ( rc )
            return rc;
    }
    if ( !elf->symtab_idx )
    {
        LOG(elf, "No symbol table found");
        return -LP_EINVAL;
    }
    const struct lp_shdr *st = &elf->sec[elf->symtab_idx].sh;
    if ( !st->sh_size || st->sh_entsize < LP_SYM_SIZE || st->sh_size % st->sh_entsize )
    {
        LOG(elf, "Symbol table header is corrupted");
        return -LP_EINVAL;
    }
    const struct lp_elf_sec *str = &elf->sec[st->sh_link];
    if ( !string_table_ok(elf, str) )
    {
        LOG(elf, "String table section is corrupted");
        return -LP_EINVAL;
    }
    elf->strtab = (const char *)elf->raw + str->sh.sh_offset;
    elf->strtab_size = str->sh.sh_size;
    return 0;
}

/* §4.5: .shstrtab and every sh_name. */
static int resolve_section_names(struct lp_elf *elf)
{
    const struct lp_elf_sec *s = &elf->sec[elf->hdr.e_shstrndx];

    if ( !string_table_ok(elf, s) )
    {
        LOG(elf, "Section name string table is corrupted");
        return -LP_EINVAL;
    }
    const char *names = (const char *)elf->raw + s->sh.sh_offset;
    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        if ( elf->sec[i].sh.sh_name >= s->sh.sh_size )
        {
            LOG(elf, "Section [%u] name offset (%u) is past the end of the string table", i,
                elf->sec[i].sh.sh_name);
            return -LP_EINVAL;
        }
        elf->sec[i].name = names + elf->sec[i].sh.sh_name;
    }
    return 0;
}

/* §4.5: symbols 1..nsym-1. */
static int get_symbols(struct lp_elf *elf)
{
    const struct lp_shdr *st = &elf->sec[elf->symtab_idx].sh;

    for ( unsigned int i = 1; i < elf->nsym; i++ )
    {
        struct lp_elf_sym *s = &elf->sym[i];
        lp_memcpy(&s->sym, elf->raw + st->sh_offset + (uint64_t)i * st->sh_entsize, LP_SYM_SIZE);
        if ( s->sym.st_name >= elf->strtab_size )
        {
            LOG(elf, "Symbol [%u] name is not within the string table", i);
            return -LP_EINVAL;
        }
        s->name = elf->strtab + s->sym.st_name;
    }
    return 0;
}

/* Section and symbol arrays live in one allocation, sized once the symtab is known. */
static int alloc_tables(struct lp_elf *elf, unsigned int nsec, unsigned int nsym)
{
    uint64_t bytes = (uint64_t)nsec * sizeof(struct lp_elf_sec) +
                     (uint64_t)nsym * sizeof(struct lp_elf_sym);
    uint8_t *t = lp_plat_alloc(bytes);

    if ( !t )
        return -LP_ENOMEM;
    if ( elf->tables )
    {
        lp_memcpy(t, elf->sec, elf->nsec * sizeof(struct lp_elf_sec));
        lp_plat_free(elf->tables, elf->tables_bytes);
    }
    elf->tables = t;
    elf->tables_bytes = bytes;
    elf->sec = (struct lp_elf_sec *)t;
    elf->sym = (struct lp_elf_sym *)(t + (uint64_t)nsec * sizeof(struct lp_elf_sec));
    return 0;
}

int livepatch_elf_load(struct lp_elf *elf, uint8_t *raw, uint64_t len, const char *name)
{
    lp_memset(elf, 0, sizeof(*elf));
    elf->name = name;
    elf->raw = raw;
    elf->len = len;

    int rc = header_check(elf);
    if ( rc )
        return rc;
    elf->nsec = elf->hdr.e_shnum;
    rc = alloc_tables(elf, elf->nsec, 0);
    if ( rc )
        return rc;
    rc = resolve_sections(elf);
    if ( rc )
        return rc;
    rc = resolve_section_names(elf);
    if ( rc )
        return rc;
    const struct lp_shdr *st = &elf->sec[elf->symtab_idx].sh;
    unsigned int nsym = (unsigned int)(st->sh_size / st->sh_entsize);
    rc = alloc_tables(elf, elf->nsec, nsym);
    if ( rc )
        return rc;
    elf->nsym = nsym;
    return get_symbols(elf);
}

void livepatch_elf_free(struct lp_elf *elf)
{
    if ( elf->tables )
        lp_plat_free(elf->tables, elf->tables_bytes);
    elf->tables = NULL;
    elf->sec = NULL;
    elf->sym = NULL;
}

const struct lp_elf_sec *livepatch_elf_sec_by_name(const struct lp_elf *elf, const char *name)
{
    for ( unsigned int i = 1; i < elf->nsec; i++ )
        if ( elf->sec[i].name && !__builtin_strcmp(elf->sec[i].name, name) )
            return &elf->sec[i];
    return NULL;
}

const uint8_t *livepatch_elf_sec_data(const struct lp_elf *elf, const struct lp_elf_sec *sec)
{
    if ( sec->sh.sh_type == LP_SHT_NOBITS )
        return NULL; /* (bounds) NOBITS has no bytes in the file */
    return elf->raw + sec->sh.sh_offset;
}

/* §4.8, one symbol. */
static int resolve_symbol(struct lp_elf *elf, struct lp_elf_sym *s)
{
    uint16_t idx = s->sym.st_shndx;

    switch ( idx )
    {
    case LP_SHN_COMMON:
        LOG(elf, "Unexpected common symbol: %s", s->name);
        return -LP_EINVAL;
    case LP_SHN_UNDEF:
        s->sym.st_value = livepatch_symbols_lookup_by_name(s->name);
        if ( !s->sym.st_value )
        {
            LOG(elf, "Unknown symbol: %s", s->name);
            return -LP_ENOENT;
        }
        return 0;
    case LP_SHN_ABS:
        return 0;
    default:
        if ( idx >= LP_SHN_LORESERVE )
        {
            LOG(elf, "Unsupported symbol section index 0x%x: %s", idx, s->name);
            return -LP_EOPNOTSUPP;
        }
        if ( idx >= elf->nsec )
        {
            LOG(elf, "Out of bounds symbol section 0x%x", idx);
            return -LP_EINVAL;
        }
        if ( !(elf->sec[idx].sh.sh_flags & LP_SHF_ALLOC) )
        {
            s->ignored = true;
            return 0;
        }
        s->sym.st_value += elf->sec[idx].vaddr;
        return 0;
    }
}

int livepatch_elf_resolve_symbols(struct lp_elf *elf)
{
    for ( unsigned int i = 1; i < elf->nsym; i++ )
    {
        int rc = resolve_symbol(elf, &elf->sym[i]);
        if ( rc )
            return rc;
    }
    return 0;
}

/* §4.9, the generic checks of one relocation section. */
static int relocate_section(struct lp_elf *elf, unsigned int i)
{
    const struct lp_elf_sec *r = &elf->sec[i];
    const struct lp_shdr *sh = &r->sh;

    if ( sh->sh_info >= elf->nsec )
        return 0;
    const struct lp_elf_sec *base = &elf->sec[sh->sh_info];
    if ( !(base->sh.sh_flags & LP_SHF_ALLOC) )
        return 0;
    if ( sh->sh_link != elf->symtab_idx )
    {
        LOG(elf, "Relative link of %s is incorrect (%u, expected=%u)", r->name, sh->sh_link,
            elf->symtab_idx);
        return -LP_EINVAL;
    }
    if ( !sh->sh_size )
        return 0;
    bool rela = sh->sh_type == LP_SHT_RELA;
    if ( sh->sh_entsize < (rela ? LP_RELA_SIZE : LP_REL_SIZE) || sh->sh_size % sh->sh_entsize )
    {
        LOG(elf, "Section relative header is corrupted");
        return -LP_EINVAL;
    }
    if ( !rela )
    {
        LOG(elf, "SHT_REL relocation unsupported");
        return -LP_EOPNOTSUPP;
    }
    return arch_livepatch_perform_rela(elf, base, r);
}

int livepatch_elf_perform_relocs(struct lp_elf *elf)
{
    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        uint32_t t = elf->sec[i].sh.sh_type;
        if ( t != LP_SHT_RELA && t != LP_SHT_REL )
            continue;
        int rc = relocate_section(elf, i);
        if ( rc )
            return rc;
    }
    return 0;
}
