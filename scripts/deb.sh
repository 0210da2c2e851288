#!/usr/bin/env bash
# Builds the Debian package from debian/ and proves it as a user would.
#
#   scripts/deb.sh [WORKDIR]       (default: out/deb)
#
# 1. copies the sources (what git tracks plus what it does not ignore) to
#    WORKDIR/xen-livepatch-tools-VERSION and runs `dpkg-buildpackage -us -uc -b`
#    there with DEB_BUILD_OPTIONS="parallel=$(nproc) $DEB_BUILD_OPTIONS": a
#    RelWithDebInfo build with Debian's hardening flags and -Werror, then the
#    unit tests (debian/rules; DEB_BUILD_OPTIONS=nocheck compiles them but
#    does not run them; with DEB_BUILD_PROFILES=nocheck, as in CI, they are
#    not built);
# 2. lintian on the result: any error fails (warnings are printed);
# 3. unpacks the package into a scratch root (dpkg-deb -x; nothing is
#    installed on the machine), checks that no packaged file names the
#    folder it was built in, and removes the package's build tree, so only
#    the packaged files can answer: every command in usr/bin and
#    usr/libexec/livepatch-build-tools answers --help and --version (the
#    package's version) and has a man page that `man -l` renders without a
#    warning;
# 4. the packaged livepatch-build builds the main job's payload
#    (tests/fixtures/patches/02-table-bounds-xsa.patch on a fresh build of the
#    in-tree hypervisor, with the packaged patch-author header), the packaged
#    make-test-key.sh and livepatch-sign sign and verify it, and the packaged
#    livepatch-check says it would load and that it replaces do_table_lookup.
# Any failure exits non-zero. What stays in WORKDIR: the .deb files, .changes,
# .buildinfo, build.log, lintian.log, the payload and its logs; the scratch
# copies are removed after a successful run (kept after a failure), and the
# source tree is never written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-$root/out/deb}")
die() { printf 'deb: %s\n' "$*" >&2; exit 1; }
start=$SECONDS
took() { echo "$((SECONDS - $1)) s"; }

"$root/scripts/install-deps.sh"
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
upstream_version=${version%%-*}
jobs=$(nproc)
src=$work/xen-livepatch-tools-$upstream_version
pkg=$work/root
host=$work/host
scratch=("$src" "$pkg" "$host" "$work/cache" "$work/keys")
# The scratch copies go when the run succeeds; after a failure they stay for a look.
trap 'rc=$?; ((rc == 0)) && rm -rf "${scratch[@]}"; exit $rc' EXIT

copy_sources() { # from to [paths...]: what git tracks and does not ignore
  local from=$1 to=$2
  shift 2
  mkdir -p "$to"
  if git -C "$from" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$from" && git ls-files -co --exclude-standard -z -- "$@") |
      (cd "$from" && tar --null -T - -cf -) | tar -C "$to" -xf -
  else
    tar -C "$from" --exclude='./build*' --exclude=./out -cf - "${@:-.}" | tar -C "$to" -xf -
  fi
}

[[ $work != "$root" && $root != "$work"/* ]] || die "WORKDIR $work would hold the sources"
rm -rf "$work"
mkdir -p "$work"
copy_sources "$root" "$src"

echo "== dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS='parallel=$jobs ${DEB_BUILD_OPTIONS:-}'; log: $work/build.log)"
t=$SECONDS
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
  { tail -n 60 "$work/build.log"; die "dpkg-buildpackage failed (see $work/build.log)"; }
grep -E '^[0-9]+% tests passed|tests failed out of' "$work/build.log" || true
echo "package built in $(took $t)"
deb=$work/xen-livepatch-tools_${version}_amd64.deb
[[ -f $deb ]] || die "no $deb"

echo "== lintian"
lintian --fail-on error "$work"/*.changes >"$work/lintian.log" 2>&1 ||
  { cat "$work/lintian.log"; die "lintian reports errors (see $work/lintian.log)"; }
cat "$work/lintian.log"
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors," \
  "$(grep -c '^W:' "$work/lintian.log" || true) warnings"

echo "== the packaged commands, from a scratch root"
dpkg-deb -x "$deb" "$pkg"
# No packaged file may name the folder the package was built in (a package
# must not depend on where it was built); then that folder goes, so that only
# the packaged files can answer below.
if carriers=$(grep -rlF "$src" "$pkg"); then
  die "packaged files carry the build path $src: $(echo $carriers)"
fi
rm -rf "$src"
commands=0
for cmd in "$pkg"/usr/bin/* "$pkg"/usr/libexec/livepatch-build-tools/*; do
  name=${cmd##*/}
  [[ $name == *.sh ]] && continue # make-test-key.sh: used below, not a command
  "$cmd" --help >/dev/null || die "$name --help failed"
  answer=$("$cmd" --version) || die "$name --version failed"
  [[ $answer == "$name (xen-livepatch-tools) $upstream_version" ]] ||
    die "$name --version says '$answer'"
  page=$pkg/usr/share/man/man1/$name.1.gz
  [[ -s $page ]] || die "$name has no man page"
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) ||
    die "man -l $name.1.gz failed: $warnings"
  [[ -z $warnings ]] || die "man -l $name.1.gz: $warnings"
  printf '%-20s %s; %s.1 renders\n' "$name" "$answer" "$name"
  commands=$((commands + 1))
done
((commands == 8)) || die "$commands commands in the package, expected 8"

echo "== the packaged livepatch-build on the in-tree hypervisor"
t=$SECONDS
copy_sources "$root" "$host" hypervisor/xen
mv "$host/hypervisor/xen" "$host/xen"
rmdir "$host/hypervisor"
make -s -C "$host/xen" clean >/dev/null
export LIVEPATCH_INCLUDE=$pkg/usr/include
make -s -C "$host/xen" defconfig >/dev/null
make -s -C "$host/xen" -j"$jobs" >/dev/null
xen_id=$(readelf -n "$host/xen/xen-syms" | sed -n 's/^ *Build ID: //p' | head -n1)
patch_file=$root/tests/fixtures/patches/02-table-bounds-xsa.patch
rm -rf "$work/lp"
"$pkg/usr/bin/livepatch-build" -s "$host" -p "$patch_file" -c "$host/xen/.config" \
  -o "$work/lp" --depends "$xen_id" --xen-syms "$host/xen/xen-syms" \
  --cache-dir "$work/cache" >"$work/livepatch-build.log" 2>&1 ||
  { cat "$work/livepatch-build.log"; die "the packaged livepatch-build failed"; }
payload=$work/lp/02-table-bounds-xsa.livepatch
[[ -f $payload ]] || die "no payload at $payload"
"$pkg/usr/libexec/livepatch-build-tools/make-test-key.sh" "$work/keys" >/dev/null
"$pkg/usr/bin/livepatch-sign" sign --format note --key "$work/keys/signing_key.pem" "$payload"
"$pkg/usr/bin/livepatch-sign" verify --pubkey "$work/keys/verify_key.pem" "$payload"
"$pkg/usr/bin/livepatch-check" --xen-syms "$host/xen/xen-syms" "$payload"
"$pkg/usr/bin/livepatch-check" --show "$payload" >"$work/show.txt"
grep -q '^  do_table_lookup: ' "$work/show.txt" ||
  { cat "$work/show.txt"; die "the payload does not replace do_table_lookup"; }
echo "payload built, signed and checked with the packaged commands in $(took $t): $payload"
echo "deb: $deb: lintian without errors; $commands commands answer --help and" \
  "--version and have man pages; the main job's payload built with them ($(took $start) in all)"
