#!/usr/bin/env bash
# The real-Xen test tier, from nothing: proves that payloads built by this
# project's livepatch-build load, apply, change behaviour, revert and unload on
# real Xen under QEMU. --xen picks the version (xen-versions.sh knows each one:
# its source, patches, scenario): 4.17.5 (the default) is Debian's, driven by
# Debian's own xen-livepatch; 4.20.4 and 4.22.0 are upstream release tags,
# driven by the project's livepatch-ctl.
#
#  1. fetch.sh: the Xen source, xen-utils-4.17 and a dom0 kernel
#     (cached between runs);
#  2. livepatch-build on every patch of the version's patches folder: the first run does the one
#     full original build (-k diff, then -k build once its xen-syms' build-id
#     is known); the others reuse livepatch-build's original-build cache, and
#     the script fails if their xen-syms is not that same build. lp-05 is built
#     with --depends on lp-01's payload (stacking). A copy of lp-01's payload
#     whose .livepatch.xen_depends names another build is made for the refusal
#     check. Every patch in the version's refused folder (refused/ for 4.17.5)
#     must be refused: livepatch-build exits 2, writes no payload, and prints
#     each line of <name>.expect (no boot). A patch with a <name>.functions
#     beside it (one name per line, as Xen names them: file#name for statics)
#     must give a payload replacing exactly those functions (livepatch-check
#     --show). Each build runs with --check-fast-path when the tool has it:
#     make and the fast path (only the affected objects compiled from the
#     original build's records) must rebuild the same objects byte for byte
#     (else exit 8), and a patch whose fast path was not compared at all
#     fails the tier with the reason;
#  3. boot.sh: one QEMU boot of that exact xen-syms, the version's scenario
#     run by the dom0;
#  4. check-transcript.sh: every step's exit status and output.
# A payload livepatch-build cannot make fails the tier, but the boot still runs
# with the others (their steps pass, the missing one's steps fail), so a single
# run reports every problem. Only a failed original build stops it early.
# It prints the measured time of each phase and the total.
#
# Usage: tests/realxen/run.sh [--xen VERSION] [--work DIR] [--livepatch-build PATH] [--rediff]
#                             [--boot-lock FILE]
# --rediff keeps the previous run's work folder and only repeats livepatch-build's
# diff phase (-k build) for payloads whose builds are there, then boots: a
# one-minute loop for whoever works on create-diff-object. CI never uses it.
# --boot-lock FILE holds flock(FILE) around the QEMU boot only, for machines
# where boots are serialised but builds may run side by side.
# Env:   LP_CACHE_DIR (cache root), LP_JOBS (parallel jobs, default nproc),
#        LIVEPATCH_BUILD (livepatch-build to use), LP_BUILD_TIMEOUT (seconds
#        per livepatch-build run, default 1800), LP_XEN_ARCHIVES (fetch.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=xen-versions.sh
. "$here/xen-versions.sh"
repo=$(cd "$here/../.." && pwd)
CACHE=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen
JOBS=${LP_JOBS:-$(nproc)}
readonly STACK_BASE=lp-01-sysctl-domlist-reserved
readonly STACKED=lp-05-sysctl-domlist-erange
readonly PLACEHOLDER_ID=0000000000000000000000000000000000000000
BUILD_TIMEOUT=${LP_BUILD_TIMEOUT:-1800}

log() { printf 'realxen: %s\n' "$*" >&2; }
die() { printf 'realxen: error: %s\n' "$*" >&2; exit 1; }

timings=()
phase_start=
begin_phase() { phase_start=$EPOCHREALTIME; log "$1"; }
end_phase() { # <label>
  local t
  t=$(awk -v a="$phase_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  timings+=("$(printf '%-44s %8s s' "$1" "$t")")
}

parse_args() {
  local version=$REALXEN_DEFAULT_VERSION
  work=
  lpb=${LIVEPATCH_BUILD:-}
  rediff=0
  boot_lock=
  while (($#)); do
    case $1 in
      --xen) version=$2; shift 2 ;;
      --work) work=$2; shift 2 ;;
      --livepatch-build) lpb=$2; shift 2 ;;
      --rediff) rediff=1; shift ;;
      --boot-lock) boot_lock=$2; shift 2 ;;
      -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option $1 (try --help)" ;;
    esac
  done
  realxen_version_facts "$version" \
    || die "unknown Xen version $version (known: $(realxen_known_versions))"
  work=${work:-$CACHE/$XEN_WORK}
  patches=$here/$XEN_PATCHES
  pristine=$CACHE/xen-$XEN_VERSION
  log "Xen $XEN_VERSION, patches $patches, work folder $work"
}

