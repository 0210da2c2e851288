/*
 * The live-patch state machine: the payload list, the applied stack, and
 * the UPLOAD / GET / LIST / ACTION operations (ABI doc §3.3, §5).
 *
 * An ACTION only schedules work (§5.2). The work runs inside a rendezvous
 * of all CPUs (§5.3): the CPU that scheduled it becomes the master, kicks
 * the others into check_for_livepatch_work(), waits until all of them have
 * arrived and then until all have disabled interrupts, each wait bounded by
 * the action's timeout (-EBUSY when it passes). With every CPU parked the
 * master runs livepatch_do_action (§5.4): the action hook or the default
 * apply/revert, the applied-marker consistency check (a mismatch stops the
 * machine, as in Xen), and the applied-stack update. Post hooks run after
 * the rendezvous with interrupts on.
 *
 * Payloads form a stack: the first applied must depend on the hypervisor's
 * build-id, each later one on the payload below it; only the top reverts;
 * REPLACE reverts the whole stack and applies one payload in its place.
 */
#include "xen/livepatch_core.h"
#include "xen/livepatch_platform.h"

#define LP_MAX_CPUS 64

#define LOG(p, fmt, ...) lp_plat_printk("livepatch: %s: " fmt "\n", (p)->name, ##__VA_ARGS__)

struct payload *lp_payload_list;
static struct payload *applied_top;   /* applied stack; applied_next points down */
static uint32_t payload_cnt;
static uint32_t payload_version = 1;
static int payload_lock;

/* The scheduled action (§5.3). */
static struct {
    volatile int do_work;
    volatile int ready;
    int semaphore;
    struct payload *data;
    uint32_t cmd;
    uint64_t timeout;
} livepatch_work;
static volatile uint8_t work_to_do[LP_MAX_CPUS];

static void lock(void)
{
    while ( __atomic_exchange_n(&payload_lock, 1, __ATOMIC_ACQUIRE) )
        lp_plat_cpu_relax();
}

static void unlock(void)
{
    __atomic_store_n(&payload_lock, 0, __ATOMIC_RELEASE);
}

/* §4.1 name rule: size (strlen + 1) is 1..128. */
static bool name_ok(const char *name)
{
    if ( !name )
        return false;
    for ( unsigned int i = 0; i < XEN_LIVEPATCH_NAME_SIZE; i++ )
        if ( !name[i] )
            return true;
    return false;
}

static struct payload *find_payload(const char *name)
{
    for ( struct payload *p = lp_payload_list; p; p = p->next )
        if ( !__builtin_strcmp(p->name, name) )
            return p;
    return NULL;
}

uint64_t livepatch_symbols_lookup_by_name(const char *name)
{
    uint64_t v = lp_plat_symbol(name);

    if ( v )
        return v;
    for ( const struct payload *p = lp_payload_list; p; p = p->next )
        for ( unsigned int i = 0; i < p->nsyms; i++ )
            if ( p->symtab[i].new_symbol && !__builtin_strcmp(p->symtab[i].name, name) )
                return p->symtab[i].value;
    return 0;
}

int livepatch_init(void)
{
    return lp_signature_init();
}

/* -------- UPLOAD / GET / LIST -------- */

static void free_payload(struct payload *p)
{
    lp_free_payload_data(p);
    lp_plat_free(p, sizeof(*p));
}

static void list_append(struct payload *p)
{
    struct payload **tail = &lp_payload_list;
    while ( *tail )
        tail = &(*tail)->next;
    *tail = p;
    payload_cnt++;
    payload_version++;
}

static void list_remove(struct payload *p)
{
    for ( struct payload **q = &lp_payload_list; *q; q = &(*q)->next )
        if ( *q == p )
        {
            *q = p->next;
            break;
        }
    payload_cnt--;
    payload_version++;
}

/* Allocation, private copy of the upload, load_payload_data. */
static int upload_locked(const char *name, const void *buf, uint64_t size)
{
    if ( find_payload(name) )
        return -LP_EEXIST;
    struct payload *p = lp_plat_alloc(sizeof(*p));
    uint8_t *raw = lp_plat_alloc(size);
    if ( !p || !raw )
    {
        if ( p )
            lp_plat_free(p, sizeof(*p));
        if ( raw )
            lp_plat_free(raw, size);
        return -LP_ENOMEM;
    }
    lp_memcpy(p->name, name, lp_strlen(name) + 1);
    lp_memcpy(raw, buf, size);
    int rc = lp_load_payload_data(p, raw, size);
    lp_plat_free(raw, size);
    if ( rc )
    {
        lp_plat_free(p, sizeof(*p));
        return rc;
    }
    p->state = LIVEPATCH_STATE_CHECKED;
    list_append(p);
    LOG(p, "loaded (%u funcs)", p->nfuncs);
    return 0;
}

