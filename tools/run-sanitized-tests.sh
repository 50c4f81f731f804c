#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: a separate build in
# build-asan/ (TIMBREL_SANITIZE=address,undefined; the CUDA kernels' device code is not
# instrumented). Too slow for CI on two cores (CI runs the sanitized core tests and the fuzzers);
# run it by hand before a release. Extra arguments go to ctest (e.g. -R Render).
# Usage: tools/run-sanitized-tests.sh [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIMBREL_SANITIZE=address,undefined \
  -DTIMBREL_BUILD_TESTS=ON -DTIMBREL_BUILD_BENCH=OFF
cmake --build build-asan -j"$(nproc)"
# Leaks inside third-party libraries' own lifetimes (libtorch's and OpenBLAS's per-thread
# buffers, FluidSynth/glib type registries) are suppressed; ours are not.
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 3600 "$@"
