#!/usr/bin/env bash
# Fetches everything the real-Xen test tier needs from Debian's package registry
# and unpacks it into a cache folder, so that later runs on the same machine do
# no network work at all.
#
# What it fetches (all pinned; xen-versions.sh says where each Xen comes from):
#   - the hypervisor source of the Xen version asked for, into <cache>/xen-<version>:
#     for 4.17.5 Debian's source package 4.17.5+72-g01140da4e8-1, unpacked with
#     dpkg-source -x (which applies Debian's own patches); for the newer ones an
#     upstream release archive from $LP_XEN_ARCHIVES (checked against its sha256);
#   - for every version the same dom0: the xen-utils-4.17 package set
#     (xen-livepatch and the libraries it links), and Debian's current
#     linux-image-6.1.0-*-amd64 for the PV dom0, unpacked with dpkg-deb -x into
#     <cache>/dom0-root.
# It adds a deb-src entry to apt's sources when none is configured, because
# `apt-get source` needs one. Every download runs under a timeout and a failure
# names what could not be downloaded.
#
# Usage: tests/realxen/fetch.sh [--xen VERSION]  (default 4.17.5; prints the
#        cache folder on its last line)
# Env:   LP_CACHE_DIR (default ~/.cache/xen-livepatch-tools); the tier uses <it>/realxen.
#        LP_XEN_ARCHIVES (folder of xen-<version>.tar.xz, default ../shared/xen
#        next to the repository)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=xen-versions.sh
. "$here/xen-versions.sh"
readonly UTILS_VERSION=4.17.5+72-g01140da4e8-1
ARCHIVES=${LP_XEN_ARCHIVES:-$(cd "$here/../../.." && pwd)/shared/xen}
readonly UTILS_PACKAGES=(xen-utils-4.17 libxenmisc4.17 libxentoollog1 libxencall1
  libxenforeignmemory1 libxengnttab1 libxenevtchn1 libxendevicemodel1
  libxentoolcore1 libxenstore4 libxenhypfs1)
readonly DOWNLOAD_TIMEOUT=${LP_DOWNLOAD_TIMEOUT:-600}
CACHE=${LP_CACHE_DIR:-$HOME/.cache/xen-livepatch-tools}/realxen
readonly CACHE

log() { printf 'realxen-fetch: %s\n' "$*" >&2; }
die() { printf 'realxen-fetch: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if ((EUID == 0)); then "$@"; else sudo "$@"; fi
}

# apt options that turn a dead mirror into an error instead of a hang.
APT_NET_OPTS=(-o Acquire::http::Timeout=30 -o Acquire::Retries=2)
# Downloading into a folder _apt cannot read works, but apt warns; run as root there.
((EUID == 0)) && APT_NET_OPTS+=(-o APT::Sandbox::User=root)
readonly APT_NET_OPTS

# Adds a deb-src twin of Debian's deb entries unless apt already knows Xen's source.
ensure_deb_src() { # <source package version>
  if apt-cache showsrc xen 2>/dev/null | grep "^Version: $1" >/dev/null; then
    return
  fi
  local list=/etc/apt/sources.list.d/realxen-deb-src.sources
  if [[ ! -e $list ]]; then
    log "adding deb-src entry $list"
    as_root tee "$list" >/dev/null <<'EOF'
# Added by tests/realxen/fetch.sh: Xen's source package for the real-Xen test tier.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  log "apt-get update"
  as_root timeout "$DOWNLOAD_TIMEOUT" apt-get "${APT_NET_OPTS[@]}" update -qq \
    || die "apt-get update failed (is deb.debian.org reachable?)"
  apt-cache showsrc xen 2>/dev/null | grep "^Version: $1" >/dev/null \
    || die "apt does not list the source package xen=$1 after adding $list"
}

