/*
 * The upload pipeline: from a checked ELF file to a loaded payload
 * (ABI doc §4.2, Xen's load_payload_data).
 *
 *   ELF checks -> .livepatch.xen_depends -> signature -> move_payload
 *   -> resolve symbols -> relocations -> check_special_sections
 *   -> check_patching_sections -> prepare_payload -> build_symbol_table
 *   -> secure_payload
 *
 * From Xen 4.20 .livepatch.xen_depends is checked right after the ELF
 * checks; before, after prepare_payload (xen/livepatch_version.h holds this
 * and the other per-release rules).
 *
 * Each step returns Xen's errno; any failure frees everything. Special
 * sections are looked up by exact name, first match. Xen keeps pointers into
 * payload memory for them and dereferences NULL when one lacks SHF_ALLOC;
 * this loader refuses such a section with -EINVAL instead.
 */
#include "xen/livepatch_core.h"
#include "xen/livepatch_platform.h"
#include "xen/livepatch_version.h"

#define LOG(elf, fmt, ...) lp_plat_printk("livepatch: %s: " fmt "\n", (elf)->name, ##__VA_ARGS__)

#define FUNC_SIZE sizeof(struct livepatch_func)
#define ALT_INSTR_SIZE 14
#define BUG_FRAME_SIZE 8
#define EX_ENTRY_SIZE 8
#define HOOK_PTR_SIZE 8

/* The patching sections: .livepatch.funcs and the eight hook sections (§1.1). */
struct hook_section {
    const char *name;
    enum lp_hook_kind kind;
    bool array;          /* load/unload: non-zero multiple of 8; others exactly 8 */
};

static const struct hook_section hook_sections[] = {
    { ".livepatch.hooks.load", LP_HOOK_LOAD, true },
    { ".livepatch.hooks.unload", LP_HOOK_UNLOAD, true },
    { ".livepatch.hooks.preapply", LP_HOOK_PREAPPLY, false },
    { ".livepatch.hooks.apply", LP_HOOK_APPLY, false },
    { ".livepatch.hooks.postapply", LP_HOOK_POSTAPPLY, false },
    { ".livepatch.hooks.prerevert", LP_HOOK_PREREVERT, false },
    { ".livepatch.hooks.revert", LP_HOOK_REVERT, false },
    { ".livepatch.hooks.postrevert", LP_HOOK_POSTREVERT, false },
};
#define N_HOOK_SECTIONS (sizeof(hook_sections) / sizeof(hook_sections[0]))

static const char *const bug_frame_sections[] = {
    ".bug_frames.0", ".bug_frames.1", ".bug_frames.2", ".bug_frames.3",
};

/* -------- §3.1 build-id notes -------- */

int lp_parse_buildid(const uint8_t *data, uint64_t size, const uint8_t **id, uint32_t *len)
{
    if ( !data || size <= LP_NOTE_HDR )
        return -LP_EINVAL;
    uint32_t namesz = lp_get32(data), descsz = lp_get32(data + 4), type = lp_get32(data + 8);
    if ( type != LP_NT_GNU_BUILD_ID )
        return -LP_ENODATA;
    if ( namesz + descsz < namesz )
        return -LP_EINVAL;
    if ( namesz < 4 )
        return -LP_EINVAL;
    if ( namesz + descsz > size - LP_NOTE_HDR )
        return -LP_EINVAL;
    for ( uint32_t i = 0; i < namesz; i++ ) /* strncmp(name, "GNU", namesz) */
    {
        char want = i < 3 ? "GNU"[i] : 0;
        if ( data[LP_NOTE_HDR + i] != (uint8_t)want )
            return -LP_ENODATA;
        if ( !want )
            break;
    }
    if ( !descsz )
        return -LP_EINVAL;
    uint64_t desc = ((uint64_t)namesz + 3) & ~3ull;
    if ( desc + descsz > size - LP_NOTE_HDR ) /* (bounds) padding not counted by Xen */
        return -LP_EINVAL;
    *id = data + LP_NOTE_HDR + desc;
    *len = descsz;
    return 0;
}