# Two runs sharing a work folder wipe each other's outputs and interleave their
# transcripts; refuse the second one with a clear message instead.
lock_work_folder() {
  mkdir -p "$(dirname "$work")"
  exec 9>"$work.lock"
  flock -n 9 || die "another run is using $work (lock $work.lock); wait for it or pass --work"
}

find_livepatch_build() {
  local c
  if [[ -z $lpb ]]; then
    for c in "$repo/build/src/payload/livepatch-build" "$repo/build/bin/livepatch-build" \
      "$repo/build/livepatch-build" "$(command -v livepatch-build || true)"; do
      [[ -n $c && -x $c ]] && { lpb=$c; break; }
    done
  fi
  [[ -n $lpb && -x $lpb ]] || die "livepatch-build not found: build the project (scripts/build.sh build) or pass --livepatch-build PATH"
  lpb=$(cd "$(dirname "$lpb")" && pwd)/$(basename "$lpb")
  log "using $lpb"
}

# livepatch-check, for the payloads' function lists: beside livepatch-build
# (installed), in the build tree it came from, or on PATH.
find_livepatch_check() {
  local d c
  d=$(dirname "$lpb")
  for c in "$d/livepatch-check" "$d/../../hypervisor/check/livepatch-check" \
    "$repo/build/hypervisor/check/livepatch-check" "$(command -v livepatch-check || true)"; do
    [[ -n $c && -x $c ]] && { lpcheck=$c; return; }
  done
  lpcheck=
}

build_id_of_file() { readelf -Wn "$1" | sed -n 's/.*Build ID: //p' | head -n1; }

# The source tree livepatch-build gets: a copy, so that a tool bug cannot
# damage the cached pristine tree; compared with it after all builds.
prepare_source() {
  if ((rediff)); then
    [[ -f $work/xen.config && -d $work/out ]] || die "--rediff: no previous run in $work"
    rm -rf "$work/payloads" "$work/boot"
    mkdir -p "$work/payloads"
    return
  fi
  rm -rf "$work"
  mkdir -p "$work/out" "$work/payloads"
  cp -a "$pristine" "$work/xen-src"
  cp -a "$pristine" "$work/config-tree"
  make -C "$work/config-tree/xen" defconfig >"$work/defconfig.log" 2>&1 \
    || die "make defconfig failed, see $work/defconfig.log"
  grep -q '^CONFIG_LIVEPATCH=y' "$work/config-tree/xen/.config" \
    || die "Xen's defconfig does not enable CONFIG_LIVEPATCH"
  cp "$work/config-tree/xen/.config" "$work/xen.config"
  rm -rf "$work/config-tree"
}

# livepatch-build's original-build cache goes into this tier's cache folder
# when the tool has --cache-dir; otherwise the tool's default is used.
cache_args=()
check_args=()
choose_cache_dir() {
  if "$lpb" --help 2>&1 | grep -- --cache-dir >/dev/null; then
    cache_args=(--cache-dir "$CACHE/livepatch-build-cache")
  fi
  if "$lpb" --help 2>&1 | grep -- --check-fast-path >/dev/null; then
    check_args=(--check-fast-path)
  fi
}

