#!/usr/bin/env bash
# Checks the diff engine's instruction ends on real Xen code: for every
# original Xen build the real-Xen tiers left in livepatch-build's cache, every
# 32-bit PC-relative relocation in an executable section of every object must
# get the same instruction end from the bytes before its field (what
# create-diff-object uses) as from a linear decode of its section
# (`xen_diff_bench --ends-only`, which prints any difference and exits 1).
# Runs after the tiers (ctest DEPENDS); without any cached build it fails,
# since then it would check nothing.
#
# Usage: field-ends.sh XEN_DIFF_BENCH
# Env:   LP_CACHE_DIR (cache root, as run.sh)
set -euo pipefail
bench=${1:?usage: field-ends.sh XEN_DIFF_BENCH}
cache=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen/livepatch-build-cache
shopt -s nullglob
checked=0
for entry in "$cache"/*/; do
  xen=${entry}build/xen
  [[ -f ${entry}complete && -f $xen/xen-syms ]] || continue
  version=$(make -s -C "$xen" xenversion 2>/dev/null || echo unknown)
  echo "== Xen $version: $xen"
  "$bench" --ends-only --xen "$xen"
  checked=$((checked + 1))
done
((checked)) || { echo "field-ends.sh: no complete Xen build in $cache (the real-Xen tiers make them)" >&2; exit 1; }
echo "field-ends.sh: $checked Xen build(s), no instruction end differs"
