#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine.
#
# 1. installs what is missing (scripts/install-deps.sh);
# 2. builds the toolchain under AddressSanitizer and UndefinedBehaviorSanitizer
#    (build-asan/) and runs the fast `unit` tests there;
# 3. builds the Debian package and checks it (scripts/deb.sh, in out/deb):
#    the commands RelWithDebInfo with Debian's hardening flags and -Werror,
#    tests and benchmarks neither built nor run (the nocheck profile: steps 2
#    and 4 build and run them, and they are 40% of the compile), lintian
#    without errors, and the packaged commands from a scratch root: --help,
#    --version, man pages, the main job's payload built with them. This is
#    also CI's check that RelWithDebInfo, what developers build, compiles
#    warning-free;
# 4. builds the Release configuration (build/), what packagers who follow
#    CMake's defaults build (-O3, where gcc 12 warns in ways -O2 does not),
#    and runs every test on it: unit, the QEMU tests of the in-tree
#    hypervisor, e2e, the fuzz smoke run and the real-Xen tier.
# Any failing step stops the run with a non-zero exit. Each step says how long
# it took; the last thing printed is ctest's summary of step 4.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
step_start=$SECONDS
took() { echo "== $1 took $((SECONDS - step_start)) s"; step_start=$SECONDS; }

scripts/install-deps.sh

echo "== sanitizer build (build-asan): unit tests under ASan+UBSan"
scripts/build.sh build-asan -DLP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure -j"$jobs")
took "sanitizer build and unit tests"

echo "== Debian package (scripts/deb.sh out/deb)"
DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck scripts/deb.sh out/deb
took "Debian package"

echo "== Release build (build): all tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
took "Release build"
cd build
ctest --output-on-failure -j"$jobs"
