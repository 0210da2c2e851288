#!/usr/bin/env bash
# bench-build.sh on Xen 4.17.5, the tree where the build goals matter: Debian's
# source package (fetched once by the real-Xen tier's fetch.sh into its cache),
# Xen's defconfig (which enables CONFIG_LIVEPATCH) and the tier's sysctl
# bounds-check patch. A round builds Xen twice from clean (plain make and the
# cold livepatch-build), about 7 minutes on 2 cores, so ROUNDS defaults to 1
# here.
#
#   bench-xen.sh LIVEPATCH_BUILD [PATCH]
# Env: ROUNDS (default 1), JOBS, KEEP, LP_CACHE_DIR (see tests/realxen/fetch.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
lb=$1
patch=${2:-$repo/tests/realxen/patches/lp-01-sysctl-domlist-reserved.patch}
cache=$("$repo/tests/realxen/fetch.sh" | tail -n1)
ROUNDS=${ROUNDS:-1} exec "$here/bench-build.sh" "$lb" "$cache/xen-4.17.5" "$patch"