static bool same_build_id(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
    return alen == blen && !lp_memcmp(a, b, alen);
}

/* §3.2, first check after the ELF checks; read from the raw upload. */
static int check_xen_buildid(const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec = livepatch_elf_sec_by_name(elf, ".livepatch.xen_depends");
    const uint8_t *id, *xen_id;
    uint32_t len, xen_len = 0;

    if ( !sec )
    {
        LOG(elf, ".livepatch.xen_depends is missing");
        return -LP_EINVAL;
    }
    if ( lp_parse_buildid(livepatch_elf_sec_data(elf, sec), sec->sh.sh_size, &id, &len) )
    {
        LOG(elf, "Failed to get Xen build-id from .livepatch.xen_depends");
        return -LP_EINVAL;
    }
    xen_id = lp_plat_build_id(&xen_len);
    if ( !xen_id )
    {
        LOG(elf, "Xen has no build-id");
        return -LP_ENODATA;
    }
    if ( !same_build_id(id, len, xen_id, xen_len) )
    {
        LOG(elf, "Xen build-id mismatch");
        return -LP_EINVAL;
    }
    return 0;
}

/* -------- §4.7 layout -------- */

enum region_kind { REGION_TEXT, REGION_RW, REGION_RO, REGION_NONE };

static enum region_kind region_of(uint64_t flags)
{
    bool x = flags & LP_SHF_EXECINSTR, w = flags & LP_SHF_WRITE;
    if ( x && w )
        return REGION_NONE;
    return x ? REGION_TEXT : w ? REGION_RW : REGION_RO;
}

/* Xen's ROUNDUP, including ROUNDUP(x, 0) == 0. */
static uint64_t roundup(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

#define REGION_LIMIT (1ull << 30) /* (bounds) larger layouts cannot be allocated anyway */

/*
 * Placement follows Xen exactly, including its ROUNDUP(x, 0) == 0 quirk: a
 * section with sh_addralign 0 lands at offset 0 and resets the region's
 * running size, so it overlaps what came before (xen-livepatch-abi.md §9).
 * Xen then sizes the region by that running size and copies past the end of
 * its allocation; here the allocation covers the furthest end any section
 * reaches (`extent`), so the overlap stays inside the payload's own memory.
 */
static int move_payload(struct payload *p, struct lp_elf *elf)
{
    uint64_t size[3] = { 0, 0, 0 }, extent[3] = { 0, 0, 0 };

    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        const struct lp_shdr *sh = &elf->sec[i].sh;
        if ( !(sh->sh_flags & LP_SHF_ALLOC) )
            continue;
        enum region_kind r = region_of(sh->sh_flags);
        if ( r == REGION_NONE )
        {
            LOG(elf, "%s is writeable and executable", elf->sec[i].name);
            return -LP_EOPNOTSUPP;
        }
        uint64_t offset = roundup(size[r], sh->sh_addralign);
        if ( offset > REGION_LIMIT || sh->sh_size > REGION_LIMIT )
            return -LP_ENOMEM;
        elf->sec[i].vaddr = offset; /* region offset until the base is known */
        size[r] = offset + sh->sh_size;
        if ( size[r] > extent[r] )
            extent[r] = size[r];
    }
    uint64_t rw_base = LP_PAGE_ALIGN(extent[REGION_TEXT]);
    uint64_t ro_base = rw_base + LP_PAGE_ALIGN(extent[REGION_RW]);
    p->mem_size = LP_PAGE_ALIGN(ro_base + extent[REGION_RO]);
    p->mem = p->mem_size ? lp_plat_alloc(p->mem_size) : NULL;
    if ( !p->mem )
    {
        LOG(elf, "Could not allocate memory for payload");
        return -LP_ENOMEM;
    }
    uint64_t base = lp_plat_vaddr(p->mem), region_base[3] = { 0, rw_base, ro_base };
    struct lp_region *regions[3] = { &p->text, &p->rw, &p->ro };
    for ( unsigned int r = 0; r < 3; r++ )
    {
        regions[r]->mem = p->mem + region_base[r];
        regions[r]->vaddr = base + region_base[r];
        regions[r]->size = extent[r];
    }
    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        struct lp_elf_sec *s = &elf->sec[i];
        if ( !(s->sh.sh_flags & LP_SHF_ALLOC) )
            continue;
        enum region_kind r = region_of(s->sh.sh_flags);
        s->load = regions[r]->mem + s->vaddr;
        s->vaddr += regions[r]->vaddr;
        if ( s->sh.sh_type != LP_SHT_NOBITS )
            lp_memcpy(s->load, elf->raw + s->sh.sh_offset, s->sh.sh_size);
    }
    return 0;
}

