#!/bin/busybox sh
# /init of the real-Xen tier's dom0 initramfs (busybox, Debian's kernel).
#
# It loads the three Xen driver modules Debian's kernel needs for the control
# interface (xen-privcmd, xen-evtchn, xenfs: in that order), mounts xenfs, then
# runs every `step` line of /scenario.txt and brackets each command's output
# with markers that check-transcript.sh parses:
#   @@@ STEP <id> BEGIN: <command>
#   <output, stdout and stderr>
#   @@@ STEP <id> END exit=<exit status>
# The expectations in the scenario are not looked at here: this script only
# runs commands and reports what happened, the checker on the host judges.
# At the end it prints "@@@ SCENARIO DONE" and reboots, which makes Xen reboot
# and QEMU (-no-reboot) exit.
# (busybox sh, not bash: the initramfs has no bash.)

/bin/busybox --install -s /bin
export PATH=/bin:/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu

fail() {
    echo "@@@ DOM0 SETUP FAILED: $*"
    reboot -f
}

setup() {
    mount -t proc proc /proc || fail "mount /proc"
    mount -t sysfs sysfs /sys || fail "mount /sys"
    mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
    mkdir -p /tmp
    for module in xen-privcmd xen-evtchn xenfs; do
        insmod "/lib/modules/xen/$module.ko" || fail "insmod $module"
    done
    mkdir -p /proc/xen
    mount -t xenfs xenfs /proc/xen || fail "mount xenfs"
    [ -c /dev/xen/privcmd ] || fail "/dev/xen/privcmd missing"
}

# The command's output is collected and printed after it ends: Xen's console
# messages (printed while the command runs, e.g. by live-patch hooks) then come
# first as whole lines instead of splitting the command's own lines.
run_step() { # <id> <command>
    local status
    echo "@@@ STEP $1 BEGIN: $2"
    sh -c "$2" >/tmp/step.out 2>&1
    status=$?
    cat /tmp/step.out
    echo "@@@ STEP $1 END exit=$status"
}

run_scenario() {
    local keyword id want command
    while read -r keyword id want command; do
        [ "$keyword" = step ] || continue
        run_step "$id" "$command"
    done </scenario.txt
}

setup
echo "@@@ DOM0 READY uptime=$(cut -d' ' -f1 /proc/uptime)"
run_scenario
echo "@@@ SCENARIO DONE"
sync
reboot -f
