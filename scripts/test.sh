#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine.
#
# 1. installs what is missing (scripts/install-deps.sh);
# 2. builds the toolchain under AddressSanitizer and UndefinedBehaviorSanitizer
#    (build-asan/) and runs the fast `unit` tests there;
# 3. builds the Release configuration (build/), the one packagers build
#    (-O3, where gcc 12 warns in ways -O2 does not), and runs every test on it:
#    unit, the QEMU tests of the in-tree hypervisor, e2e, the fuzz smoke run
#    and the real-Xen tier. Developers build RelWithDebInfo (scripts/build.sh's
#    default), so both configurations that must compile warning-free are
#    compiled, and CI pays for no third build.
# The last thing printed is ctest's summary of step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

echo "== sanitizer build (build-asan): unit tests under ASan+UBSan"
scripts/build.sh build-asan -DLP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure -j"$jobs")

echo "== Release build (build): all tests"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
cd build
ctest --output-on-failure -j"$jobs"