/* -------- §4.10 special sections -------- */

/* A special section: absent (0, *out NULL), present and SHF_ALLOC, or -EINVAL. */
static int special(const struct lp_elf *elf, const char *name, const struct lp_elf_sec **out)
{
    *out = livepatch_elf_sec_by_name(elf, name);
    if ( *out && !((*out)->sh.sh_flags & LP_SHF_ALLOC) )
    {
        LOG(elf, "%s is not SHF_ALLOC", name);
        return -LP_EINVAL;
    }
    return 0;
}

static int check_special_sections(const struct lp_elf *elf)
{
    static const char *const names[] = { ".livepatch.depends", ".note.gnu.build-id" };

    for ( unsigned int i = 0; i < 2; i++ )
    {
        const struct lp_elf_sec *s = livepatch_elf_sec_by_name(elf, names[i]);
        if ( !s )
        {
            LOG(elf, "%s is missing", names[i]);
            return -LP_EINVAL;
        }
        if ( !s->sh.sh_size )
        {
            LOG(elf, "%s is empty", names[i]);
            return -LP_EINVAL;
        }
    }
    return 0;
}

static int check_patching_sections(const struct lp_elf *elf)
{
    bool found = false;

    for ( unsigned int i = 0; i <= N_HOOK_SECTIONS; i++ )
    {
        const char *name = i ? hook_sections[i - 1].name : ".livepatch.funcs";
        const struct lp_elf_sec *s = livepatch_elf_sec_by_name(elf, name);
        if ( !s )
            continue;
        found = true;
        if ( !s->sh.sh_size )
        {
            LOG(elf, "%s is empty", name);
            return -LP_EINVAL;
        }
    }
    if ( !found )
    {
        LOG(elf, "Nothing to patch. Aborting...");
        return -LP_EINVAL;
    }
    return 0;
}

void lp_func_get(const struct payload *p, unsigned int i, struct livepatch_func *f)
{
    lp_memcpy(f, (const uint8_t *)p->funcs + (uint64_t)i * FUNC_SIZE, FUNC_SIZE);
}

bool lp_read_name(uint64_t addr, char *buf, unsigned int size)
{
    if ( !addr )
        return false;
    for ( unsigned int i = 0; i < size; i++ )
    {
        if ( lp_plat_peek(addr + i, &buf[i], 1) )
            return false;
        if ( !buf[i] )
            return true;
    }
    return false;
}

/*
 * Bytes 33..71 of an entry (this loader, stricter than Xen). 4.17/4.18 keep
 * Xen's state there: an entry already marked applied (byte 64) would be
 * skipped at APPLY and its saved bytes "restored" at REVERT. 4.19+ ignore
 * the padding; a non-zero byte means the payload was made for the older
 * layout (or is corrupt), so it is refused rather than trusted.
 */
static int check_state_bytes(const struct lp_elf *elf, const struct livepatch_func *f,
                             unsigned int i)
{
    const uint8_t *state = &f->version + 1; /* bytes 33..71 */

    if ( livepatch_xen_rules()->funcs_state_in_payload )
    {
        if ( state[64 - 33] )
        {
            LOG(elf, "Function %u is already marked applied (byte 64 of livepatch_func)", i);
            return -LP_EINVAL;
        }
        return 0;
    }
    for ( unsigned int b = 0; b < sizeof(f->_pad); b++ )
        if ( state[b] )
        {
            LOG(elf, "Function %u: byte %u of livepatch_func is not zero (Xen %u.%u layout "
                "has padding at 33..71)", i, 33 + b, livepatch_xen_rules()->major,
                livepatch_xen_rules()->minor);
            return -LP_EINVAL;
        }
    return 0;
}

