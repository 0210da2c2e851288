#!/bin/sh
# Builds a private copy of the in-tree hypervisor and its test payloads for
# the QEMU tests, so tests never touch (or depend on build products in) the
# source tree that livepatch-build patches and rebuilds.
#   build-image.sh XEN_SRC FIXTURES_SRC DEST [off|warn|enforce] [RELEASE]
# DEST/xen gets the sources (build products excluded), then
# `make defconfig` (first time), `make`, and the payloads in
# DEST/xen/test/livepatch. With warn or enforce, an RSA-2048 key pair is
# generated once (DEST/signing-key.pem, DEST/xen/verify_key.pem) and built
# into the image as CONFIG_PAYLOAD_VERIFY_KEY. RELEASE (e.g. 4.22) sets
# CONFIG_XEN_RELEASE, the Xen release the image emulates (default 4.17).
set -e
case "$1" in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -ge 3 ] || { echo "build-image.sh: usage: build-image.sh XEN_SRC FIXTURES_SRC DEST [off|warn|enforce] [RELEASE]" >&2; exit 1; }
src=$1 fixtures=$2 dest=$3 mode=${4:-off} release=${5:-}
mkdir -p "$dest/xen"
# Nothing changed since the last build: keep the image (and its build-id),
# since a make always relinks, as Xen's does.
stamp=$dest/.built
if [ -f "$stamp" ] && [ -f "$dest/xen/xen" ] && [ -z "$(find "$src" "$fixtures" "$0" -newer "$stamp" \
     ! -name '*.o' ! -name '.*.d' ! -name '.*.o.tmp' ! -name 'xen' ! -name 'xen-syms' \
     ! -name '.xen-syms.*' ! -name '.config' ! -name 'compile.h' ! -name 'autoconf.h' \
     ! -name '.verify_key.S' ! -path '*/test/*' -print -quit)" ]; then
  exit 0
fi
tar -C "$src" -cf - \
  --exclude='*.o' --exclude='.*.d' --exclude='.*.o.tmp' --exclude='./xen' \
  --exclude='./xen-syms' --exclude='./.xen-syms.*' --exclude='./.config' \
  --exclude='./include/generated' --exclude='./include/xen/compile.h' \
  --exclude='./common/.verify_key.S' --exclude='./test' . | tar -C "$dest/xen" -xf -
if [ "$mode" != off ] && [ ! -f "$dest/signing-key.pem" ]; then
  openssl genrsa -out "$dest/signing-key.pem" 2048 2>/dev/null
  chmod 600 "$dest/signing-key.pem"
  openssl rsa -in "$dest/signing-key.pem" -pubout -out "$dest/xen/verify_key.pem" 2>/dev/null
fi
if [ ! -f "$dest/xen/.config" ]; then
  make -s -C "$dest/xen" defconfig >/dev/null
  sed -i "s/^CONFIG_PAYLOAD_VERIFY_MODE=.*/CONFIG_PAYLOAD_VERIFY_MODE=\"$mode\"/" "$dest/xen/.config"
  [ -z "$release" ] || sed -i "s/^CONFIG_XEN_RELEASE=.*/CONFIG_XEN_RELEASE=\"$release\"/" "$dest/xen/.config"
fi
make -s -C "$dest/xen" -j2 >/dev/null
make -s -C "$fixtures" XEN_ROOT="$dest/xen" OUT="$dest/xen/test/livepatch" -j2 >/dev/null
touch "$stamp"
