#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine.
#
# 1. installs what is missing (scripts/install-deps.sh);
# 2. builds the toolchain under AddressSanitizer and UndefinedBehaviorSanitizer
#    (build-asan/) and runs the fast `unit` tests there;
# 3. builds the normal configuration (build/) and runs every test: unit, the
#    QEMU tests of the in-tree hypervisor, and the fuzz smoke run.
# The last thing printed is ctest's summary of step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh

echo "== sanitizer build (build-asan): unit tests under ASan+UBSan"
scripts/build.sh build-asan -DLP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest -L unit --output-on-failure -j"$jobs")

echo "== normal build (build): all tests"
scripts/build.sh build
cd build
ctest --output-on-failure -j"$jobs"