/* §2.3 for one func; old_addr is resolved and written back into payload memory. */
static int verify_func(struct payload *p, const struct lp_elf *elf, unsigned int i)
{
    struct livepatch_func f;
    char name[KSYM_NAME_LEN + 1];
    int rc;

    lp_func_get(p, i, &f);
    if ( f.version != LIVEPATCH_PAYLOAD_VERSION )
    {
        LOG(elf, "Wrong version (%u). Expected %d", f.version, LIVEPATCH_PAYLOAD_VERSION);
        return -LP_EOPNOTSUPP;
    }
    if ( !f.old_size )
    {
        LOG(elf, "Function %u has old_size 0", i);
        return -LP_EINVAL;
    }
    rc = check_state_bytes(elf, &f, i);
    if ( rc )
        return rc;
    if ( !f.old_addr )
    {
        if ( lp_read_name(f.name, name, sizeof(name)) )
            f.old_addr = livepatch_symbols_lookup_by_name(name);
        if ( !f.old_addr )
        {
            LOG(elf, "Could not resolve old address of function %u", i);
            return -LP_ENOENT;
        }
        lp_put64((uint8_t *)p->funcs + (uint64_t)i * FUNC_SIZE + 16, f.old_addr);
    }
    rc = arch_livepatch_verify_func(&f);
    if ( rc )
    {
        LOG(elf, "Function %u: incorrect size or unreadable old function", i);
        return rc;
    }
    int64_t off = (int64_t)(f.old_addr - f.new_addr);
    if ( f.new_addr && (off < -LP_ARCH_RANGE || off >= LP_ARCH_RANGE) )
    {
        LOG(elf, "Function %u: new function is too far from the old one", i);
        return -LP_EOVERFLOW;
    }
    return 0;
}

static int prepare_funcs(struct payload *p, const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec;
    int rc = special(elf, ".livepatch.funcs", &sec);

    if ( rc || !sec )
        return rc;
    if ( sec->sh.sh_size % FUNC_SIZE )
    {
        LOG(elf, "Wrong size of .livepatch.funcs");
        return -LP_EINVAL;
    }
    if ( livepatch_xen_rules()->funcs_must_be_writable && !(sec->sh.sh_flags & LP_SHF_WRITE) )
    {
        /* (this loader) Xen 4.18 would fault writing the applied state at APPLY. */
        LOG(elf, ".livepatch.funcs is read-only, but Xen %u.%u writes per-function state "
            "into it", livepatch_xen_rules()->major, livepatch_xen_rules()->minor);
        return -LP_EINVAL;
    }
    p->funcs = (const struct livepatch_func *)sec->load;
    p->nfuncs = (unsigned int)(sec->sh.sh_size / FUNC_SIZE);
    p->fstate = lp_plat_alloc(p->nfuncs * sizeof(struct livepatch_fstate));
    if ( !p->fstate )
        return -LP_ENOMEM;
    for ( unsigned int i = 0; i < p->nfuncs; i++ )
    {
        rc = verify_func(p, elf, i);
        if ( rc )
            return rc;
    }
    return 0;
}

static int prepare_hook(struct payload *p, const struct lp_elf *elf, const struct hook_section *h)
{
    const struct lp_elf_sec *sec;
    int rc = special(elf, h->name, &sec);

    if ( rc || !sec )
        return rc;
    if ( h->array ? sec->sh.sh_size % HOOK_PTR_SIZE : sec->sh.sh_size != HOOK_PTR_SIZE )
    {
        LOG(elf, "Wrong size of %s", h->name);
        return -LP_EINVAL;
    }
    if ( !h->array )
        p->hooks[h->kind] = lp_get64(sec->load);
    else if ( h->kind == LP_HOOK_LOAD )
    {
        p->load_funcs = sec->load;
        p->n_load_funcs = (unsigned int)(sec->sh.sh_size / HOOK_PTR_SIZE);
    }
    else
    {
        p->unload_funcs = sec->load;
        p->n_unload_funcs = (unsigned int)(sec->sh.sh_size / HOOK_PTR_SIZE);
    }
    return 0;
}

