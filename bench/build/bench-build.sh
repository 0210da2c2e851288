#!/usr/bin/env bash
# livepatch-build against plain make, on the same tree in the same run.
#
#   bench-build.sh LIVEPATCH_BUILD TREE PATCH [CONFIG]
#
# TREE is a Xen repository root (the folder holding xen/); PATCH applies to it
# with -p1; CONFIG is the .config to use (default: `make -C xen defconfig`).
# Measures, each in a fresh scratch copy of TREE:
#   full   plain `make -C xen -jN` from clean
#   incr   plain incremental `make` after applying PATCH
#   cold   livepatch-build with an empty original-build cache
#   warm   livepatch-build again (cached original build), another output folder
# and prints each time and the ratios cold/(full+incr) (goal <= 1.10) and
# warm/incr (goal <= 1.3). Not a test: nothing is asserted.
set -euo pipefail
lb=$1 tree=$2 patch=$3 config=${4:-}
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-build-XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }

cp -a "$tree" "$work/plain"
make -s -C "$work/plain/xen" clean >/dev/null 2>&1 || true
if [[ -z $config ]]; then
  make -s -C "$work/plain/xen" defconfig >/dev/null
  cp "$work/plain/xen/.config" "$work/config"
else
  cp "$config" "$work/config"
  cp "$config" "$work/plain/xen/.config"
fi
cp -a "$work/plain" "$work/pristine"
rm -f "$work/pristine/xen/.config"

t=$(now); make -s -C "$work/plain/xen" -j"$jobs" >/dev/null 2>&1; full=$(elapsed "$t")
patch -s -d "$work/plain" -p1 -i "$(realpath "$patch")"
t=$(now); make -s -C "$work/plain/xen" -j"$jobs" >/dev/null 2>&1; incr=$(elapsed "$t")

run_lb() {
  "$lb" -s "$work/pristine" -p "$(realpath "$patch")" -c "$work/config" -o "$work/$1" \
    --depends 0000000000000000000000000000000000000000 --cache-dir "$work/cache" \
    -j "$jobs" >"$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
}
t=$(now); run_lb cold; cold=$(elapsed "$t")
t=$(now); run_lb warm; warm=$(elapsed "$t")

printf 'tree: %s\npatch: %s\njobs: %s\n' "$tree" "$patch" "$jobs"
printf '%-34s %8.2f s\n' "plain make (full)" "$full" "plain make (incremental)" "$incr" \
  "livepatch-build (cold cache)" "$cold" "livepatch-build (warm cache)" "$warm"
printf '%-34s %8.2f   (goal <= 1.10)\n' "cold / (full + incremental)" \
  "$(echo "$cold / ($full + $incr)" | bc -l)"
printf '%-34s %8.2f   (goal <= 1.30)\n' "warm / incremental" "$(echo "$warm / $incr" | bc -l)"
