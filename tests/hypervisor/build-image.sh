#!/bin/sh
# Builds a private copy of the in-tree hypervisor and its test payloads for
# the QEMU tests, so tests never touch (or depend on build products in) the
# source tree that livepatch-build patches and rebuilds.
#   build-image.sh XEN_SRC FIXTURES_SRC DEST
# DEST/xen gets the sources (build products excluded), then
# `make defconfig` (first time), `make`, and the payloads in
# DEST/xen/test/livepatch.
set -e
src=$1 fixtures=$2 dest=$3
mkdir -p "$dest/xen"
tar -C "$src" -cf - \
  --exclude='*.o' --exclude='.*.d' --exclude='.*.o.tmp' --exclude='./xen' \
  --exclude='./xen-syms' --exclude='./.xen-syms.*' --exclude='./.config' \
  --exclude='./include/generated' --exclude='./include/xen/compile.h' \
  --exclude='./common/.verify_key.S' --exclude='./test' . | tar -C "$dest/xen" -xf -
[ -f "$dest/xen/.config" ] || make -s -C "$dest/xen" defconfig >/dev/null
make -s -C "$dest/xen" -j2 >/dev/null
make -s -C "$fixtures" XEN_ROOT="$dest/xen" OUT="$dest/xen/test/livepatch" -j2 >/dev/null
