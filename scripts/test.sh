#!/usr/bin/env bash
# Runs the tests: installs and builds what is missing, starts a throwaway PostgreSQL whose URI the tests read
# from PAYRECON_TEST_DATABASE_URL, runs ctest (one CTest test per Boost.Test case), and always stops the server.
#   scripts/test.sh [ctest args]             every test, built in build/ (e.g. scripts/test.sh -R money)
#   scripts/test.sh --repeat N [ctest args]  the unit and net tests, each up to N times, stopping at a failure
#   scripts/test.sh --sanitize [ctest args]  every test, built with AddressSanitizer + UndefinedBehaviorSanitizer
#                                            (and LeakSanitizer) in build-asan/
#   scripts/test.sh --tsan [ctest args]      the runner, bounded queue, rate limiter and gateway client tests,
#                                            built with ThreadSanitizer in build-tsan/
#   scripts/test.sh --fuzz [ctest args]      each libFuzzer target over its seed corpus plus a few seconds of
#                                            mutation, built with clang in build-fuzz/ (skipped without clang-14)
# The last line of the output is ctest's summary ("100% tests passed, 0 tests failed out of N"): CI reads it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

mode=normal
repeat=
case "${1:-}" in
  --repeat)
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --repeat needs a positive count" >&2; exit 2; }
    mode=repeat
    repeat=$2
    shift 2
    ;;
  --sanitize) mode=asan; shift ;;
  --tsan) mode=tsan; shift ;;
  --fuzz) mode=fuzz; shift ;;
esac

select=()
case "$mode" in
  normal | repeat)
    export PAYRECON_BUILD_DIR=${PAYRECON_BUILD_DIR:-$root/build}
    if [ "$mode" = repeat ]; then
      select=(-L '^(unit|net)$' --repeat "until-fail:$repeat")
    fi
    ;;
  asan)
    export PAYRECON_BUILD_DIR=${PAYRECON_ASAN_BUILD_DIR:-$root/build-asan}
    export PAYRECON_CMAKE_ARGS="-DPAYRECON_SANITIZE=address,undefined -DPAYRECON_BENCH=OFF"
    # Every report ends the process with a failure; leaks are reported at exit (LeakSanitizer). Child processes
    # (payrecon, payrecon-sandbox) inherit these.
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:exitcode=86"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    # deploy/image builds the container image from source inside podman: nothing in it is sanitized.
    select=(-E '^deploy/image$')
    ;;
  tsan)
    export PAYRECON_BUILD_DIR=${PAYRECON_TSAN_BUILD_DIR:-$root/build-tsan}
    export PAYRECON_CMAKE_ARGS="-DPAYRECON_SANITIZE=thread -DPAYRECON_BENCH=OFF"
    export PAYRECON_BUILD_TARGETS="jobs_unit_tests gateway_net_tests"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$root/tests/sanitizers/tsan.supp"
    select=(-R '^(jobs_unit_tests/(runner|bounded_queue|rate_limiter)/|gateway_net_tests/)')
    ;;
  fuzz)
    if ! command -v clang++-14 >/dev/null; then
      echo "test.sh: clang++-14 is not installed; no fuzz targets to run" >&2
      exit 0
    fi
    export PAYRECON_BUILD_DIR=${PAYRECON_FUZZ_BUILD_DIR:-$root/build-fuzz}
    export PAYRECON_CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 -DPAYRECON_FUZZ=ON -DPAYRECON_BENCH=OFF"
    export PAYRECON_BUILD_TARGETS="fuzz_targets"
    export PAYRECON_WERROR=OFF
    select=(-L '^fuzz$')
    ;;
esac
"$root/scripts/setup.sh"

pgdir=$(mktemp -d /tmp/prpg.XXXXXX)
cleanup() { "$root/scripts/pg.sh" stop "$pgdir" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PAYRECON_TEST_DATABASE_URL=$("$root/scripts/pg.sh" start "$pgdir")
export PAYRECON_SOURCE_DIR=$root

cd "$PAYRECON_BUILD_DIR"
log=$(mktemp /tmp/payrecon-ctest.XXXXXX)
set +e
ctest --output-on-failure --no-tests=error --timeout 600 --no-label-summary "${select[@]}" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# CI reads the log's last line: repeat ctest's summary ("100% tests passed, 0 tests failed out of N") last.
summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -1)
rm -f "$log"
[ -n "$summary" ] && echo "$summary"
exit "$rc"