static int prepare_hooks(struct payload *p, const struct lp_elf *elf)
{
    for ( unsigned int i = 0; i < N_HOOK_SECTIONS; i++ )
    {
        int rc = prepare_hook(p, elf, &hook_sections[i]);
        if ( rc )
            return rc;
    }
    return 0;
}

/* A build-id note section of the payload, parsed from payload memory. */
static int payload_note(const struct lp_elf *elf, const char *name, const uint8_t **id,
                        uint32_t *len)
{
    const struct lp_elf_sec *sec;
    int rc = special(elf, name, &sec);

    if ( rc )
        return rc;
    rc = lp_parse_buildid(sec->load, sec->sh.sh_size, id, len);
    if ( rc )
        LOG(elf, "%s is not a valid build-id note", name);
    return rc;
}

static int prepare_build_ids(struct payload *p, const struct lp_elf *elf)
{
    int rc = payload_note(elf, ".note.gnu.build-id", &p->build_id, &p->build_id_len);

    if ( rc )
        return rc;
    for ( const struct payload *q = lp_payload_list; q; q = q->next )
        if ( same_build_id(q->build_id, q->build_id_len, p->build_id, p->build_id_len) )
        {
            LOG(elf, "Already loaded as %s", q->name);
            return -LP_EEXIST;
        }
    return payload_note(elf, ".livepatch.depends", &p->dep, &p->dep_len);
}

/*
 * .bug_frames.0..3: sizes in multiples of one 8-byte frame (an ASSERT entry
 * is two frames, as Xen counts them). The sections are kept so the #UD
 * handler can find a ud2 in the payload's text (livepatch_find_bug_frame).
 */
static int prepare_bug_frames(struct payload *p, const struct lp_elf *elf)
{
    for ( unsigned int i = 0; i < LP_BUGFRAME_NR; i++ )
    {
        const struct lp_elf_sec *sec;
        int rc = special(elf, bug_frame_sections[i], &sec);
        if ( rc )
            return rc;
        if ( !sec )
            continue;
        if ( sec->sh.sh_size % BUG_FRAME_SIZE )
        {
            LOG(elf, "Wrong size of %s", bug_frame_sections[i]);
            return -LP_EINVAL;
        }
        p->bug_frames[i].mem = sec->load;
        p->bug_frames[i].vaddr = sec->vaddr;
        p->bug_frames[i].n = (unsigned int)(sec->sh.sh_size / BUG_FRAME_SIZE);
    }
    return 0;
}

static bool range_in(uint64_t a, uint64_t len, uint64_t start, uint64_t size)
{
    return a >= start && a - start <= size && len <= size - (a - start);
}

/* .altinstructions: ranges are checked; the entries are validated, not applied. */
static int prepare_alternatives(struct payload *p, const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec, *repl;
    int rc = special(elf, ".altinstructions", &sec);

    if ( rc || !sec || !sec->sh.sh_size )
        return rc;
    if ( sec->sh.sh_size % ALT_INSTR_SIZE )
    {
        LOG(elf, "Wrong size of .altinstructions");
        return -LP_EINVAL;
    }
    rc = special(elf, ".altinstr_replacement", &repl);
    if ( rc )
        return rc;
    if ( !p->text.size || !repl )
    {
        LOG(elf, ".altinstructions without text or .altinstr_replacement");
        return -LP_EINVAL;
    }
    for ( uint64_t o = 0; o < sec->sh.sh_size; o += ALT_INSTR_SIZE )
    {
        const uint8_t *a = sec->load + o;
        uint64_t at = sec->vaddr + o;
        uint64_t orig = at + (int64_t)(int32_t)lp_get32(a);
        uint64_t rpl = at + 4 + (int64_t)(int32_t)lp_get32(a + 4);
        if ( !range_in(orig, a[10], p->text.vaddr, p->text.size) )
        {
            LOG(elf, "Alternative patching outside payload text");
            return -LP_EINVAL;
        }
        if ( !range_in(rpl, a[11], repl->vaddr, repl->sh.sh_size) )
        {
            LOG(elf, "Alternative replacement outside .altinstr_replacement");
            return -LP_EINVAL;
        }
    }
    return 0;
}

