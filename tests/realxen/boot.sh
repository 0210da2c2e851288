#!/usr/bin/env bash
# Boots a real Xen (any version of xen-versions.sh) under QEMU (software
# emulation) with a busybox PV dom0 that runs a live-patch scenario, and records
# the serial console transcript.
#
# The hypervisor image QEMU boots is made here from the given xen-syms with
# Xen's own mkelf32 (compiled from the Xen source tree), exactly as Xen's
# Makefile makes xen/xen: so the hypervisor that runs is, byte for byte, the
# xen-syms the payloads were built against, and its build-id is theirs.
# The initramfs holds busybox, Debian's xen-livepatch with the libraries ldd
# names, the three Xen driver modules of Debian's kernel, the probe and the
# livepatch-ctl programs (compiled here, static, against the public headers of
# the Xen tree given with --source), the payloads and the scenario. The dom0 kernel logs only errors (loglevel=4), so that its messages
# do not interleave with the scenario's output. dom0-init.sh runs the scenario and reboots; -no-reboot turns that
# into QEMU exiting. Judging the transcript is check-transcript.sh's job.
#
# Usage: boot.sh --xen-syms FILE --payloads DIR --scenario FILE --out DIR
#                [--source XEN_TREE]
# Env:   LP_CACHE_DIR (fetch.sh's cache), LP_QEMU_TIMEOUT (seconds, default 900),
#        LP_QEMU_SMP (virtual CPUs, default 1)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=xen-versions.sh
. "$here/xen-versions.sh"
CACHE=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen
QEMU_TIMEOUT=${LP_QEMU_TIMEOUT:-900}
# One virtual CPU by default: xen-livepatch gives Xen's rendezvous a fixed 30 ms
# to quiesce every CPU, and on a loaded 2-core machine a second TCG vCPU thread
# regularly misses it ("Timed out on semaphore in IRQ quiesce phase", -EBUSY).
QEMU_SMP=${LP_QEMU_SMP:-1}

log() { printf 'realxen-boot: %s\n' "$*" >&2; }
die() { printf 'realxen-boot: error: %s\n' "$*" >&2; exit 1; }

parse_args() {
  xen_syms= payloads= scenario= out= source=$CACHE/xen-$REALXEN_DEFAULT_VERSION
  while (($#)); do
    case $1 in
      --xen-syms) xen_syms=$2; shift 2 ;;
      --payloads) payloads=$2; shift 2 ;;
      --scenario) scenario=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --source) source=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -f $xen_syms ]] || die "xen-syms not given or missing: '$xen_syms'"
  [[ -d $payloads ]] || die "payload folder not given or missing: '$payloads'"
  [[ -f $scenario ]] || die "scenario not given or missing: '$scenario'"
  [[ -n $out ]] || die "--out not given"
  [[ -f $source/xen/arch/x86/boot/mkelf32.c ]] || die "no Xen source tree at $source (run fetch.sh)"
  [[ -f $CACHE/dom0-root/.realxen-unpacked ]] || die "dom0 packages not unpacked in $CACHE (run fetch.sh)"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
}

# xen/xen from xen-syms, the way xen/arch/x86/Makefile does it.
make_xen_image() {
  local mkelf32=$out/mkelf32 rwdata_end
  gcc -O2 -o "$mkelf32" "$source/xen/arch/x86/boot/mkelf32.c" || die "compiling mkelf32 failed"
  rwdata_end=$(nm "$xen_syms" | sed -ne 's/^\([^ ]*\) . __2M_rwdata_end$/0x\1/p')
  [[ -n $rwdata_end ]] || die "$xen_syms has no __2M_rwdata_end symbol"
  "$mkelf32" --notes "$xen_syms" "$out/xen" 0x200000 "$rwdata_end" >/dev/null \
    || die "mkelf32 failed on $xen_syms"
  od -t x4 -N 8192 "$out/xen" | grep 1badb002 >/dev/null || die "$out/xen has no Multiboot1 header"
}

