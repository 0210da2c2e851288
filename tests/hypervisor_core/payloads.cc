// The test payloads: see payloads.h.
#include "payloads.h"

#include "lab.h"

#include <fmt/format.h>

namespace lp::hyptest {

namespace {

// A replacement for xen_extra_version named <id>_fn, with its func record.
std::string hello_like(const std::string &id, const std::string &text) {
  return fmt::format(R"(
const char *{0}_fn(void) {{ return "{1}"; }}
static const char {0}_name[] = "xen_extra_version";
struct livepatch_func LP_FUNCS {0}_func = {{ {0}_name, {0}_fn, xen_extra_version,
  16, SIZE_xen_extra_version, 2 }};
)", id, text);
}

} // namespace

std::string hello_payload() {
  return Lab::get().build("hello", hello_like("hello", "Hello World") + R"(
void hello_extra(void) {
  asm volatile("661: nop; nop; nop\n662:\n"
    ".pushsection .altinstructions,\"a\"\n .long 661b - .\n .long 663f - .\n .word 0\n"
    " .byte 662b-661b\n .byte 664f-663f\n .byte 0\n .byte 0\n .popsection\n"
    ".pushsection .altinstr_replacement,\"ax\"\n663: nop\n664:\n .popsection");
  asm volatile("hello_ex_a: nop\nhello_ex_b: nop\n"
    ".pushsection .fixup,\"ax\"\nhello_fix_a: jmp hello_ex_a\nhello_fix_b: jmp hello_ex_b\n.popsection\n"
    ".pushsection .ex_table,\"a\"\n .balign 4\n .long hello_ex_b - ., hello_fix_b - .\n"
    " .long hello_ex_a - ., hello_fix_a - .\n .popsection");
}
static const int hello_bug[2] __attribute__((section(".bug_frames.2"), used)) = { 0, 0 };
static const char hello_modinfo[] __attribute__((section(".modinfo"), used)) =
  "LIVEPATCH_RULEZ\0version=1";
)");
}

std::string warn_payload() {
  return Lab::get().build("warn", hello_like("warn", "Warned") + R"(
void warn_sites(void) {
  asm volatile(".pushsection .rodata.warn_strings,\"a\"\n"
    "warn_file: .asciz \"common/warn.c\"\nwarn_msg: .asciz \"x > 0\"\n.popsection\n"
    "warn_ud2: ud2\n"
    ".pushsection .bug_frames.1,\"a\",@progbits\n.p2align 2\nwarn_frm:\n"
    " .long warn_ud2 - warn_frm\n .long (warn_file - warn_frm) + (12 << 24)\n.popsection\n"
    "warn_assert_ud2: ud2\n"
    ".pushsection .bug_frames.3,\"a\",@progbits\n.p2align 2\nwarn_assert_frm:\n"
    " .long warn_assert_ud2 - warn_assert_frm\n"
    " .long (warn_file - warn_assert_frm) + (34 << 24)\n"
    " .long 0, warn_msg - warn_assert_frm\n.popsection");
}
)");
}

std::string bye_payload() {
  PayloadOpts o;
  o.depends_on = hello_payload();
  return Lab::get().build("bye", hello_like("bye", "Bye World!"), o);
}

std::string replace_payload() {
  return Lab::get().build("replace", R"(
const char *replace_fn(void) { return "Hello Again World!"; }
static const char replace_name[] = "xen_extra_version";
struct livepatch_func LP_FUNCS replace_func = { replace_name, replace_fn, 0,
  16, SIZE_xen_extra_version, 2 };
)");
}

std::string nop_payload() {
  return Lab::get().build("nop", R"(
struct livepatch_func LP_FUNCS nop_func = { 0, 0, (void *)ADDR_xen_minor_version,
  5, SIZE_xen_minor_version, 2 };
)");
}

std::string cf_payload() {
  return Lab::get().build("cf", R"(
const char *cf_fn(void) { return "-patched-cf"; }
static const char cf_name[] = "xen_cf_version";
struct livepatch_func LP_FUNCS cf_func = { cf_name, cf_fn, xen_cf_version,
  16, SIZE_xen_cf_version, 2 };
)");
}

std::string hooks_payload() {
  return Lab::get().build("hooks", hello_like("hooks", "Hooked") + R"(
static void hooks_load_a(void) { asm volatile("nop"); }
static void hooks_load_b(void) { asm volatile("nop; nop"); }
static void hooks_unload(void) { asm volatile("nop; nop; nop"); }
static int hooks_pre_apply(void *p) { asm volatile("nop; nop; nop; nop"); return 0; }
static void hooks_post_apply(void *p) { asm volatile("nop; nop; nop; nop; nop"); }
static int hooks_pre_revert(void *p) { asm volatile("pause"); return 0; }
static void hooks_post_revert(void *p) { asm volatile("pause; pause"); }
static void (*const hooks_load_ptrs[])(void) LP_HOOK(load) = { hooks_load_a, hooks_load_b };
static void (*const hooks_unload_ptrs[])(void) LP_HOOK(unload) = { hooks_unload };
static int (*const hooks_pa)(void *) LP_HOOK(preapply) = hooks_pre_apply;
static void (*const hooks_poa)(void *) LP_HOOK(postapply) = hooks_post_apply;
static int (*const hooks_pr)(void *) LP_HOOK(prerevert) = hooks_pre_revert;
static void (*const hooks_por)(void *) LP_HOOK(postrevert) = hooks_post_revert;
)");
}

std::string action_hooks_payload() {
  return Lab::get().build("action", hello_like("action", "Action") + R"(
static int action_apply(void *p) { asm volatile("nop"); return 0; }
static int action_revert(void *p) { asm volatile("nop; nop"); return 0; }
static int (*const action_a)(void *) LP_HOOK(apply) = action_apply;
static int (*const action_r)(void *) LP_HOOK(revert) = action_revert;
)");
}

std::string action_nofunc_payload() {
  return Lab::get().build("nofunc", R"(
static int nofunc_apply(void *p) { asm volatile("nop"); return 0; }
static int nofunc_revert(void *p) { asm volatile("nop; nop"); return 0; }
static int (*const nofunc_a)(void *) LP_HOOK(apply) = nofunc_apply;
static int (*const nofunc_r)(void *) LP_HOOK(revert) = nofunc_revert;
)");
}

std::string data_payload() {
  return Lab::get().build("data", hello_like("data", "Data") + R"(
int data_counter = 1;
)");
}

std::string expect_payload(bool ok) {
  auto bytes = Lab::get().image_bytes(Lab::get().addr("xen_extra_version"), 8);
  std::string data = ok ? fmt::format("{:#x}", fmt::join(bytes, ", "))
                        : "0xde, 0xad, 0xc0, 0xde, 0xba, 0xbe, 0, 0";
  std::string id = ok ? "expect_ok" : "expect_bad";
  unsigned len = ok ? 8 : 6;
  return Lab::get().build(id, fmt::format(R"(
const char *{0}_fn(void) {{ return "Expected"; }}
static const char {0}_name[] = "xen_extra_version";
struct livepatch_func LP_FUNCS {0}_func = {{ {0}_name, {0}_fn, xen_extra_version,
  16, SIZE_xen_extra_version, 2, {{0}}, {{ 1 | ({1} << 1), {2} }} }};
)", id, len, data));
}

std::string xen_dup_payload() {
  return Lab::get().build("xendup", hello_like("xendup", "Dup") + R"(
int xen_compute = 3;
)");
}

std::string no_xen_depends_payload() {
  PayloadOpts o;
  o.xen_depends = false;
  return Lab::get().build("noxendep", hello_like("noxendep", "NoXen"), o);
}

} // namespace lp::hyptest