int livepatch_upload(const char *name, const void *buf, uint64_t size, uint32_t flags)
{
    if ( (flags & ~LIVEPATCH_FLAG_FORCE) && !(flags & LIVEPATCH_FLAG_FORCE) )
        return -LP_EINVAL;
    if ( !name_ok(name) || !buf || !size || size > LIVEPATCH_MAX_SIZE )
        return -LP_EINVAL;
    lock();
    int rc = upload_locked(name, buf, size);
    unlock();
    return rc;
}

int livepatch_get(const char *name, uint32_t *state, int32_t *rc)
{
    if ( !name_ok(name) )
        return -LP_EINVAL;
    lock();
    const struct payload *p = find_payload(name);
    if ( p )
    {
        *state = p->state;
        *rc = p->rc;
    }
    unlock();
    return p ? 0 : -LP_ENOENT;
}

uint32_t livepatch_list_count(uint32_t *version)
{
    if ( version )
        *version = payload_version;
    return payload_cnt;
}

int livepatch_list_entry(uint32_t idx, const char **name, uint32_t *state, int32_t *rc,
                         const char **meta, uint32_t *meta_len)
{
    const struct payload *p = lp_payload_list;

    for ( uint32_t i = 0; p && i < idx; i++ )
        p = p->next;
    if ( !p )
        return -LP_EINVAL;
    if ( name )
        *name = p->name;
    if ( state )
        *state = p->state;
    if ( rc )
        *rc = p->rc;
    if ( meta )
        *meta = p->metadata;
    if ( meta_len )
        *meta_len = p->metadata_len;
    return 0;
}

/* -------- lookups for the fault handler and backtraces -------- */

static bool in_region(const struct lp_region *r, uint64_t addr)
{
    return r->size && addr >= r->vaddr && addr - r->vaddr < r->size;
}

bool livepatch_is_patch(uint64_t addr)
{
    for ( const struct payload *p = lp_payload_list; p; p = p->next )
        if ( in_region(&p->text, addr) || in_region(&p->rw, addr) || in_region(&p->ro, addr) )
            return true;
    return false;
}