# The dom0's own programs, against the booted Xen's public headers.
build_dom0_programs() { # <root>
  local p
  for p in probe livepatch-ctl; do
    gcc -static -O2 -Wall -Wextra -Werror -I "$source/xen/include" \
      -o "$1/bin/$p" "$here/$p.c" || die "compiling $p.c failed"
  done
}

# Copies a dynamically linked program and every library ldd names.
copy_program() { # <root> <program> <destination inside root>
  local root=$1 prog=$2 dest=$3 lib
  mkdir -p "$root$(dirname "$dest")"
  cp "$prog" "$root$dest"
  for lib in $(LD_LIBRARY_PATH="$CACHE/dom0-root/usr/lib/x86_64-linux-gnu" ldd "$prog" \
    | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
    mkdir -p "$root$(dirname "${lib#"$CACHE/dom0-root"}")"
    cp -L "$lib" "$root${lib#"$CACHE/dom0-root"}"
  done
}

build_initramfs() {
  local root=$out/initramfs kernel modules m
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,lib/modules/xen,lp}
  cp /bin/busybox "$root/bin/busybox"
  ! readelf -l /bin/busybox | grep INTERP >/dev/null || die "/bin/busybox is not static (install busybox-static)"
  copy_program "$root" "$CACHE/dom0-root/usr/lib/xen-4.17/bin/xen-livepatch" /usr/lib/xen-4.17/bin/xen-livepatch
  kernel=$(<"$CACHE/dom0-root/.realxen-kernel")
  modules=$CACHE/dom0-root/lib/modules/${kernel#linux-image-}/kernel/drivers/xen
  for m in xen-privcmd.ko xen-evtchn.ko xenfs/xenfs.ko; do
    [[ -f $modules/$m ]] || die "kernel module $modules/$m missing"
    cp "$modules/$m" "$root/lib/modules/xen/"
  done
  build_dom0_programs "$root"
  if compgen -G "$payloads/*.livepatch" >/dev/null; then
    cp "$payloads"/*.livepatch "$root/lp/"
  fi
  cp "$scenario" "$root/scenario.txt"
  install -m 0755 "$here/dom0-init.sh" "$root/init"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz" \
    || die "packing the initramfs failed"
}

# Runs QEMU; stamps when the scenario's first step and its end appear.
run_qemu() {
  local kernel vmlinuz start line
  kernel=$(<"$CACHE/dom0-root/.realxen-kernel")
  vmlinuz=$CACHE/dom0-root/boot/vmlinuz-${kernel#linux-image-}
  : >"$out/transcript.txt"
  start=$EPOCHREALTIME
  log "booting Xen under QEMU (transcript: $out/transcript.txt)"
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$out/transcript.txt"
    case $line in
      *'@@@ DOM0 READY'*) log "dom0 ready after $(elapsed "$start") s" ;;
      *'@@@ STEP '*' END '*) [[ -n ${first_step:-} ]] || { first_step=1; log "first xen-livepatch step done after $(elapsed "$start") s"; } ;;
      *'@@@ SCENARIO DONE'*) log "scenario done after $(elapsed "$start") s" ;;
    esac
  done < <(timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 \
    -m 2048 -smp "$QEMU_SMP" -nographic -monitor none -serial stdio -no-reboot \
    -kernel "$out/xen" \
    -append "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=768M dom0_max_vcpus=1" \
    -initrd "$vmlinuz console=hvc0 earlyprintk=xen loglevel=4,$out/initrd.gz" </dev/null 2>&1; echo "@@@ QEMU EXIT $?")
  log "QEMU finished after $(elapsed "$start") s: $(tail -n1 "$out/transcript.txt")"
}

elapsed() { # <start EPOCHREALTIME>
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

main() {
  parse_args "$@"
  make_xen_image
  build_initramfs
  run_qemu
  echo "$out/transcript.txt"
}

main "$@"
