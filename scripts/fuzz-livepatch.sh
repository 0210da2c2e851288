#!/bin/sh
# Fuzz the hypervisor's live-patch loader (hypervisor/xen/common/livepatch*.c)
# with libFuzzer, ASan and UBSan.
#
# Builds hypervisor/check/fuzz_target.c + fuzz_platform.c + the core with
# clang (the main build uses gcc), generates a seed corpus of valid payloads
# built the way Xen's test payloads are (gcc with Xen's flags, build-id
# notes wrapped by objcopy, ld -r --build-id=sha1) against the fuzz
# platform's fixed build-id, then runs the fuzzer for a bounded time.
#
#   scripts/fuzz-livepatch.sh [--work DIR] [--time SECONDS] [-- LIBFUZZER_ARGS...]
#
# Exit status: the fuzzer's (0 = no crash in the time given). Crashes are
# written to DIR as crash-*. The corpus grows in DIR/corpus between runs.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
work=${TMPDIR:-/tmp}/fuzz-livepatch
time=30
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work=$2; shift 2 ;;
    --time) time=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) echo "fuzz-livepatch.sh: unknown option $1" >&2; exit 1 ;;
  esac
done

clang=$(command -v clang-14 || command -v clang || true)
[ -n "$clang" ] || { echo "fuzz-livepatch.sh: clang-14 not found" >&2; exit 1; }
mkdir -p "$work/seeds" "$work/corpus" "$work/obj"

xen=$here/hypervisor/xen
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -iquote "$xen/include" \
  "$xen"/common/livepatch.c "$xen"/common/livepatch_elf.c "$xen"/common/livepatch_load.c \
  "$xen"/common/livepatch_signature.c "$xen"/common/livepatch_version.c "$xen"/common/rsa.c "$xen"/common/sha256.c \
  "$xen"/arch/x86/livepatch.c \
  "$here"/hypervisor/check/fuzz_platform.c "$here"/hypervisor/check/fuzz_target.c \
  -o "$work/fuzz-livepatch"

# Seeds: payloads for the fuzz platform (build-id 11 22 .. ff 01 .. 05).
cflags="-m64 -std=gnu99 -O2 -fno-builtin -fno-common -ffunction-sections -fdata-sections
  -mindirect-branch=thunk-extern -mindirect-branch-register -mfunction-return=thunk-extern
  -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -mno-red-zone -fpic
  -fcf-protection=branch -mmanual-endbr"
o=$work/obj
printf '#pragma GCC visibility push(hidden)\n' > "$o/vis.h"
printf '\004\000\000\000\024\000\000\000\003\000\000\000GNU\000\021\042\063\104\125\146\167\210\231\252\273\314\335\356\377\001\002\003\004\005' > "$o/note.bin"
(cd "$o" &&
  objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
    --rename-section .data=.livepatch.depends,alloc,load,readonly,data,contents -S note.bin dep.o &&
  objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
    --rename-section .data=.livepatch.xen_depends,alloc,load,readonly,data,contents -S note.bin xen.o &&
  printf 'LIVEPATCH_RULEZ\000' > modinfo.bin &&
  objcopy -I binary -O elf64-x86-64 -B i386:x86-64 \
    --rename-section .data=.modinfo,alloc,load,readonly,data,contents -S modinfo.bin modinfo.o)

prelude='#include <stdint.h>
struct livepatch_func { const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32]; };
#define FUNCS __attribute__((section(".livepatch.funcs"), used))
#define HOOK(k) __attribute__((section(".livepatch.hooks." #k), used))
extern const char *xen_extra_version(void); extern const char *xen_cf_version(void);'

seed() { # name, C body
  printf '%s\n%s\n' "$prelude" "$2" > "$o/$1.c"
  gcc $cflags -include "$o/vis.h" -c "$o/$1.c" -o "$o/$1.o"
  ld -melf_x86_64 -z noexecstack --build-id=sha1 -r -o "$work/seeds/$1.livepatch" \
    "$o/$1.o" "$o/dep.o" "$o/xen.o" "$o/modinfo.o" 2>/dev/null
  objcopy --set-section-flags .livepatch.funcs=alloc,readonly "$work/seeds/$1.livepatch"
}

seed hello 'const char *hello_fn(void) { return "Hello World"; }
static const char n[] = "xen_extra_version";
struct livepatch_func FUNCS f = { n, hello_fn, xen_extra_version, 16, 32, 2 };
void ex(void) {
  asm volatile("661: nop; nop\n662:\n.pushsection .altinstructions,\"a\"\n.long 661b - .\n"
    ".long 663f - .\n.word 0\n.byte 662b-661b\n.byte 664f-663f\n.byte 0\n.byte 0\n.popsection\n"
    ".pushsection .altinstr_replacement,\"ax\"\n663: nop\n664:\n.popsection");
  asm volatile("1: nop\n.pushsection .fixup,\"ax\"\n2: jmp 1b\n.popsection\n"
    ".pushsection .ex_table,\"a\"\n.balign 4\n.long 1b - ., 2b - .\n.popsection"); }
static const int bug[2] __attribute__((section(".bug_frames.1"), used)) = { 0, 0 };'
seed byname 'const char *again_fn(void) { return "Again"; }
static const char n[] = "xen_cf_version";
struct livepatch_func FUNCS f = { n, again_fn, 0, 16, 32, 2, {0}, { 1 | (4 << 1), 0xf3, 0x0f, 0x1e, 0xfa } };'
seed nop 'struct livepatch_func FUNCS f = { 0, 0, (void *)0xffff82d040200080ull, 5, 16, 2 };'
seed hooks 'static void l(void) { asm volatile("nop"); }
static int pre(void *p) { asm volatile("nop; nop"); return 0; }
static int act(void *p) { asm volatile("nop; nop; nop"); return 0; }
static void (*const lh[])(void) HOOK(load) = { l };
static void (*const uh[])(void) HOOK(unload) = { l };
static int (*const ph)(void *) HOOK(preapply) = pre;
static int (*const ah)(void *) HOOK(apply) = act;
static int (*const rh)(void *) HOOK(revert) = act;'

cp -n "$work/seeds/"* "$work/corpus/" 2>/dev/null || true
cd "$work"
exec ./fuzz-livepatch -max_total_time="$time" -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 "$@" corpus seeds