/* .alt_call_sites (4.21): ff 15 disp32 becomes "cs call rel32" to the pointer's value. */
static int patch_alt_call(struct payload *p, const struct lp_elf *elf, uint64_t site)
{
    uint8_t *code = p->text.mem + (site - p->text.vaddr);
    uint64_t target;

    if ( code[0] != 0xff || code[1] != 0x15 )
    {
        LOG(elf, "Unexpected alt_call site opcode");
        return -LP_EINVAL;
    }
    uint64_t ptr = site + 6 + (int64_t)(int32_t)lp_get32(code + 2);
    if ( lp_plat_peek(ptr, &target, 8) )
        return -LP_EFAULT; /* (bounds) Xen would fault */
    if ( !target )
    {
        static const uint8_t ud2x3[6] = { 0x0f, 0x0b, 0x0f, 0x0b, 0x0f, 0x0b };
        lp_memcpy(code, ud2x3, 6);
        return 0;
    }
    target += arch_livepatch_patch_offset(target);
    int64_t rel = (int64_t)(target - (site + 6));
    if ( rel < -LP_ARCH_RANGE || rel >= LP_ARCH_RANGE )
        return -LP_EOVERFLOW;
    code[0] = 0x2e;
    code[1] = 0xe8;
    lp_put32(code + 2, (uint32_t)rel);
    return 0;
}

static int prepare_alt_calls(struct payload *p, const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec;
    int rc;

    if ( !livepatch_xen_rules()->alt_call_sites ) /* ordinary data before 4.21 */
        return 0;
    rc = special(elf, ".alt_call_sites", &sec);
    if ( rc || !sec || !sec->sh.sh_size )
        return rc;
    if ( sec->sh.sh_size % 4 || !p->text.size )
    {
        LOG(elf, "Wrong size of .alt_call_sites, or no text");
        return -LP_EINVAL;
    }
    for ( uint64_t o = 0; o < sec->sh.sh_size; o += 4 )
    {
        uint64_t site = sec->vaddr + o + (int64_t)(int32_t)lp_get32(sec->load + o);
        if ( !range_in(site, 6, p->text.vaddr, p->text.size) )
        {
            LOG(elf, "alt_call site outside payload text");
            return -LP_EINVAL;
        }
        rc = patch_alt_call(p, elf, site);
        if ( rc )
            return rc;
    }
    return 0;
}

/* Absolute address of field `f` (0 addr, 1 cont) of ex_table entry i. */
static uint64_t ex_abs(const struct payload *p, unsigned int i, unsigned int f)
{
    const uint8_t *e = p->ex_table + (uint64_t)i * EX_ENTRY_SIZE + 4 * f;
    return p->ex_table_vaddr + (uint64_t)i * EX_ENTRY_SIZE + 4 * f + (int64_t)(int32_t)lp_get32(e);
}

static void ex_set(struct payload *p, unsigned int i, uint64_t addr, uint64_t cont)
{
    uint8_t *e = p->ex_table + (uint64_t)i * EX_ENTRY_SIZE;
    uint64_t at = p->ex_table_vaddr + (uint64_t)i * EX_ENTRY_SIZE;
    lp_put32(e, (uint32_t)(addr - at));
    lp_put32(e + 4, (uint32_t)(cont - (at + 4)));
}

/* Insertion sort by faulting address, re-encoding the self-relative fields. */
static void sort_ex_table(struct payload *p)
{
    for ( unsigned int i = 1; i < p->n_ex; i++ )
    {
        uint64_t addr = ex_abs(p, i, 0), cont = ex_abs(p, i, 1);
        unsigned int j = i;
        for ( ; j > 0 && ex_abs(p, j - 1, 0) > addr; j-- )
            ex_set(p, j, ex_abs(p, j - 1, 0), ex_abs(p, j - 1, 1));
        ex_set(p, j, addr, cont);
    }
}

