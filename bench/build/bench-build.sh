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
#   warm   livepatch-build again (cached original build), another output folder:
#          the fast path when the patch allows it (issue 16)
#   warm-make  the same with --no-fast-path (the incremental make), when the
#          tool has that option
# and the script prints the median of each over ROUNDS rounds (default 3), the
# ratios of the medians cold/(full+incr) (goal <= 1.0) and warm/incr (goals:
# <= 0.25 on Xen 4.17.5, <= 0.6 on the in-tree hypervisor), which path the
# warm run took, and the phase times livepatch-build reported (--json) in the last
# round, so an overhead can be traced to its phase. Medians, because a single
# sub-second run on a shared machine moves by 10%. Not a test: nothing is
# asserted.
# With BASELINE_LB=<another livepatch-build> (for example a previous release's)
# each round also runs that tool cold and warm in a cache of its own, and the
# script prints warm / baseline warm: what a change to the tool costs a
# per-advisory build, measured in the same run.
# The load average (/proc/loadavg) is printed before the first round and after
# each, since on a shared machine the absolute times mean little without it.
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
load() { cut -d' ' -f1-3 /proc/loadavg; }
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

run_lb() { # <output folder name> [<tool> <cache folder name> [<option>...]]
  local out=$1 tool=${2:-$lb} cache=${3:-cache}
  shift $(($# < 3 ? $# : 3))
  "$tool" -s "$work/pristine" -p "$patch" -c "$work/config" -o "$work/$out" \
    --depends 0000000000000000000000000000000000000000 --cache-dir "$work/$cache" \
    -j "$jobs" --json "$work/$out.json" "$@" >"$work/$out.log" 2>&1 || { cat "$work/$out.log"; exit 1; }
}

# The tool can be told to use make (it has a fast path).
has_make_option=0
"$lb" --help 2>&1 | grep -q -- --no-fast-path && has_make_option=1

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
    rm -rf "$work/warm" "$work/base-warm" "$work/warm-make"
    t=$(now); run_lb warm; warm+=("$(elapsed "$t")")
    if ((has_make_option)); then
      t=$(now); run_lb warm-make "$lb" cache --no-fast-path; wmake+=("$(elapsed "$t")")
    fi
    [[ -n $baseline ]] || continue
    t=$(now); run_lb base-warm "$baseline" base-cache; bwarm+=("$(elapsed "$t")")
  done
}

phases() { # <json file>: the "timings" object, one line
  sed -n 's/^ *"timings": {\(.*\)}$/\1/p' "$1" | tr -d '"'
}

full=() incr=() cold=() warm=() wmake=() bcold=() bwarm=()
loads=("before: $(load)")
prepare
for ((i = 1; i <= rounds; i++)); do
  round
  loads+=("after round $i: $(load)")
done
mf=$(median "${full[@]}") mi=$(median "${incr[@]}")
mc=$(median "${cold[@]}") mw=$(median "${warm[@]}")

printf 'tree: %s\npatch: %s\njobs: %s, rounds: %s (medians)\n' "$tree" "$patch" "$jobs" "$rounds"
printf 'load average (1, 5, 15 min) %s\n' "$(IFS=';'; echo "${loads[*]}" | sed 's/;/; /g')"
printf '%-34s %8.2f s\n' "plain make (full)" "$mf" "plain make (incremental)" "$mi" \
  "livepatch-build (cold cache)" "$mc" "livepatch-build (warm cache)" "$mw"
printf '%-34s %8.2f   (goal <= 1.0)\n' "cold / (full + incremental)" \
  "$(echo "$mc / ($mf + $mi)" | bc -l)"
printf '%-34s %8.2f   (goal <= 0.25 Xen 4.17.5, <= 0.6 in-tree hypervisor)\n' \
  "warm / incremental" "$(echo "$mw / $mi" | bc -l)"
printf 'warm build path: %s\n' "$(sed -n 's/^ *"build_path": \(.*\),$/\1/p' "$work/warm.json")"
if ((${#wmake[@]})); then
  mwm=$(median "${wmake[@]}")
  printf '%-34s %8.2f s\n' "livepatch-build (warm, make)" "$mwm"
  printf '%-34s %8.2f\n' "warm make path / incremental" "$(echo "$mwm / $mi" | bc -l)"
  printf 'phases, warm make path (last round): %s\n' "$(phases "$work/warm-make.json")"
fi
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
