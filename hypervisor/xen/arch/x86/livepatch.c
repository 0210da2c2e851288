/*
 * x86-64 back end of the live-patch core (ABI doc §4.3, §4.9, §2.3, §5.5).
 *
 * Three jobs: accept only x86-64 little-endian ELF64; apply the three
 * relocation types a -fpic hypervisor object needs (64, PC32, PLT32) with
 * overflow checks; and patch a function. Patching writes a 5-byte
 * "jmp rel32" (E9) at the old function, after its ENDBR64 landing pad if it
 * has one (patch offset 4), or NOPs for a NOP patch, saving the bytes it
 * overwrites so that revert can put them back.
 */
#include "xen/livepatch_elf.h"
#include "xen/livepatch_platform.h"

#define LOG(elf, fmt, ...) lp_plat_printk("livepatch: %s: " fmt "\n", (elf)->name, ##__VA_ARGS__)

#define R_X86_64_NONE 0
#define R_X86_64_64 1
#define R_X86_64_PC32 2
#define R_X86_64_PLT32 4

static const uint8_t endbr64[ENDBR64_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const uint8_t endbr64_poison[ENDBR64_LEN] = { 0x66, 0x0f, 0x1f, 0x01 };

int arch_livepatch_verify_elf(const struct lp_elf *elf)
{
    const struct lp_ehdr *h = &elf->hdr;

    if ( h->e_machine != LP_EM_X86_64 || h->e_ident[4] != LP_ELFCLASS64 ||
         h->e_ident[5] != LP_ELFDATA2LSB )
    {
        LOG(elf, "Unsupported ELF Machine type");
        return -LP_EOPNOTSUPP;
    }
    return 0;
}

/* Checks of one RELA entry's symbol: 0 or -errno. */
static int rela_symbol_ok(const struct lp_elf *elf, uint64_t symndx)
{
    if ( symndx == 0 )
    {
        LOG(elf, "Encountered STN_UNDEF");
        return -LP_EOPNOTSUPP;
    }
    if ( symndx >= elf->nsym )
    {
        LOG(elf, "Relative relocation wants symbol@%llu which is past end", (unsigned long long)symndx);
        return -LP_EINVAL;
    }
    if ( elf->sym[symndx].ignored )
    {
        LOG(elf, "Relocation against ignored symbol %s cannot be resolved", elf->sym[symndx].name);
        return -LP_EINVAL;
    }
    return 0;
}

/* True if [off, off+width) lies inside a section of `size` bytes. */
static bool fits(uint64_t off, uint64_t width, uint64_t size)
{
    return off < size && width <= size - off;
}

static int rela_one(struct lp_elf *elf, const struct lp_elf_sec *base, const struct lp_rela *r)
{
    uint64_t symndx = r->r_info >> 32;
    uint32_t type = (uint32_t)r->r_info;
    int rc = rela_symbol_ok(elf, symndx);

    if ( rc )
        return rc;
    uint64_t val = elf->sym[symndx].sym.st_value + (uint64_t)r->r_addend;

    switch ( type )
    {
    case R_X86_64_NONE:
        return 0;
    case R_X86_64_64:
        if ( !fits(r->r_offset, 8, base->sh.sh_size) )
            break;
        lp_put64(base->load + r->r_offset, val);
        return 0;
    case R_X86_64_PC32:
    case R_X86_64_PLT32:
        if ( !fits(r->r_offset, 4, base->sh.sh_size) )
            break;
        val -= base->vaddr + r->r_offset;
        lp_put32(base->load + r->r_offset, (uint32_t)val);
        if ( (int64_t)val != (int64_t)(int32_t)(uint32_t)val )
        {
            LOG(elf, "Overflow in relocation %u in %s for %s", type, base->name,
                elf->sym[symndx].name);
            return -LP_EOVERFLOW;
        }
        return 0;
    default:
        LOG(elf, "Unhandled relocation %u", type);
        return -LP_EOPNOTSUPP;
    }
    LOG(elf, "Relocation %u in %s is past end of the section", type, base->name);
    return -LP_EINVAL;
}

int arch_livepatch_perform_rela(struct lp_elf *elf, const struct lp_elf_sec *base,
                                const struct lp_elf_sec *rela)
{
    uint64_t n = rela->sh.sh_size / rela->sh.sh_entsize;

    for ( uint64_t i = 0; i < n; i++ )
    {
        struct lp_rela r;
        lp_memcpy(&r, elf->raw + rela->sh.sh_offset + i * rela->sh.sh_entsize, sizeof(r));
        int rc = rela_one(elf, base, &r);
        if ( rc )
            return rc;
    }
    return 0;
}

unsigned int arch_livepatch_patch_offset(uint64_t addr)
{
    uint8_t b[ENDBR64_LEN];

    if ( lp_plat_peek(addr, b, sizeof(b)) )
        return 0;
    return (!lp_memcmp(b, endbr64, sizeof(b)) || !lp_memcmp(b, endbr64_poison, sizeof(b)))
           ? ENDBR64_LEN : 0;
}

/* §2.3 step 4. The caller has resolved old_addr. */
int arch_livepatch_verify_func(const struct livepatch_func *func)
{
    if ( !func->new_addr )
    {
        if ( func->new_size > LIVEPATCH_OPAQUE_SIZE )
            return -LP_EOPNOTSUPP;
        return func->old_size < func->new_size ? -LP_EINVAL : 0;
    }
    /* (bounds) Xen faults on an unmapped old_addr; here it is -EFAULT. */
    uint8_t b[ENDBR64_LEN];
    if ( lp_plat_peek(func->old_addr, b, sizeof(b)) )
        return -LP_EFAULT;
    uint32_t needed = ARCH_PATCH_INSN_SIZE + arch_livepatch_patch_offset(func->old_addr);
    return func->old_size < needed ? -LP_EINVAL : 0;
}

/* Xen's P6 "ideal" NOPs, 1..9 bytes. */
static const uint8_t p6_nops[9][9] = {
    { 0x90 },
    { 0x66, 0x90 },
    { 0x0f, 0x1f, 0x00 },
    { 0x0f, 0x1f, 0x40, 0x00 },
    { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
    { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
    { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
    { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void arch_livepatch_nops(uint8_t *buf, unsigned int len)
{
    while ( len )
    {
        unsigned int n = len > 9 ? 9 : len;
        lp_memcpy(buf, p6_nops[n - 1], n);
        buf += n;
        len -= n;
    }
}

/* Bytes the patch replaces: 5 for a jump, new_size - patch_offset for NOPs. */
static unsigned int patch_len(const struct livepatch_func *func, unsigned int patch_offset)
{
    if ( func->new_addr )
        return ARCH_PATCH_INSN_SIZE;
    return func->new_size - patch_offset; /* unsigned, as in Xen */
}

void arch_livepatch_apply(const struct livepatch_func *func, struct livepatch_fstate *state)
{
    state->patch_offset = arch_livepatch_patch_offset(func->old_addr);
    unsigned int len = patch_len(func, state->patch_offset);
    uint64_t at = func->old_addr + state->patch_offset;
    uint8_t insn[LIVEPATCH_OPAQUE_SIZE];

    if ( !len )
        return;
    if ( len > LIVEPATCH_OPAQUE_SIZE ) /* (bounds) new_size < patch_offset */
        len = LIVEPATCH_OPAQUE_SIZE;
    lp_plat_peek(at, state->insn_buffer, len);
    if ( func->new_addr )
    {
        insn[0] = 0xe9;
        lp_put32(insn + 1, (uint32_t)(func->new_addr - (at + ARCH_PATCH_INSN_SIZE)));
    }
    else
        arch_livepatch_nops(insn, len);
    lp_plat_poke(at, insn, len);
}

void arch_livepatch_revert(const struct livepatch_func *func, struct livepatch_fstate *state)
{
    unsigned int len = patch_len(func, state->patch_offset);

    if ( !len )
        return;
    if ( len > LIVEPATCH_OPAQUE_SIZE )
        len = LIVEPATCH_OPAQUE_SIZE;
    lp_plat_poke(func->old_addr + state->patch_offset, state->insn_buffer, len);
}

int arch_livepatch_quiesce(void)
{
    lp_plat_text_writable(true);
    return 0;
}

void arch_livepatch_revive(void)
{
    lp_plat_text_writable(false);
}

void arch_livepatch_post_action(void)
{
    lp_plat_flush_tlb();
}