static int prepare_ex_table(struct payload *p, const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec;
    int rc = special(elf, ".ex_table", &sec);

    if ( rc || !sec )
        return rc;
    if ( sec->sh.sh_size % EX_ENTRY_SIZE )
    {
        LOG(elf, "Wrong size of .ex_table");
        return -LP_EINVAL;
    }
    p->ex_table = sec->load;
    p->ex_table_vaddr = sec->vaddr;
    p->n_ex = (unsigned int)(sec->sh.sh_size / EX_ENTRY_SIZE);
    sort_ex_table(p);
    return 0;
}

/* .modinfo: last byte NUL; an empty one is refused (Xen would read before it). */
static int prepare_modinfo(struct payload *p, const struct lp_elf *elf)
{
    const struct lp_elf_sec *sec;
    int rc = special(elf, ".modinfo", &sec);

    if ( rc || !sec )
        return rc;
    if ( !sec->sh.sh_size || sec->load[sec->sh.sh_size - 1] )
    {
        LOG(elf, "Incorrect format of .modinfo");
        return -LP_EINVAL;
    }
    p->metadata = (const char *)sec->load;
    p->metadata_len = (uint32_t)sec->sh.sh_size;
    return 0;
}

/* prepare_payload's steps, in Xen's order. */
static int (*const prepare_steps[])(struct payload *, const struct lp_elf *) = {
    prepare_funcs, prepare_hooks, prepare_build_ids, prepare_bug_frames,
    prepare_alternatives, prepare_alt_calls, prepare_ex_table, prepare_modinfo,
};

static int prepare_payload(struct payload *p, const struct lp_elf *elf)
{
    for ( unsigned int i = 0; i < sizeof(prepare_steps) / sizeof(prepare_steps[0]); i++ )
    {
        int rc = prepare_steps[i](p, elf);
        if ( rc )
            return rc;
    }
    return 0;
}

/* -------- §4.11 symbols the payload exports -------- */

static bool is_payload_symbol(const struct lp_elf *elf, const struct lp_elf_sym *s)
{
    uint16_t idx = s->sym.st_shndx;

    if ( idx == LP_SHN_UNDEF || idx >= elf->nsec )
        return false;
    uint64_t flags = elf->sec[idx].sh.sh_flags;
    if ( !(flags & LP_SHF_ALLOC) || !s->name[0] )
        return false;
    return !(s->name[0] == '.' && s->name[1] == 'L' && (flags & LP_SHF_MERGE));
}

static bool overrides_func(const struct payload *p, uint64_t value)
{
    for ( unsigned int j = 0; j < p->nfuncs; j++ )
    {
        struct livepatch_func f;
        lp_func_get(p, j, &f);
        if ( f.new_addr == value )
            return true;
    }
    return false;
}

static bool new_symbol_exists(const char *name)
{
    if ( lp_plat_symbol(name) )
        return true;
    for ( const struct payload *q = lp_payload_list; q; q = q->next )
        for ( unsigned int i = 0; i < q->nsyms; i++ )
            if ( q->symtab[i].new_symbol && !__builtin_strcmp(q->symtab[i].name, name) )
                return true;
    return false;
}

static unsigned int name_len(const char *s)
{
    unsigned int n = 0;
    while ( s[n] && n < KSYM_NAME_LEN - 1 )
        n++;
    return n;
}

