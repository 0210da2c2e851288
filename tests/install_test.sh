#!/usr/bin/env bash
# `cmake --install` into a temporary prefix puts every command where the README
# says, each answers --help and --version (the CMake project version) and has a
# man page, the patch-author header and the documentation are there, with the
# helpers in libexec/livepatch-build-tools (upstream's layout, where the
# installed livepatch-build looks for them next to ../libexec).
#   install_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

fail() { echo "install test: $*" >&2; exit 1; }
for cmd in bin/livepatch-build bin/livepatch-sign bin/livepatch-check bin/minixen-livepatch \
  libexec/livepatch-build-tools/create-diff-object libexec/livepatch-build-tools/prelink \
  libexec/livepatch-build-tools/livepatch-gcc libexec/livepatch-build-tools/elf-rewrite; do
  [[ -x $prefix/$cmd ]] || fail "$cmd not installed"
  "$prefix/$cmd" --help >/dev/null 2>&1 || fail "$cmd --help failed"
  name=${cmd##*/}
  answer=$("$prefix/$cmd" --version 2>&1) || fail "$cmd --version failed: $answer"
  [[ $answer == "$name (xen-livepatch-tools) $version" ]] ||
    fail "$cmd --version says '$answer', not '$name (xen-livepatch-tools) $version'"
  page=$prefix/share/man/man1/$name.1
  [[ -s $page ]] || fail "no man page $name.1"
  grep -qi "^\.TH \"\?$name\"\? " "$page" || fail "$name.1 is not $name's page"
  [[ $name == livepatch-build ]] || grep -qF "$version" "$page" || fail "$name.1 does not say $version"
done
[[ -f $prefix/include/livepatch/livepatch.h ]] || fail "include/livepatch/livepatch.h not installed"
[[ -f $prefix/share/doc/xen-livepatch-tools/README.md ]] || fail "README.md not installed"
[[ -f $prefix/share/doc/xen-livepatch-tools/ARCHITECTURE.md ]] || fail "ARCHITECTURE.md not installed"
man=$prefix/share/man/man1/livepatch-build.1
[[ -f $man ]] || fail "man page livepatch-build.1 not installed"
for v in 4.17 4.18 4.19 4.20 4.21 4.22; do
  grep -q "^\.B $v$" "$man" || fail "livepatch-build.1 does not describe Xen $v"
done

# Drop-in: upstream's long options are all there.
help=$("$prefix/bin/livepatch-build" --help 2>&1)
for opt in --srcdir --patch --config --output --cpus --skip --debug --xen-debug --xen-syms \
  --depends --xen-depends --prelink --strip --xen-version; do
  grep -q -- "$opt" <<<"$help" || fail "livepatch-build --help does not list $opt"
done
echo "install test: 8 commands with --version $version and man pages, header and documentation installed under $prefix"
