#!/usr/bin/env bash
# Checks the test patches themselves, without any live patching: each applies
# to Debian's Xen 4.17.5 with `patch -p1 --fuzz=0`, the patched tree builds,
# and a Xen built from the patched source shows, to the probe, the effect the
# live-patch scenario expects. This separates "the patch does what we say" from
# "the payload built from it does the same", which run.sh checks.
#
# Builds incrementally in a copy of the plain build (xen-selftest.sh makes it):
#   group a: lp-01..lp-04 together (they touch different files)
#   group b: lp-05 alone (it changes the same lines as lp-01)
# lp-06 is lp-01 plus lp-03, so group a covers its effects.
#
# Usage: tests/realxen/verify-patches.sh [work-dir]  (default: <cache>/verify)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen
JOBS=${LP_JOBS:-$(nproc)}
patches=$here/patches

log() { printf 'realxen-verify: %s\n' "$*" >&2; }
die() { printf 'realxen-verify: error: %s\n' "$*" >&2; exit 1; }

check_all_apply() {
  local p
  for p in "$patches"/*.patch; do
    patch -d "$CACHE/xen-4.17.5" -p1 --fuzz=0 --dry-run -s <"$p" >/dev/null \
      || die "$(basename "$p") does not apply to Xen 4.17.5 without fuzz"
    log "applies without fuzz: $(basename "$p")"
  done
}

# Builds the plain tree copy with the given patches applied, boots it, checks.
verify_group() { # <name> <scenario> <patch>...
  local name=$1 scenario=$2 tree=$work/xen-tree p t0=$SECONDS
  shift 2
  for p in "$@"; do patch -d "$tree" -p1 --fuzz=0 -s <"$patches/$p" || die "$p failed to apply"; done
  make -C "$tree/xen" -j"$JOBS" >"$work/build-$name.log" 2>&1 \
    || die "build with $* failed, see $work/build-$name.log"
  log "group $name: incremental build $((SECONDS - t0)) s"
  mkdir -p "$work/$name/payloads"
  "$here/boot.sh" --xen-syms "$tree/xen/xen-syms" --payloads "$work/$name/payloads" \
    --scenario "$here/scenarios/$scenario" --out "$work/$name" >/dev/null
  "$here/check-transcript.sh" "$here/scenarios/$scenario" "$work/$name/transcript.txt"
  for p in "$@"; do patch -d "$tree" -p1 -R -s <"$patches/$p" || die "reverting $p failed"; done
}

main() {
  work=${1:-$CACHE/verify}
  [[ -f $CACHE/plain/xen-tree/xen/xen-syms ]] || die "no plain build in $CACHE/plain (run xen-selftest.sh)"
  check_all_apply
  rm -rf "$work"
  mkdir -p "$work"
  cp -a "$CACHE/plain/xen-tree" "$work/xen-tree"
  verify_group a patched-build-a.txt lp-01-sysctl-domlist-reserved.patch \
    lp-02-extra-version.patch lp-03-xenver-build-id-len.patch lp-04-featureset-hooks.patch
  verify_group b patched-build-b.txt lp-05-sysctl-domlist-erange.patch
}

main "$@"
