#!/usr/bin/env bash
# The main job: build a signed payload for the in-tree hypervisor from an example
# security fix, and prove it on the running hypervisor under QEMU.
#
# What a distro's CI does for an advisory, end to end, on this repository's own
# target:
#   1. build the toolchain (installing missing Debian packages first);
#   2. build "the host's hypervisor": a copy of hypervisor/ configured to enforce
#      payload signatures with a throw-away key made here;
#   3. livepatch-build on that tree with tests/fixtures/patches/02-table-bounds-xsa.patch
#      (the missing bounds check in do_table_lookup), against the host's xen-syms;
#   4. sign the payload (.note.Xen.signature) and check it offline (livepatch-check);
#   5. boot the hypervisor under QEMU and, with minixen-livepatch: show the hole
#      (table_lookup 8 leaks the value after the table), show that an unsigned copy
#      is refused, load the signed payload, show the fix (-22, EINVAL), watch the
#      CPU-1 workload switch over, revert, unload.
# Everything lands in out/demo (or $LP_DEMO_OUT); the toolchain is built in
# build/ (or $LP_BUILD_DIR). Exits non-zero if any step does
# not show what it should.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${LP_DEMO_OUT:-$root/out/demo}
build=${LP_BUILD_DIR:-$root/build}
patch_file=$root/tests/fixtures/patches/02-table-bounds-xsa.patch
name=02-table-bounds-xsa

step() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

tool() {
  local t
  t=$(find "$build" -type f -perm -u+x -name "$1" -print -quit)
  [[ -n $t ]] || die "$1 was not built in $build"
  printf '%s' "$t"
}

# The hypervisor sources without build products: what git tracks plus what it
# does not ignore, or a plain copy outside a git checkout.
copy_hypervisor_sources() {
  local dest=$1
  mkdir -p "$dest"
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -co --exclude-standard -z hypervisor/xen) |
      (cd "$root" && tar --null -T - -cf -) | tar -C "$dest" --strip-components=1 -xf -
  else
    cp -a "$root/hypervisor/xen" "$dest/xen"
    make -s -C "$dest/xen" clean >/dev/null
  fi
}

set_config() { # file key value
  sed -i "/^$2=/d;/^# $2 is not set/d" "$1"
  printf '%s=%s\n' "$2" "$3" >>"$1"
}

build_id_of() { readelf -n "$1" | sed -n 's/^ *Build ID: //p' | head -n1; }

step "1. toolchain"
LP_BUILD_TARGETS="livepatch-build livepatch-gcc prelink create-diff-object livepatch-check
  livepatch-sign minixen-livepatch" "$root/scripts/build.sh" "$build"
livepatch_build=$(tool livepatch-build)
livepatch_sign=$(tool livepatch-sign)
livepatch_check=$(tool livepatch-check)
ctl=$(tool minixen-livepatch)

rm -rf "$out"
mkdir -p "$out"

step "2. the host's hypervisor (signatures enforced)"
"$root/scripts/make-test-key.sh" "$out/keys" >/dev/null
copy_hypervisor_sources "$out/host"
export LIVEPATCH_INCLUDE=$root/include
make -s -C "$out/host/xen" defconfig >/dev/null
cp "$out/keys/verify_key.pem" "$out/host/xen/verify_key.pem"
set_config "$out/host/xen/.config" CONFIG_PAYLOAD_VERIFY_MODE '"enforce"'
set_config "$out/host/xen/.config" CONFIG_PAYLOAD_VERIFY_KEY '"verify_key.pem"'
make -s -C "$out/host/xen" -j"$(nproc)" >/dev/null
xen_id=$(build_id_of "$out/host/xen/xen-syms")
echo "hypervisor build-id $xen_id"

step "3. livepatch-build -p $(basename "$patch_file")"
"$livepatch_build" -s "$out/host" -p "$patch_file" -c "$out/host/xen/.config" \
  -o "$out/lp" --depends "$xen_id" --xen-syms "$out/host/xen/xen-syms" \
  --cache-dir "$out/cache"
payload=$out/lp/$name.livepatch
[[ -f $payload ]] || die "no payload at $payload"
cp "$payload" "$out/$name-unsigned.livepatch"

step "4. sign and check offline"
"$livepatch_sign" sign --format note --key "$out/keys/signing_key.pem" "$payload"
"$livepatch_sign" verify --pubkey "$out/keys/verify_key.pem" "$payload"
"$livepatch_check" --xen-syms "$out/host/xen/xen-syms" "$payload"

step "5. prove it on the running hypervisor"
sock=$out/ctl.sock console=$out/console.log
qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 -smp 2 -m 256 -nographic \
  -no-reboot -monitor none -serial "file:$console" \
  -serial "unix:$sock,server=on,wait=off" -kernel "$out/host/xen/xen" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q 'minixen: ready' "$console" 2>/dev/null && break
  sleep 0.1
done
grep -q 'minixen: ready' "$console" || die "the hypervisor did not boot (see $console)"
export MINIXEN_SOCKET=$sock

expect_call() { # description expected hypercall args...
  local what=$1 want=$2 got
  shift 2
  got=$("$ctl" call "$@")
  printf '%-44s %s\n' "$what:" "$got"
  [[ $got == "$want" ]] || die "expected $want from 'call $*', got $got"
}
# Xen's xen-livepatch exits 2 when the rendezvous missed its deadline: retry.
act() {
  local rc
  for _ in 1 2 3 4 5; do
    rc=0
    "$ctl" "$@" || rc=$?
    ((rc != 2)) && return "$rc"
    sleep 0.2
  done
  return "$rc"
}

"$ctl" info
expect_call "table_lookup 8 before (leaks past the table)" 6210279 table_lookup 8
if "$ctl" upload unsigned "$out/$name-unsigned.livepatch"; then
  die "the hypervisor accepted an unsigned payload in enforce mode"
fi
echo "unsigned payload refused, as enforce mode requires"
act load "$payload"
"$ctl" list
expect_call "table_lookup 8 with the payload applied" -22 table_lookup 8
expect_call "table_lookup 1 (in bounds) still works" "$("$ctl" call table_lookup 1)" table_lookup 1
"$ctl" workload
act revert "$name"
expect_call "table_lookup 8 after revert" 6210279 table_lookup 8
act unload "$name"
"$ctl" list
grep -E 'livepatch' "$console" | tail -n 12
printf '\ndemo: payload %s built, signed, applied, reverted and unloaded on the running hypervisor\n' \
  "$payload"