fetch_debian_source() { # <tree> <source package version>
  local tree=$1 version=$2
  ensure_deb_src "$version"
  mkdir -p "$CACHE/source"
  local dsc=$CACHE/source/xen_${version#*:}.dsc
  if [[ ! -f $dsc ]]; then
    log "downloading source package xen=$version"
    (cd "$CACHE/source" && timeout "$DOWNLOAD_TIMEOUT" apt-get "${APT_NET_OPTS[@]}" \
      source --download-only -qq "xen=$version") \
      || die "download of source package xen=$version failed"
  fi
  log "unpacking $dsc (applies Debian's patches)"
  rm -rf "$tree"
  dpkg-source --no-check -x "$dsc" "$tree" >/dev/null \
    || die "dpkg-source -x $dsc failed"
  touch "$tree/.realxen-unpacked"
}

# An upstream release archive holding xen-<version>/{xen,config,scripts,...}.
fetch_archive_source() { # <tree> <file>:<sha256>
  local tree=$1 file=${2%%:*} sum=${2#*:} tmp
  local archive=$ARCHIVES/$file
  [[ -f $archive ]] || die "$archive not found (set LP_XEN_ARCHIVES to the folder holding $file)"
  log "checking and unpacking $archive"
  [[ $(sha256sum <"$archive" | cut -d' ' -f1) == "$sum" ]] \
    || die "$archive does not have the sha256 xen-versions.sh records ($sum)"
  tmp=$CACHE/unpack-$XEN_VERSION
  rm -rf "$tmp" "$tree"
  mkdir -p "$tmp"
  tar -C "$tmp" -xJf "$archive" || die "unpacking $archive failed"
  [[ -f $tmp/xen-$XEN_VERSION/xen/Makefile ]] || die "$archive holds no xen-$XEN_VERSION/xen/Makefile"
  mv "$tmp/xen-$XEN_VERSION" "$tree"
  rmdir "$tmp"
  touch "$tree/.realxen-unpacked"
}

fetch_xen_source() {
  local tree=$CACHE/xen-$XEN_VERSION
  [[ -f $tree/.realxen-unpacked ]] && return
  case $XEN_SOURCE in
    debian:*) fetch_debian_source "$tree" "${XEN_SOURCE#debian:}" ;;
    archive:*) fetch_archive_source "$tree" "${XEN_SOURCE#archive:}" ;;
    *) die "xen-versions.sh: unknown source kind '$XEN_SOURCE'" ;;
  esac
}

# The kernel image package apt currently offers for bookworm (linux-image-6.1.0-N-amd64).
current_kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1
}

download_deb() { # <package>[=version]
  (cd "$CACHE/debs" && timeout "$DOWNLOAD_TIMEOUT" apt-get "${APT_NET_OPTS[@]}" \
    download -qq "$1") || die "download of $1 failed"
}

fetch_dom0() {
  local root=$CACHE/dom0-root
  [[ -f $root/.realxen-unpacked ]] && return
  mkdir -p "$CACHE/debs"
  local pkg kernel
  for pkg in "${UTILS_PACKAGES[@]}"; do
    compgen -G "$CACHE/debs/${pkg}_${UTILS_VERSION}_*.deb" >/dev/null && continue
    log "downloading $pkg=$UTILS_VERSION"
    download_deb "$pkg=$UTILS_VERSION"
  done
  kernel=$(current_kernel_package)
  [[ -n $kernel ]] || die "apt offers no linux-image-6.1.0-*-amd64 (run apt-get update)"
  if ! compgen -G "$CACHE/debs/${kernel}_*.deb" >/dev/null; then
    log "downloading $kernel"
    download_deb "$kernel"
  fi
  log "unpacking dom0 packages into $root"
  rm -rf "$root"
  mkdir -p "$root"
  local deb
  for deb in "$CACHE"/debs/*.deb; do
    dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed"
  done
  echo "$kernel" >"$root/.realxen-kernel"
  touch "$root/.realxen-unpacked"
}

parse_args() {
  local version=$REALXEN_DEFAULT_VERSION
  while (($#)); do
    case $1 in
      --xen) version=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  realxen_version_facts "$version" \
    || die "unknown Xen version $version (known: $(realxen_known_versions))"
}

main() {
  parse_args "$@"
  mkdir -p "$CACHE"
  local t0=$SECONDS
  fetch_xen_source
  local t1=$SECONDS
  fetch_dom0
  log "source: $((t1 - t0)) s, dom0 packages: $((SECONDS - t1)) s (0 means cached)"
  echo "$CACHE"
}

main "$@"