# With --check-fast-path, a build phase that did not compare the fast path
# with make (it fell back) fails the tier: every tier patch is one it must
# handle. <name> <log>
require_fast_path_checked() {
  local name=$1 log=$2 why
  ((${#check_args[@]})) || return 0
  grep -q 'the fast path rebuilt the same' "$log" && return 0
  why=$(sed -n 's/.*build path: make: //p' "$log" | tail -n1)
  build_failures+=("$name: the fast path was not compared with make (${why:-no build path line})")
}

# Payloads livepatch-build could not make: the tier fails, but still boots
# with the others, so that one run shows every problem.
build_failures=()

lpb_run() { # <name> <args...>: runs livepatch-build, log in out/<name>.log
  local name=$1 status=0
  shift
  local start=0
  [[ ! -f $work/out/$name.log ]] || start=$(wc -l <"$work/out/$name.log")
  (cd "$work" && timeout "$BUILD_TIMEOUT" "$lpb" -s "$work/xen-src" -c "$work/xen.config" \
    -j "$JOBS" "${cache_args[@]}" "${check_args[@]}" "$@") >>"$work/out/$name.log" 2>&1 || status=$?
  if [[ " $* " != *" -k build "* ]]; then
    tail -n +"$((start + 1))" "$work/out/$name.log" >"$work/out/$name.this-run.log"
    require_fast_path_checked "$name" "$work/out/$name.this-run.log"
  fi
  ((status == 0)) && return 0
  tail -n 8 "$work/out/$name.log" | sed 's/^/    /' >&2
  if ((status == 124)); then
    build_failures+=("$name: livepatch-build did not finish within $BUILD_TIMEOUT s")
  else
    build_failures+=("$name: livepatch-build exit status $status, log $work/out/$name.log")
  fi
  log "livepatch-build failed for $name (exit status $status)"
  return 1
}

payload_of() { # <name>: the payload livepatch-build left in out/<name>
  local f=$work/out/$1/$1.livepatch
  [[ -f $f ]] || die "livepatch-build reported success but $f does not exist"
  cp "$f" "$work/payloads/"
  check_functions "$1" "$f"
  echo "$f"
}

# The functions a payload replaces, one per line, sorted: its .livepatch.funcs
# names as livepatch-check --show lists them ("  <name>: old ..." below
# "functions: N").
payload_functions() { # <payload>
  "$lpcheck" --show "$1" \
    | awk '/^functions: / { f = 1; next } f && /^  / { sub(/^  /, ""); sub(/: old .*/, ""); print; next } { f = 0 }' \
    | sort
}

# patches/<name>.functions: the exact functions the payload must replace.
check_functions() { # <name> <payload>
  local list=$patches/$1.functions want got
  [[ -f $list ]] || return 0
  if [[ -z $lpcheck ]]; then
    build_failures+=("$1: livepatch-check not found, cannot check $list")
    return 0
  fi
  want=$(grep -v -e '^#' -e '^$' "$list" | sort)
  got=$(payload_functions "$2")
  if [[ $got == "$want" ]]; then
    log "$1: the payload replaces exactly ${want//$'\n'/ }"
  else
    build_failures+=("$1: the payload replaces [${got//$'\n'/ }], $list says [${want//$'\n'/ }]")
  fi
}

# The first patch: the full original build, whose xen-syms is what boots.
build_original_and_first() {
  local name=$STACK_BASE
  begin_phase "livepatch-build $name: original build (-k diff) then payload (-k build)"
  if ((!rediff)) || [[ ! -f $work/out/$name/xen-syms ]]; then
    lpb_run "$name" -p "$patches/$name.patch" -o "$work/out/$name" -k diff \
      --depends "$PLACEHOLDER_ID" --xen-depends "$PLACEHOLDER_ID" \
      || die "the original build failed, nothing to boot (${build_failures[*]})"
  fi
  xen_syms=$work/out/$name/xen-syms
  [[ -f $xen_syms ]] || die "livepatch-build -k diff left no xen-syms in $work/out/$name"
  xen_id=$(build_id_of_file "$xen_syms")
  [[ -n $xen_id ]] || die "$xen_syms has no build-id note"
  log "original xen-syms build-id $xen_id"
  lpb_run "$name" -p "$patches/$name.patch" -o "$work/out/$name" -k build \
    --depends "$xen_id" --xen-depends "$xen_id" && payload_of "$name" >/dev/null
  end_phase "livepatch-build $name (full build + payload)"
}

build_payload() { # <name> <depends>
  local name=$1 depends=$2 id
  begin_phase "livepatch-build $name"
  local skip=()
  ((rediff)) && [[ -d $work/out/$name/patched ]] && skip=(-k build)
  if lpb_run "$name" -p "$patches/$name.patch" -o "$work/out/$name" "${skip[@]}" \
    --depends "$depends" --xen-depends "$xen_id"; then
    payload_of "$name" >/dev/null
  fi
  if [[ -f $work/out/$name/xen-syms ]]; then
    id=$(build_id_of_file "$work/out/$name/xen-syms")
    [[ $id == "$xen_id" ]] || die "livepatch-build's original build for $name has build-id $id, not $xen_id: the original-build cache was not reused"
  fi
  end_phase "livepatch-build $name"
}

# A patch livepatch-build must refuse (refused/<name>.patch): exit status 2, no
# payload, and every line of refused/<name>.expect in its output, verbatim.
check_refusal() { # <patch>
  local p=$1 name status=0 line skip=()
  name=$(basename "$p" .patch)
  begin_phase "livepatch-build $name (must be refused)"
  ((rediff)) && [[ -d $work/out/$name/patched ]] && skip=(-k build)
  (cd "$work" && timeout "$BUILD_TIMEOUT" "$lpb" -s "$work/xen-src" -c "$work/xen.config" \
    -j "$JOBS" "${cache_args[@]}" "${check_args[@]}" -p "$p" -o "$work/out/$name" "${skip[@]}" \
    --depends "$xen_id" --xen-depends "$xen_id") >"$work/out/$name.log" 2>&1 || status=$?
  ((${#skip[@]})) || require_fast_path_checked "$name" "$work/out/$name.log"
  if ((status != 2)); then
    tail -n 8 "$work/out/$name.log" | sed 's/^/    /' >&2
    build_failures+=("$name: livepatch-build exit status $status, expected 2 (refused), log $work/out/$name.log")
  fi
  while IFS= read -r line; do
    [[ -z $line || $line == '#'* ]] && continue
    grep -qxF -- "$line" "$work/out/$name.log" \
      || build_failures+=("$name: the refusal does not say: $line")
  done <"${p%.patch}.expect"
  [[ ! -e $work/out/$name/$name.livepatch ]] \
    || build_failures+=("$name: livepatch-build wrote a payload for a refused patch")
  end_phase "livepatch-build $name (refused)"
}

build_payloads() {
  local p name
  build_original_and_first
  for p in "$patches"/*.patch; do
    name=$(basename "$p" .patch)
    case $name in
      "$STACK_BASE" | "$STACKED") ;;
      *) build_payload "$name" "$xen_id" ;;
    esac
  done
  if [[ -f $work/payloads/$STACK_BASE.livepatch ]]; then
    build_payload "$STACKED" "$(build_id_of_file "$work/payloads/$STACK_BASE.livepatch")"
    make_wrong_xen_payload
  else
    build_failures+=("$STACKED and the wrong-build-id payload: need $STACK_BASE's payload")
  fi
  # refused/ beside patches/, refused-<version>/ beside patches-<version>/.
  for p in "$here/${XEN_PATCHES/patches/refused}"/*.patch; do
    [[ -e $p ]] || continue
    check_refusal "$p"
  done
  diff -rq "$pristine" "$work/xen-src" >"$work/source-diff.txt" 2>&1 \
    || die "livepatch-build modified the source tree it was given: $(head -n3 "$work/source-diff.txt")"
}

# A payload for a hypervisor build other than the running one.
make_wrong_xen_payload() {
  "$here/wrong-xen-depends.sh" "$work/payloads/$STACK_BASE.livepatch" \
    "$work/payloads/lp-01-wrong-xen.livepatch"
}

# A fact (letters, digits, . / :) as an ERE matching it literally, escaped once
# more for sed's replacement text.
sed_ere_literal() { local s=$1; printf '%s' "${s//./'\\.'}"; }

boot_and_check() {
  sed -e "s/@XEN_BUILD_ID@/$xen_id/" -e "s/@XEN_EXTRA@/$(sed_ere_literal "$XEN_EXTRA")/g" \
    -e "s|@XEN_WARN_AT@|$(sed_ere_literal "$XEN_WARN_AT")|g" \
    "$here/scenarios/$XEN_SCENARIO" >"$work/scenario.txt"
  if [[ -n $boot_lock ]]; then
    begin_phase "waiting for $boot_lock"
    exec 8>"$boot_lock"
    flock 8
    end_phase "waiting for the boot lock"
  fi
  begin_phase "QEMU boot and scenario"
  "$here/boot.sh" --xen-syms "$xen_syms" --source "$pristine" --payloads "$work/payloads" \
    --scenario "$work/scenario.txt" --out "$work/boot" >/dev/null
  end_phase "QEMU boot + scenario (one boot)"
  [[ -z $boot_lock ]] || exec 8>&-
  "$here/check-transcript.sh" "$work/scenario.txt" "$work/boot/transcript.txt"
}

main() {
  local t0=$EPOCHREALTIME rc=0
  parse_args "$@"
  lock_work_folder
  find_livepatch_build
  find_livepatch_check
  choose_cache_dir
  begin_phase "fetching Xen $XEN_VERSION's source and the dom0 packages"
  "$here/fetch.sh" --xen "$XEN_VERSION" >/dev/null
  end_phase "fetch (download + unpack, 0 when cached)"
  prepare_source
  build_payloads
  boot_and_check || rc=$?
  phase_start=$t0
  end_phase "total"
  printf '%s\n' "${timings[@]}" | tee "$work/times.txt"
  if ((${#build_failures[@]})); then
    printf 'payload not built: %s\n' "${build_failures[@]}"
    rc=1
  fi
  ((rc == 0)) && log "PASS (transcript: $work/boot/transcript.txt)" \
    || log "FAIL (transcript: $work/boot/transcript.txt)"
  return "$rc"
}

main "$@"
