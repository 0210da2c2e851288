/*
 * livepatch.h - what a live-patch author can write in a patched Xen source file.
 *
 * create-diff-object finds these declarations in the patched object and turns
 * them into payload metadata. None of them changes the code being patched.
 *
 * Hooks (the same names and sections as Xen's xen/livepatch_payload.h, so a
 * patch written against Xen's header builds with this one and vice versa):
 *
 *   LIVEPATCH_LOAD_HOOK(fn)       void fn(void), run when the payload is loaded
 *   LIVEPATCH_UNLOAD_HOOK(fn)     void fn(void), run when it is unloaded
 *   LIVEPATCH_PREAPPLY_HOOK(fn)   int fn(livepatch_payload_t *), may veto apply
 *   LIVEPATCH_APPLY_HOOK(fn)      int fn(livepatch_payload_t *), replaces Xen's apply
 *   LIVEPATCH_POSTAPPLY_HOOK(fn)  void fn(livepatch_payload_t *)
 *   LIVEPATCH_PREREVERT_HOOK(fn)  int fn(livepatch_payload_t *), may veto revert
 *   LIVEPATCH_REVERT_HOOK(fn)     int fn(livepatch_payload_t *), replaces Xen's revert
 *   LIVEPATCH_POSTREVERT_HOOK(fn) void fn(livepatch_payload_t *)
 *
 * Each emits a pointer named livepatch_<kind>_data_<fn> into
 * .livepatch.hooks.<kind>. create-diff-object copies the hook function into
 * the payload, points the entry at the function's section and does not emit
 * the pointer's symbol (two payloads with the same hook would otherwise
 * collide in Xen's symbol table). Xen allows one pre/apply/post/revert hook of
 * each kind per payload, and any number of load/unload hooks.
 *
 * Ignore markers:
 *
 *   LIVEPATCH_IGNORE_FUNCTION(fn)    treat fn as unchanged, e.g. a function that
 *                                    differs only in a debug message
 *   LIVEPATCH_IGNORE_SECTION("name") ignore a section in both objects
 *
 * Type layouts: create-diff-object refuses a patch that changes the layout of a
 * type (a member added, moved or retyped, an enumerator's value moved, a
 * typedef retargeted to a different layout), because objects of that type
 * already exist in the running hypervisor and the replaced functions would
 * read them with the new layout. When every object of the type is created by
 * the payload's own code (or the author has otherwise made sure no existing
 * object is read with the new layout), say so:
 *
 *   LIVEPATCH_LAYOUT_CHANGE_SAFE(struct payload, "only allocated by new code")
 *
 * names the type as C spells it (a typedef by its name) and gives a reason.
 * The change is then accepted ("layout change accepted: struct payload: only
 * allocated by new code"), and the reason is recorded in the JSON report and
 * in the payload's .modinfo. A marker for a type whose layout did not change
 * is reported as unnecessary. The record (a string in .livepatch.layout_safe)
 * never reaches the payload.
 *
 * Expectations: require the old function to start with given bytes when the
 * payload is applied (Xen compares them at old_addr and refuses to apply on a
 * mismatch; on an IBT build the first four bytes are ENDBR64):
 *
 *   LIVEPATCH_EXPECT(fn, "\xf3\x0f\x1e\xfa\x55", 5)
 *
 * emits a 40-byte record into .livepatch.expect ({void *fn; u8 len; u8
 * data[31]}) that becomes the `expect` field of fn's .livepatch.funcs entry
 * (enabled, len, data). fn must be a function the patch changes, and len must
 * be 1..31; create-diff-object refuses anything else.
 */
#ifndef LIVEPATCH_LIVEPATCH_H
#define LIVEPATCH_LIVEPATCH_H

struct payload;
typedef struct payload livepatch_payload_t;

typedef void livepatch_loadcall_t(void);
typedef void livepatch_unloadcall_t(void);
typedef int livepatch_precall_t(livepatch_payload_t *arg);
typedef void livepatch_postcall_t(livepatch_payload_t *arg);
typedef int livepatch_actioncall_t(livepatch_payload_t *arg);

#define LIVEPATCH_HOOK_(type_, kind_, fn_)                                                 \
    type_ *__attribute__((weak, used, section(".livepatch.hooks." #kind_)))              \
        const livepatch_##kind_##_data_##fn_ = fn_;

#ifndef LIVEPATCH_LOAD_HOOK
#define LIVEPATCH_LOAD_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_loadcall_t, load, fn_)
#define LIVEPATCH_UNLOAD_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_unloadcall_t, unload, fn_)
#define LIVEPATCH_PREAPPLY_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_precall_t, preapply, fn_)
#define LIVEPATCH_APPLY_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_actioncall_t, apply, fn_)
#define LIVEPATCH_POSTAPPLY_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_postcall_t, postapply, fn_)
#define LIVEPATCH_PREREVERT_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_precall_t, prerevert, fn_)
#define LIVEPATCH_REVERT_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_actioncall_t, revert, fn_)
#define LIVEPATCH_POSTREVERT_HOOK(fn_) LIVEPATCH_HOOK_(livepatch_postcall_t, postrevert, fn_)
#endif

#define LIVEPATCH_CAT2_(a_, b_) a_##b_
#define LIVEPATCH_CAT_(a_, b_) LIVEPATCH_CAT2_(a_, b_)

#define LIVEPATCH_IGNORE_FUNCTION(fn_)                                                     \
    static void *const __attribute__((used, section(".livepatch.ignore.functions")))     \
        livepatch_ignore_func_##fn_ = (void *)(fn_);

#define LIVEPATCH_IGNORE_SECTION(name_)                                                    \
    static const char *const __attribute__((used, section(".livepatch.ignore.sections"))) \
        LIVEPATCH_CAT_(livepatch_ignore_section_, __COUNTER__) = (name_);

#define LIVEPATCH_LAYOUT_CHANGE_SAFE(type_, reason_)                                       \
    typedef type_ *LIVEPATCH_CAT_(livepatch_layout_type_, __COUNTER__);                   \
    static const char LIVEPATCH_CAT_(livepatch_layout_safe_, __COUNTER__)[]                \
        __attribute__((used, aligned(1), section(".livepatch.layout_safe"))) =             \
            #type_ "\0" reason_;

struct livepatch_expect_record {
    void *func;
    unsigned char len;
    unsigned char data[31];
};

#define LIVEPATCH_EXPECT(fn_, bytes_, len_)                                                \
    static const struct livepatch_expect_record                                            \
        __attribute__((used, aligned(8), section(".livepatch.expect")))                    \
        livepatch_expect_##fn_ = {(void *)(fn_), (len_), bytes_};

#endif /* LIVEPATCH_LIVEPATCH_H */
