#!/usr/bin/env bash
# Writes a copy of a live-patch payload whose .livepatch.xen_depends names a
# different hypervisor build: the first byte of the build-id in the note is
# inverted, nothing else changes. Xen must refuse to upload it ("check against
# hypervisor build-id failed", -EINVAL), which the real-Xen tier checks.
#
# Usage: wrong-xen-depends.sh <payload.livepatch> <output.livepatch>
set -euo pipefail

die() { printf 'wrong-xen-depends: error: %s\n' "$*" >&2; exit 1; }

(($# == 2)) || die "usage: wrong-xen-depends.sh <payload> <output>"
src=$1
dst=$2
[[ -f $src ]] || die "$src does not exist"

# File offset of the section: readelf prints "[ 5] name" or "[12] name".
section_offset() { # <file> <section>
  readelf -WS "$1" | awk -v s="$2" '$2 == s { print $5 } $3 == s { print $6 }' | head -n1
}

off=$(section_offset "$src" .livepatch.xen_depends)
[[ -n $off ]] || die "$src has no .livepatch.xen_depends section"
off=$((16#$off + 16)) # Elf64_Note header (12 bytes) + "GNU\0": the descriptor
cp "$src" "$dst"
byte=$(od -An -tu1 -j "$off" -N1 "$dst" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 0xff)))" | dd of="$dst" bs=1 seek="$off" conv=notrunc status=none
! cmp -s "$src" "$dst" || die "could not alter the xen_depends note of $dst"