/* Binary search of a sorted payload exception table. */
static bool search_one_extable(const struct payload *p, uint64_t rip, uint64_t *fixup)
{
    unsigned int lo = 0, hi = p->n_ex;

    while ( lo < hi )
    {
        unsigned int mid = lo + (hi - lo) / 2;
        const uint8_t *e = p->ex_table + (uint64_t)mid * 8;
        uint64_t at = p->ex_table_vaddr + (uint64_t)mid * 8;
        uint64_t addr = at + (int64_t)(int32_t)lp_get32(e);
        if ( addr == rip )
        {
            *fixup = at + 4 + (int64_t)(int32_t)lp_get32(e + 4);
            return true;
        }
        if ( addr < rip )
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool livepatch_search_extable(uint64_t rip, uint64_t *fixup)
{
    for ( const struct payload *p = lp_payload_list; p; p = p->next )
        if ( in_region(&p->text, rip) && p->n_ex )
            return search_one_extable(p, rip, fixup);
    return false;
}

/*
 * The ud2 a bug frame points at: the low 24 bits of its first word are
 * loc_disp, signed and relative to the frame (asm/bug.h, BUG_DISP_WIDTH).
 */
static uint64_t bug_frame_loc(const uint8_t *frame, uint64_t at)
{
    int32_t disp = (int32_t)(lp_get32(frame) << 8) >> 8;

    return at + (int64_t)disp;
}

/*
 * Xen's do_invalid_op over a payload's virtual region: the payload whose
 * text holds rip, then its frames type by type in 8-byte steps (the second
 * frame of an ASSERT entry has loc_disp 0, so it never matches a text
 * address). Returns the frame's runtime address and type, or 0.
 */
uint64_t livepatch_find_bug_frame(uint64_t rip, unsigned int *type)
{
    for ( const struct payload *p = lp_payload_list; p; p = p->next )
    {
        if ( !in_region(&p->text, rip) )
            continue;
        for ( unsigned int t = 0; t < LP_BUGFRAME_NR; t++ )
        {
            const struct lp_bug_frames *bf = &p->bug_frames[t];
            for ( unsigned int i = 0; i < bf->n; i++ )
                if ( bug_frame_loc(bf->mem + (uint64_t)i * 8, bf->vaddr + (uint64_t)i * 8) == rip )
                {
                    *type = t;
                    return bf->vaddr + (uint64_t)i * 8;
                }
        }
        return 0;
    }
    return 0;
}

const char *livepatch_symbol_name(uint64_t addr, uint64_t *offset)
{
    for ( const struct payload *p = lp_payload_list; p; p = p->next )
    {
        if ( !in_region(&p->text, addr) )
            continue;
        const struct lp_symbol *best = NULL;
        for ( unsigned int i = 0; i < p->nsyms; i++ )
            if ( p->symtab[i].value <= addr && (!best || p->symtab[i].value > best->value) )
                best = &p->symtab[i];
        if ( best && offset )
            *offset = addr - best->value;
        return best ? best->name : NULL;
    }
    return NULL;
}

/* -------- build-id dependencies and expectations (§3.2, §2.2) -------- */

/* .livepatch.depends against the top of the stack, or Xen (always Xen for REPLACE). */
static int check_dependency(const struct payload *p, bool against_xen)
{
    const uint8_t *id;
    uint32_t len = 0;
    const char *what;

    if ( !against_xen && applied_top )
    {
        id = applied_top->build_id;
        len = applied_top->build_id_len;
        what = applied_top->name;
    }
    else
    {
        id = lp_plat_build_id(&len);
        what = "hypervisor";
        if ( !id )
            return -LP_ENODATA;
    }
    if ( p->dep_len != len || lp_memcmp(p->dep, id, len) )
    {
        LOG(p, "check against %s build-id failed", what);
        return -LP_EINVAL;
    }
    return 0;
}

static int verify_expectation(const struct payload *p, const struct livepatch_func *f)
{
    uint8_t flags = f->expect.flags, len = (flags >> 1) & 0x1f, actual[LIVEPATCH_OPAQUE_SIZE];

    if ( !(flags & 1) )
        return 0;
    if ( !f->old_addr )
        return -LP_EFAULT;
    if ( len > LIVEPATCH_OPAQUE_SIZE )
        return -LP_EOVERFLOW;
    if ( flags >> 6 )
        return -LP_EINVAL;
    if ( f->old_size < len )
        return -LP_ERANGE;
    if ( lp_plat_peek(f->old_addr, actual, len) )
        return -LP_EFAULT;
    if ( lp_memcmp(actual, f->expect.data, len) )
    {
        LOG(p, "expectation failed at 0x%llx (%u bytes): got %02x %02x.., expected %02x %02x..",
            (unsigned long long)f->old_addr, len, actual[0], len > 1 ? actual[1] : 0,
            f->expect.data[0], len > 1 ? f->expect.data[1] : 0);
        return -LP_EINVAL;
    }
    return 0;
}

static int check_expectations(const struct payload *p)
{
    for ( unsigned int i = 0; i < p->nfuncs; i++ )
    {
        struct livepatch_func f;
        lp_func_get(p, i, &f);
        int rc = verify_expectation(p, &f);
        if ( rc )
        {
            LOG(p, "expectations of function %u not met (%d)", i, rc);
            return rc;
        }
    }
    return 0;
}

/* -------- hooks and the default apply/revert (§5.4) -------- */

static int call_hook(struct payload *p, enum lp_hook_kind kind)
{
    return lp_plat_call_hook(kind, p->hooks[kind], p);
}

static void call_hook_array(struct payload *p, enum lp_hook_kind kind)
{
    const uint8_t *a = kind == LP_HOOK_LOAD ? p->load_funcs : p->unload_funcs;
    unsigned int n = kind == LP_HOOK_LOAD ? p->n_load_funcs : p->n_unload_funcs;

    for ( unsigned int i = 0; i < n; i++ )
        lp_plat_call_hook(kind, lp_get64(a + 8ull * i), p);
}

static void print_metadata(const struct payload *p)
{
    for ( uint32_t off = 0; off < p->metadata_len; )
    {
        const char *s = p->metadata + off;
        if ( *s )
            LOG(p, "%s", s);
        off += (uint32_t)lp_strlen(s) + 1;
    }
}

int apply_payload(struct payload *data)
{
    LOG(data, "Applying %u functions", data->nfuncs);
    arch_livepatch_quiesce();
    call_hook_array(data, LP_HOOK_LOAD);
    for ( unsigned int i = 0; i < data->nfuncs; i++ )
    {
        struct livepatch_func f;
        lp_func_get(data, i, &f);
        if ( data->fstate[i].applied == LIVEPATCH_FUNC_APPLIED )
        {
            LOG(data, "function %u already applied", i);
            continue;
        }
        arch_livepatch_apply(&f, &data->fstate[i]);
        data->fstate[i].applied = LIVEPATCH_FUNC_APPLIED;
    }
    arch_livepatch_revive();
    print_metadata(data);
    return 0;
}

void apply_payload_tail(struct payload *data)
{
    data->applied_next = applied_top;
    applied_top = data;
    data->state = LIVEPATCH_STATE_APPLIED;
}

int revert_payload(struct payload *data)
{
    LOG(data, "Reverting");
    arch_livepatch_quiesce();
    for ( unsigned int i = 0; i < data->nfuncs; i++ )
    {
        struct livepatch_func f;
        lp_func_get(data, i, &f);
        if ( !f.old_addr || data->fstate[i].applied == LIVEPATCH_FUNC_NOT_APPLIED )
            continue;
        arch_livepatch_revert(&f, &data->fstate[i]);
        data->fstate[i].applied = LIVEPATCH_FUNC_NOT_APPLIED;
    }
    call_hook_array(data, LP_HOOK_UNLOAD);
    arch_livepatch_revive();
    return 0;
}

void revert_payload_tail(struct payload *data)
{
    for ( struct payload **q = &applied_top; *q; q = &(*q)->applied_next )
        if ( *q == data )
        {
            *q = data->applied_next;
            break;
        }
    data->applied_next = NULL;
    data->reverted = true;
    data->state = LIVEPATCH_STATE_CHECKED;
}

/* Every func's marker must equal `expected` after an action (§2.4). */
static void check_markers(const struct payload *p, enum livepatch_func_state expected,
                          const char *action)
{
    for ( unsigned int i = 0; i < p->nfuncs; i++ )
        if ( p->fstate[i].applied != expected )
        {
            lp_plat_printk("livepatch: %s: %s: partially applied/reverted payload\n", p->name,
                           action);
            lp_plat_panic("livepatch: inconsistent applied markers");
        }
}

static int do_apply(struct payload *data)
{
    int rc = data->hooks[LP_HOOK_APPLY] ? call_hook(data, LP_HOOK_APPLY) : apply_payload(data);

    check_markers(data, rc ? LIVEPATCH_FUNC_NOT_APPLIED : LIVEPATCH_FUNC_APPLIED, "apply");
    if ( !rc )
        apply_payload_tail(data);
    return rc;
}

static int do_revert(struct payload *data)
{
    int rc = data->hooks[LP_HOOK_REVERT] ? call_hook(data, LP_HOOK_REVERT) : revert_payload(data);

    check_markers(data, rc ? LIVEPATCH_FUNC_APPLIED : LIVEPATCH_FUNC_NOT_APPLIED, "revert");
    if ( !rc )
        revert_payload_tail(data);
    return rc;
}

/* §3.3: revert the stack newest first, check expectations, apply data. */
static int do_replace(struct payload *data)
{
    while ( applied_top )
    {
        struct payload *other = applied_top;
        other->rc = do_revert(other);
        if ( other->rc )
            return -LP_EINVAL;
    }
    int rc = check_expectations(data);
    if ( rc )
    {
        LOG(data, "SYSTEM MIGHT BE INSECURE: Replace failed, expectations not met (%d)", rc);
        return rc;
    }
    return do_apply(data);
}

static void livepatch_do_action(void)
{
    struct payload *data = livepatch_work.data;
    int rc;

    switch ( livepatch_work.cmd )
    {
    case LIVEPATCH_ACTION_APPLY:
        rc = do_apply(data);
        break;
    case LIVEPATCH_ACTION_REVERT:
        rc = do_revert(data);
        break;
    case LIVEPATCH_ACTION_REPLACE:
        rc = do_replace(data);
        break;
    default:
        rc = -LP_EINVAL;
        break;
    }
    data->rc = rc;
}

/* -------- ACTION (§5.2) -------- */

static int schedule_work(struct payload *data, uint32_t cmd, uint32_t timeout)
{
    unsigned int cpu = lp_plat_cpu_id();

    if ( livepatch_work.do_work || cpu >= LP_MAX_CPUS )
    {
        LOG(data, "Not scheduling action, one is already pending");
        return -LP_EBUSY;
    }
    livepatch_work.cmd = cmd;
    livepatch_work.data = data;
    livepatch_work.timeout = timeout ? timeout : LIVEPATCH_DEFAULT_TIMEOUT_NS;
    __atomic_store_n(&livepatch_work.semaphore, -1, __ATOMIC_SEQ_CST);
    livepatch_work.ready = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    livepatch_work.do_work = 1;
    work_to_do[cpu] = 1;
    return 0;
}

static bool has_vetoing_hooks(const struct payload *p)
{
    return p->hooks[LP_HOOK_PREAPPLY] || p->hooks[LP_HOOK_POSTAPPLY] ||
           p->hooks[LP_HOOK_PREREVERT] || p->hooks[LP_HOOK_POSTREVERT];
}

/* A pre hook's veto: data->rc and the result are its return value. */
static int pre_hook(struct payload *data, enum lp_hook_kind kind)
{
    if ( !data->hooks[kind] )
        return 0;
    int r = call_hook(data, kind);
    if ( r )
    {
        LOG(data, "%s hook failed (%d)", kind == LP_HOOK_PREAPPLY ? "pre-apply" : "pre-revert", r);
        data->rc = r;
    }
    return r;
}

static int action_revert(struct payload *data, uint32_t timeout)
{
    if ( data->state != LIVEPATCH_STATE_APPLIED )
        return 0;
    if ( applied_top != data )
    {
        LOG(data, "can't revert. Top is %s", applied_top ? applied_top->name : "none");
        return -LP_EBUSY;
    }
    int rc = pre_hook(data, LP_HOOK_PREREVERT);
    if ( rc )
        return rc;
    data->rc = -LP_EAGAIN;
    return schedule_work(data, LIVEPATCH_ACTION_REVERT, timeout);
}

static int action_apply(struct payload *data, uint32_t timeout, uint32_t flags)
{
    if ( data->state != LIVEPATCH_STATE_CHECKED )
        return 0;
    if ( data->reverted && !data->safe_to_reapply )
    {
        LOG(data, "apply failed: payload has .data. Please unload");
        data->rc = -LP_EINVAL;
        return 0;
    }
    int rc = 0;
    if ( !(flags & LIVEPATCH_ACTION_APPLY_NODEPS) )
        rc = check_dependency(data, false);
    if ( !rc )
        rc = check_expectations(data);
    if ( !rc )
        rc = pre_hook(data, LP_HOOK_PREAPPLY);
    if ( rc )
        return rc;
    data->rc = -LP_EAGAIN;
    return schedule_work(data, LIVEPATCH_ACTION_APPLY, timeout);
}

static int action_replace(struct payload *data, uint32_t timeout)
{
    if ( data->state != LIVEPATCH_STATE_CHECKED )
        return 0;
    int rc = check_dependency(data, true);
    if ( rc )
        return rc;
    bool veto = has_vetoing_hooks(data);
    for ( const struct payload *q = applied_top; q; q = q->applied_next )
        veto = veto || has_vetoing_hooks(q);
    if ( veto )
    {
        LOG(data, "cannot replace: vetoing hooks present");
        return -LP_EOPNOTSUPP;
    }
    data->rc = -LP_EAGAIN;
    return schedule_work(data, LIVEPATCH_ACTION_REPLACE, timeout);
}

static int action_unload(struct payload *data)
{
    if ( data->state != LIVEPATCH_STATE_CHECKED )
        return -LP_EINVAL;
    list_remove(data);
    LOG(data, "unloaded");
    free_payload(data);
    return 0;
}

static int action_locked(struct payload *data, uint32_t cmd, uint32_t timeout, uint32_t flags)
{
    if ( livepatch_work.do_work && livepatch_work.data == data )
        return -LP_EBUSY;
    switch ( cmd )
    {
    case LIVEPATCH_ACTION_UNLOAD:
        return action_unload(data);
    case LIVEPATCH_ACTION_REVERT:
        return action_revert(data, timeout);
    case LIVEPATCH_ACTION_APPLY:
        return action_apply(data, timeout, flags);
    case LIVEPATCH_ACTION_REPLACE:
        return action_replace(data, timeout);
    default:
        return -LP_EOPNOTSUPP;
    }
}

int livepatch_action(const char *name, uint32_t cmd, uint32_t timeout_ns, uint32_t flags)
{
    if ( !name_ok(name) )
        return -LP_EINVAL;
    lock();
    struct payload *data = find_payload(name);
    int rc = data ? action_locked(data, cmd, timeout_ns, flags) : -LP_ENOENT;
    unlock();
    return rc;
}

/* -------- the rendezvous (§5.3) -------- */

bool livepatch_work_pending(void)
{
    return livepatch_work.do_work;
}

static const char *action_name(uint32_t cmd)
{
    static const char *const names[] = { "UNKNOWN", "UNLOAD", "REVERT", "APPLY", "REPLACE" };
    return cmd < 5 ? names[cmd] : names[0];
}

/* Spin until the semaphore counts `cpus` arrivals or the deadline passes. */
static bool wait_for_cpus(unsigned int cpus, uint64_t deadline)
{
    while ( __atomic_load_n(&livepatch_work.semaphore, __ATOMIC_SEQ_CST) != (int)cpus )
    {
        if ( lp_plat_now_ns() > deadline )
            return false;
        lp_plat_cpu_relax();
    }
    return true;
}

static void master_work(unsigned int cpu)
{
    struct payload *data = livepatch_work.data;
    uint32_t cmd = livepatch_work.cmd;
    unsigned int cpus = lp_plat_num_cpus() - 1;
    bool ran = false;

    for ( unsigned int c = 0; c < lp_plat_num_cpus() && c < LP_MAX_CPUS; c++ )
        if ( c != cpu )
            work_to_do[c] = 1;
    if ( cpus )
        lp_plat_kick_other_cpus();
    uint64_t deadline = lp_plat_now_ns() + livepatch_work.timeout;
    if ( !wait_for_cpus(cpus, deadline) )
    {
        LOG(data, "Timed out on semaphore in CPU quiesce phase %u/%u",
            __atomic_load_n(&livepatch_work.semaphore, __ATOMIC_SEQ_CST), cpus);
        data->rc = -LP_EBUSY;
    }
    else
    {
        __atomic_store_n(&livepatch_work.semaphore, 0, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        livepatch_work.ready = 1;
        if ( !wait_for_cpus(cpus, deadline) )
        {
            LOG(data, "Timed out on semaphore in IRQ quiesce phase %u/%u",
                __atomic_load_n(&livepatch_work.semaphore, __ATOMIC_SEQ_CST), cpus);
            data->rc = -LP_EBUSY;
        }
        else
        {
            unsigned long flags = lp_plat_irq_save();
            livepatch_do_action();
            arch_livepatch_post_action();
            lp_plat_irq_restore(flags);
            ran = true;
        }
    }
    work_to_do[cpu] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    livepatch_work.do_work = 0;
    if ( ran && cmd == LIVEPATCH_ACTION_APPLY && data->hooks[LP_HOOK_POSTAPPLY] )
        call_hook(data, LP_HOOK_POSTAPPLY);
    if ( ran && cmd == LIVEPATCH_ACTION_REVERT && data->hooks[LP_HOOK_POSTREVERT] )
        call_hook(data, LP_HOOK_POSTREVERT);
    LOG(data, "finished %s with rc=%d", action_name(cmd), data->rc);
}

static void other_cpu_work(unsigned int cpu)
{
    while ( livepatch_work.do_work && !livepatch_work.ready )
        lp_plat_cpu_relax();
    unsigned long flags = lp_plat_irq_save();
    if ( livepatch_work.do_work )
    {
        __atomic_add_fetch(&livepatch_work.semaphore, 1, __ATOMIC_SEQ_CST);
        while ( livepatch_work.do_work )
            lp_plat_cpu_relax();
    }
    arch_livepatch_post_action();
    lp_plat_irq_restore(flags);
    work_to_do[cpu] = 0;
}

void check_for_livepatch_work(void)
{
    unsigned int cpu = lp_plat_cpu_id();

    if ( cpu >= LP_MAX_CPUS || !work_to_do[cpu] )
        return;
    if ( !livepatch_work.do_work )
    {
        work_to_do[cpu] = 0;
        return;
    }
    if ( __atomic_add_fetch(&livepatch_work.semaphore, 1, __ATOMIC_SEQ_CST) == 0 )
        master_work(cpu);
    else
        other_cpu_work(cpu);
}
