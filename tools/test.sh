#!/bin/bash
# Quick start, step 2: install what is missing, build, run the whole suite,
# then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer,
# then the NEON kernels against their scalar twins (aarch64 cross build run
# under qemu-user), then a short run of every fuzz target and the saved fuzz
# regressions. LUMENQ_SANITIZE=0, LUMENQ_NEON=0 and LUMENQ_FUZZ=0 skip those passes.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
lumenq_install_deps || exit 1

status=0
total_pass=0 total_fail=0 total_skip=0
run_suite() { # run_suite BUILD_DIR LABEL
    local dir=$1 label=$2
    echo "== $label: meson test" >&2
    meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
    # Count from meson's machine-readable log (one JSON object per test).
    local log="$dir/meson-logs/testlog.json"
    local p f s
    p=$(grep -c '"result": "OK"' "$log" || true)
    f=$(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
    s=$(grep -c '"result": "SKIP"' "$log" || true)
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

lumenq_build build || exit 1
run_suite build "release build"
if [ "${LUMENQ_SANITIZE:-1}" != 0 ]; then
    lumenq_build build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized || exit 1
    # under the sanitizers, LUMENQ_E2E_QUICK=1: seed 1 of each e2e kind, one of each classic
    # e2e case, bursts of 10 studies at the hooks (all of them in the release pass)
    LUMENQ_E2E_QUICK=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp" \
        run_suite build-asan "sanitizer build (address, undefined)"
fi
if [ "${LUMENQ_NEON:-1}" != 0 ] && [ "$(uname -m)" = x86_64 ]; then
    echo "== NEON kernels (aarch64 under qemu-user): checkasm" >&2
    if tools/check-neon.sh; then total_pass=$((total_pass + 1)); else total_fail=$((total_fail + 1)); status=1; fi
fi
if [ "${LUMENQ_FUZZ:-1}" != 0 ]; then
    echo "== fuzz targets (clang, ASan + UBSan): 20 s each, then the saved regressions" >&2
    if tools/fuzz.sh all 20 && tools/fuzz.sh --regress; then total_pass=$((total_pass + 1)); else total_fail=$((total_fail + 1)); status=1; fi
fi
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status
