#!/usr/bin/env bash
# Checks a real-Xen console transcript against a scenario, step by step.
#
# The scenario (tests/realxen/scenario*.txt) lists the dom0 steps and, under
# each, what its output must show:
#   step <id> <exit> <command...>   the command dom0-init.sh runs, and the exit
#                                   status it must end with
#   expect <ERE>                    some output line of that step matches
#   absent <ERE>                    no output line of that step matches
#   order <ERE> ;; <ERE>            a line matching the first comes before a
#                                   line matching the second
# dom0-init.sh brackets each step's output with "@@@ STEP <id> BEGIN" and
# "@@@ STEP <id> END exit=<n>"; Xen's own console lines ("(XEN) ...") printed
# meanwhile land inside the same bracket, which is how hook messages are seen.
# Dom0's output reaches the serial line in pieces, so a Xen line can land in
# the middle of a dom0 line ("Unsupported fl(XEN) ... taking more than 4ms"
# then "ag: --nodeps."): before matching, each such Xen line is moved out
# whole and the dom0 line joined again (unsplice_console).
# Every step must appear, in order, and the transcript must end the scenario
# ("@@@ SCENARIO DONE"). A hypervisor crash ("Panic on CPU", "FATAL TRAP") or a
# Xen BUG/ASSERT anywhere fails the check. One line per failed expectation,
# then a summary; exit 0 only when nothing failed.
#
# Usage: check-transcript.sh <scenario> <transcript>
set -euo pipefail

die() { printf 'check-transcript: error: %s\n' "$*" >&2; exit 2; }

(($# == 2)) || die "usage: check-transcript.sh <scenario> <transcript>"
scenario=$1
transcript=$2
[[ -r $scenario ]] || die "cannot read scenario $scenario"
[[ -r $transcript ]] || die "cannot read transcript $transcript"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0

fail() { printf 'FAIL %s\n' "$*"; failures=$((failures + 1)); }

# Reads a console transcript on stdin and writes it with every Xen console
# line that interrupted a dom0 line moved out of it: "<dom0 head>(XEN) <msg>"
# then, after any further whole Xen lines, "<dom0 tail>" becomes "(XEN) <msg>"
# (and those Xen lines) then "<dom0 head><dom0 tail>". Xen writes its own
# lines whole, so a "(XEN) " not at the start of a line always begins one.
unsplice_console() {
  awk '
    { i = index($0, "(XEN) ") }
    i == 1 { print; next }
    i > 1 { print substr($0, i); head = head substr($0, 1, i - 1); next }
    { print head $0; head = "" }
    END { if (head != "") print head }
  '
}

# Splits the transcript into <work>/<n>.out and <work>/<n>.exit per step, in
# order of appearance, and <work>/ids with "<n> <id>" lines.
split_transcript() {
  tr -d '\r' <"$transcript" | unsplice_console | awk -v dir="$work" '
    /@@@ STEP [^ ]+ BEGIN:/ {
      match($0, /@@@ STEP [^ ]+ BEGIN:/)
      split(substr($0, RSTART, RLENGTH), f, " ")
      n++; id = f[3]; out = dir "/" n ".out"
      printf "" > out
      print n, id > (dir "/ids")
      inside = 1
      next
    }
    /@@@ STEP [^ ]+ END exit=[0-9]+/ && inside {
      match($0, /@@@ STEP [^ ]+ END exit=[0-9]+/)
      s = substr($0, RSTART, RLENGTH)
      before = substr($0, 1, RSTART - 1)
      if (before != "") print before >> out
      sub(/.*exit=/, "", s)
      print s > (dir "/" n ".exit")
      close(out)
      inside = 0
      next
    }
    inside { print >> out }
  '
  touch "$work/ids"
}

step_index=0
current_out=
check_step_header() { # <id> <want-exit> <command>
  local id=$1 want=$2 seen_n seen_id
  step_index=$((step_index + 1))
  checks=$((checks + 1))
  read -r seen_n seen_id < <(sed -n "${step_index}p" "$work/ids") || true
  current_out=
  if [[ -z ${seen_id:-} ]]; then
    fail "step $id: not in the transcript (dom0 stopped before it)"
    return
  fi
  if [[ $seen_id != "$id" ]]; then
    fail "step $id: transcript has step $seen_id at this position"
    return
  fi
  current_out=$work/$seen_n.out
  if [[ ! -f $work/$seen_n.exit ]]; then
    fail "step $id: never finished (no END marker)"
    return
  fi
  local got
  got=$(<"$work/$seen_n.exit")
  [[ $got == "$want" ]] || fail "step $id: exit status $got, expected $want"
}

check_expect() { # <kind> <ERE> <id>
  local kind=$1 re=$2 id=$3
  checks=$((checks + 1))
  [[ -n $current_out ]] || return 0 # the step itself already failed
  case $kind in
    expect) grep -Eq -- "$re" "$current_out" || fail "step $id: no line matches /$re/" ;;
    absent) ! grep -Eq -- "$re" "$current_out" || fail "step $id: a line matches /$re/: $(grep -Em1 -- "$re" "$current_out")" ;;
    order)
      local first=${re%% ;; *} second=${re#* ;; } a b
      a=$(grep -Enm1 -- "$first" "$current_out" | cut -d: -f1 || true)
      b=$(grep -En -- "$second" "$current_out" | tail -n1 | cut -d: -f1 || true)
      if [[ -z $a || -z $b ]] || ((a >= b)); then
        fail "step $id: /$first/ does not come before /$second/"
      fi
      ;;
  esac
}

check_scenario() {
  local keyword rest id want command
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    keyword=${line%% *}
    rest=${line#* }
    case $keyword in
      step)
        read -r id want command <<<"$rest"
        check_step_header "$id" "$want" "$command"
        ;;
      expect | absent | order) check_expect "$keyword" "$rest" "$id" ;;
      *) die "$scenario: unknown keyword '$keyword' in: $line" ;;
    esac
  done <"$scenario"
}

check_whole_transcript() {
  checks=$((checks + 2))
  grep -q '@@@ SCENARIO DONE' "$transcript" || fail "transcript: the scenario did not finish (no '@@@ SCENARIO DONE')"
  local crash
  crash=$(tr -d '\r' <"$transcript" | grep -Em1 'Panic on CPU|FATAL TRAP|Xen BUG at|Assertion .* failed|@@@ DOM0 SETUP FAILED' || true)
  [[ -z $crash ]] || fail "transcript: $crash"
}

split_transcript
check_scenario
check_whole_transcript
echo "check-transcript: $((checks - failures)) of $checks checks passed ($step_index steps)"
((failures == 0))
