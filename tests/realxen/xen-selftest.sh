#!/usr/bin/env bash
# Proves the real-Xen harness with Xen's own test payloads, independently of
# this project's toolchain: a plain build of Debian's Xen 4.17.5 (defconfig,
# which enables CONFIG_LIVEPATCH), `make -C xen tests` for xen/test/livepatch,
# one QEMU boot running scenarios/xen-selftest.txt (hello_world, the stacked
# bye_world, replace_world, a payload without .livepatch.xen_depends), and the
# transcript check. The plain build lives in the cache and is reused.
#
# Usage: tests/realxen/xen-selftest.sh [work-dir]   (default: <cache>/selftest)
# Env:   LP_CACHE_DIR, LP_JOBS (make -j, default nproc)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen
JOBS=${LP_JOBS:-$(nproc)}

log() { printf 'realxen-selftest: %s\n' "$*" >&2; }
die() { printf 'realxen-selftest: error: %s\n' "$*" >&2; exit 1; }

build_id_of() { readelf -Wn "$1" | sed -n 's/.*Build ID: //p'; }

plain_build() {
  local tree=$CACHE/plain/xen-tree
  if [[ ! -f $tree/xen/xen-syms ]]; then
    log "plain build of Xen 4.17.5 in $tree (about 4-5 minutes on 2 cores)"
    rm -rf "$tree"
    mkdir -p "$CACHE/plain"
    cp -a "$CACHE/xen-4.17.5" "$tree"
    make -C "$tree/xen" defconfig >"$CACHE/plain/build.log" 2>&1 \
      && make -C "$tree/xen" -j"$JOBS" >>"$CACHE/plain/build.log" 2>&1 \
      || die "Xen build failed, see $CACHE/plain/build.log"
  fi
  if ! compgen -G "$tree/xen/test/livepatch/*.livepatch" >/dev/null; then
    make -C "$tree/xen" tests >"$CACHE/plain/tests.log" 2>&1 \
      || die "make -C xen tests failed, see $CACHE/plain/tests.log"
  fi
  echo "$tree"
}

main() {
  local work=${1:-$CACHE/selftest} tree t0=$SECONDS
  "$here/fetch.sh" >/dev/null
  tree=$(plain_build)
  log "fetch and build: $((SECONDS - t0)) s"
  rm -rf "$work"
  mkdir -p "$work/payloads"
  cp "$tree"/xen/test/livepatch/*.livepatch "$work/payloads/"
  "$here/wrong-xen-depends.sh" "$work/payloads/xen_hello_world.livepatch" \
    "$work/payloads/hello-wrong-xen.livepatch"
  sed "s/@XEN_BUILD_ID@/$(build_id_of "$tree/xen/xen-syms")/" \
    "$here/scenarios/xen-selftest.txt" >"$work/scenario.txt"
  "$here/boot.sh" --xen-syms "$tree/xen/xen-syms" --payloads "$work/payloads" \
    --scenario "$work/scenario.txt" --out "$work" >/dev/null
  "$here/check-transcript.sh" "$work/scenario.txt" "$work/transcript.txt"
  log "total: $((SECONDS - t0)) s"
}

main "$@"
