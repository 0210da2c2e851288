#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs, and only those missing.
#
# Non-interactive and idempotent: it asks dpkg which packages are absent and
# runs apt-get only for those, so a second run costs a fraction of a second.
# Every dependency is a Debian package; nothing is downloaded from elsewhere.
#
# The instruction decoder is Zydis (libzydis-dev); the fuzz target uses
# clang-14's libFuzzer runtime (bookworm's default clang).
set -euo pipefail

build_packages=(
  cmake g++ make pkg-config help2man
  libelf-dev libdw-dev zlib1g-dev libcli11-dev libfmt-dev catch2 libssl-dev nlohmann-json3-dev
  libzydis-dev
)
test_packages=(
  gcc binutils patch openssl qemu-system-x86 busybox-static cpio
  clang-14 libclang-rt-14-dev
)
# Building real Xen 4.17 from Debian's source package (the real-Xen tier).
xen_packages=(bison flex dpkg-dev xz-utils python3)
# Building and checking the Debian package (scripts/deb.sh): dpkg-buildpackage
# (dpkg-dev, above) with debhelper, lintian, and man -l for the packaged pages.
deb_packages=(build-essential debhelper lintian man-db)

missing=()
for pkg in "${build_packages[@]}" "${test_packages[@]}" "${xen_packages[@]}" "${deb_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