static int build_symbol_table(struct payload *p, const struct lp_elf *elf)
{
    unsigned int n = 0;
    uint64_t strbytes = 0;

    for ( unsigned int i = 1; i < elf->nsym; i++ )
        if ( is_payload_symbol(elf, &elf->sym[i]) )
        {
            n++;
            strbytes += name_len(elf->sym[i].name) + 1;
        }
    if ( !n )
        return 0;
    p->symtab_bytes = n * sizeof(struct lp_symbol);
    p->strtab_bytes = strbytes;
    p->symtab = lp_plat_alloc(p->symtab_bytes);
    p->strtab = lp_plat_alloc(p->strtab_bytes);
    if ( !p->symtab || !p->strtab )
        return -LP_ENOMEM;
    char *str = p->strtab;
    for ( unsigned int i = 1; i < elf->nsym; i++ )
    {
        const struct lp_elf_sym *s = &elf->sym[i];
        if ( !is_payload_symbol(elf, s) )
            continue;
        unsigned int len = name_len(s->name);
        struct lp_symbol *t = &p->symtab[p->nsyms++];
        lp_memcpy(str, s->name, len);
        str[len] = 0;
        t->name = str;
        t->value = s->sym.st_value;
        t->new_symbol = !overrides_func(p, t->value);
        str += len + 1;
    }
    for ( unsigned int i = 0; i < p->nsyms; i++ )
        if ( p->symtab[i].new_symbol && new_symbol_exists(p->symtab[i].name) )
        {
            LOG(elf, "duplicate new symbol: %s", p->symtab[i].name);
            return -LP_EEXIST;
        }
    return 0;
}

/* -------- permissions -------- */

static int secure_payload(struct payload *p)
{
    const struct { struct lp_region *r; int perm; } regions[] = {
        { &p->text, LP_PERM_RX }, { &p->rw, LP_PERM_RW }, { &p->ro, LP_PERM_RO },
    };

    for ( unsigned int i = 0; i < 3; i++ )
    {
        if ( !regions[i].r->size )
            continue;
        int rc = lp_plat_protect(regions[i].r->mem, LP_PAGE_ALIGN(regions[i].r->size),
                                 regions[i].perm);
        if ( rc )
            return rc;
    }
    return 0;
}

/* Re-apply after revert is safe iff the only non-empty rw section is .livepatch.funcs. */
static bool safe_to_reapply(const struct lp_elf *elf)
{
    for ( unsigned int i = 1; i < elf->nsec; i++ )
    {
        const struct lp_elf_sec *s = &elf->sec[i];
        if ( !(s->sh.sh_flags & LP_SHF_ALLOC) || region_of(s->sh.sh_flags) != REGION_RW ||
             !s->sh.sh_size )
            continue;
        if ( __builtin_strcmp(s->name, ".livepatch.funcs") )
            return false;
    }
    return true;
}

void lp_free_payload_data(struct payload *p)
{
    if ( p->mem )
        lp_plat_free(p->mem, p->mem_size);
    if ( p->fstate )
        lp_plat_free(p->fstate, p->nfuncs * sizeof(struct livepatch_fstate));
    if ( p->symtab )
        lp_plat_free(p->symtab, p->symtab_bytes);
    if ( p->strtab )
        lp_plat_free(p->strtab, p->strtab_bytes);
    p->mem = NULL;
    p->fstate = NULL;
    p->symtab = NULL;
    p->strtab = NULL;
}

/* The .livepatch.xen_depends check where the release does it (§4.2). */
static int xen_buildid_at(bool first, const struct lp_elf *elf)
{
    return livepatch_xen_rules()->build_id_first == first ? check_xen_buildid(elf) : 0;
}

static int load_steps(struct payload *p, struct lp_elf *elf)
{
    int rc;

    if ( (rc = xen_buildid_at(true, elf)) || (rc = lp_check_signature(elf)) ||
         (rc = move_payload(p, elf)) || (rc = livepatch_elf_resolve_symbols(elf)) ||
         (rc = livepatch_elf_perform_relocs(elf)) || (rc = check_special_sections(elf)) ||
         (rc = check_patching_sections(elf)) || (rc = prepare_payload(p, elf)) ||
         (rc = xen_buildid_at(false, elf)) || (rc = build_symbol_table(p, elf)) ||
         (rc = secure_payload(p)) )
        return rc;
    p->safe_to_reapply = safe_to_reapply(elf);
    return 0;
}

int lp_load_payload_data(struct payload *p, uint8_t *raw, uint64_t len)
{
    struct lp_elf elf;
    int rc = livepatch_elf_load(&elf, raw, len, p->name);

    if ( !rc )
        rc = load_steps(p, &elf);
    livepatch_elf_free(&elf);
    if ( rc )
        lp_free_payload_data(p);
    return rc;
}
