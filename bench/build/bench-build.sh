#!/usr/bin/env bash
# livepatch-build against plain make, on the same tree in the same run.
#
#   bench-build.sh LIVEPATCH_BUILD TREE PATCH [CONFIG]
#
# TREE is a Xen repository root (the folder holding xen/); PATCH applies to it
# with -p1; CONFIG is the .config to use (default: `make -C xen defconfig`).
# Each round measures, in fresh scratch copies of TREE:
#   full   plain `make -C xen -jN` from clean
#   incr   plain incremental `make` after applying PATCH
#   cold   livepatch-build with an empty original-build cache
#   warm   livepatch-build again (cached original build), another output folder
# and the script prints the median of each over ROUNDS rounds (default 3), the
# ratios of the medians cold/(full+incr) (goal <= 1.10) and warm/incr (goal
# <= 1.3), and the phase times livepatch-build reported (--json) in the last
# round, so an overhead can be traced to its phase. Medians, because a single
# sub-second run on a shared machine moves by 10%. Not a test: nothing is
# asserted.
# With BASELINE_LB=<another livepatch-build> (for example a previous release's)
# each round also runs that tool cold and warm in a cache of its own, and the
# script prints warm / baseline warm: what a change to the tool costs a
# per-advisory build, measured in the same run.
# Env: ROUNDS (default 3), JOBS (default nproc), KEEP=1 keeps the scratch folder,
# BASELINE_LB, WARM_RUNS (warm runs per round, default 1; they are cheap).
set -euo pipefail
lb=$(realpath "$1") tree=$2 patch=$(realpath "$3") config=${4:-}
baseline=${BASELINE_LB:+$(realpath "$BASELINE_LB")}
jobs=${JOBS:-$(nproc)}
rounds=${ROUNDS:-3}
warm_runs=${WARM_RUNS:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-build-XXXXXX")
if [[ ${KEEP:-0} == 1 ]]; then
  trap 'echo "scratch folder kept: $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi

now() { echo "$EPOCHREALTIME"; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The pristine tree every round starts from: cleaned, with its .config beside it.
prepare() {
  cp -a "$tree" "$work/pristine"
  make -s -C "$work/pristine/xen" clean >/dev/null 2>&1 || true
  if [[ -z $config ]]; then
    make -s -C "$work/pristine/xen" defconfig >/dev/null
    cp "$work/pristine/xen/.config" "$work/config"
  else
    cp "$config" "$work/config"
  fi
  rm -f "$work/pristine/xen/.config"
}

plain_make() { make -s -C "$work/plain/xen" -j"$jobs" >/dev/null 2>&1; }

run_lb() { # <output folder name> [<tool> <cache folder name>]
  "${2:-$lb}" -s "$work/pristine" -p "$patch" -c "$work/config" -o "$work/$1" \
    --depends 0000000000000000000000000000000000000000 --cache-dir "$work/${3:-cache}" \
    -j "$jobs" --json "$work/$1.json" >"$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
}

# One round: appends to the four arrays (six with a baseline).
round() {
  local t
  rm -rf "$work/plain" "$work/cache" "$work/cold" "$work/warm" \
    "$work/base-cache" "$work/base-cold" "$work/base-warm"
  cp -a "$work/pristine" "$work/plain"
  cp "$work/config" "$work/plain/xen/.config"
  t=$(now); plain_make; full+=("$(elapsed "$t")")
  patch -s -d "$work/plain" -p1 -i "$patch"
  t=$(now); plain_make; incr+=("$(elapsed "$t")")
  t=$(now); run_lb cold; cold+=("$(elapsed "$t")")
  [[ -z $baseline ]] || { t=$(now); run_lb base-cold "$baseline" base-cache; bcold+=("$(elapsed "$t")"); }
  for ((w = 1; w <= warm_runs; w++)); do # alternating, so load drifts hit both alike
    rm -rf "$work/warm" "$work/base-warm"
    t=$(now); run_lb warm; warm+=("$(elapsed "$t")")
    [[ -n $baseline ]] || continue
    t=$(now); run_lb base-warm "$baseline" base-cache; bwarm+=("$(elapsed "$t")")
  done
}

phases() { # <json file>: the "timings" object, one line
  sed -n 's/^ *"timings": {\(.*\)}$/\1/p' "$1" | tr -d '"'
}

full=() incr=() cold=() warm=() bcold=() bwarm=()
prepare
for ((i = 1; i <= rounds; i++)); do round; done
mf=$(median "${full[@]}") mi=$(median "${incr[@]}")
mc=$(median "${cold[@]}") mw=$(median "${warm[@]}")

printf 'tree: %s\npatch: %s\njobs: %s, rounds: %s (medians)\n' "$tree" "$patch" "$jobs" "$rounds"
printf '%-34s %8.2f s\n' "plain make (full)" "$mf" "plain make (incremental)" "$mi" \
  "livepatch-build (cold cache)" "$mc" "livepatch-build (warm cache)" "$mw"
printf '%-34s %8.2f   (goal <= 1.10)\n' "cold / (full + incremental)" \
  "$(echo "$mc / ($mf + $mi)" | bc -l)"
printf '%-34s %8.2f   (goal <= 1.30)\n' "warm / incremental" "$(echo "$mw / $mi" | bc -l)"
printf 'phases, cold (last round): %s\n' "$(phases "$work/cold.json")"
printf 'phases, warm (last round): %s\n' "$(phases "$work/warm.json")"
if [[ -n $baseline ]]; then
  mbc=$(median "${bcold[@]}") mbw=$(median "${bwarm[@]}")
  printf 'baseline: %s\n' "$baseline"
  printf '%-34s %8.2f s\n' "baseline (cold cache)" "$mbc" "baseline (warm cache)" "$mbw"
  printf '%-34s %8.2f\n' "cold / baseline cold" "$(echo "$mc / $mbc" | bc -l)"
  printf '%-34s %8.2f\n' "warm / baseline warm" "$(echo "$mw / $mbw" | bc -l)"
  printf 'phases, baseline warm (last round): %s\n' "$(phases "$work/base-warm.json")"
fi
