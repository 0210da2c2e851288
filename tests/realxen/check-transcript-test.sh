#!/usr/bin/env bash
# check-transcript.sh on small transcripts: a Xen console line written into
# the middle of a dom0 line (as "(XEN) ... uart interrupt taking more than
# 4ms" once split livepatch-ctl's "Unsupported flag: --nodeps." under load)
# does not break the dom0 line's match and is itself still seen in its step;
# a dom0 line that is really wrong still fails.
#   check-transcript-test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

cat >"$work/scenario.txt" <<'EOF'
step ctl.bad-flag 1 livepatch-ctl revert lp-02-extra-version --nodeps
expect ^Unsupported flag: --nodeps\.$
expect ^\(XEN\) .*uart interrupt taking more than 4ms$
step lp03.upload 0 livepatch-ctl upload lp-03 /lp/lp-03.livepatch
expect ^Uploading /lp/lp-03\.livepatch\.\.\. completed$
order ^\(XEN\) alt table ;; ^Uploading
EOF

# <name> <want-status> <transcript body>: the body goes between the scenario's
# markers as the console gave it (\r\n line ends, as QEMU's serial does).
run_case() {
  local name=$1 want=$2 body=$3 status=0 output
  printf '%s' "$body" | sed 's/$/\r/' >"$work/transcript.txt"
  output=$("$here/check-transcript.sh" "$work/scenario.txt" "$work/transcript.txt" 2>&1) || status=$?
  if ((status != want)); then
    printf 'FAIL %s: check-transcript exit %d, expected %d\n%s\n' "$name" "$status" "$want" "$output"
    failures=$((failures + 1))
  else
    printf 'ok   %s\n' "$name"
  fi
}

xen_line='(XEN) [  412.337102] CPU0: uart interrupt taking more than 4ms'
steps() { # <bad-flag step's output lines>
  printf '%s\n' '@@@ STEP ctl.bad-flag BEGIN: livepatch-ctl revert lp-02-extra-version --nodeps' \
    "$@" '@@@ STEP ctl.bad-flag END exit=1' \
    '@@@ STEP lp03.upload BEGIN: livepatch-ctl upload lp-03 /lp/lp-03.livepatch' \
    '(XEN) alt table ffff82d0405ae000 -> ffff82d0405ae206' \
    'Uploading /lp/lp-03.livepatch... completed' '@@@ STEP lp03.upload END exit=0' \
    '@@@ SCENARIO DONE'
}

run_case "whole lines" 0 "$(steps "$xen_line" 'Unsupported flag: --nodeps.')"
run_case "a Xen line in the middle of a dom0 line" 0 \
  "$(steps "Unsupported fl$xen_line" 'ag: --nodeps.')"
run_case "two Xen lines in the middle of a dom0 line" 0 \
  "$(steps "Unsupported fl$xen_line" '(XEN) another line' 'ag: --nodeps.')"
run_case "a dom0 line interrupted twice" 0 \
  "$(steps "Unsup$xen_line" "ported fl(XEN) another line" 'ag: --nodeps.')"
run_case "a Xen line before the dom0 line's newline" 0 \
  "$(steps "Unsupported flag: --nodeps.$xen_line" '')"
run_case "a wrong dom0 line still fails" 1 \
  "$(steps "Unsupported fl$xen_line" 'ag: --deps.')"
run_case "a missing Xen line still fails" 1 "$(steps 'Unsupported flag: --nodeps.')"

((failures == 0)) || { echo "check-transcript-test: $failures case(s) failed"; exit 1; }
echo "check-transcript-test: all cases passed"
