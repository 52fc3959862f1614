#!/usr/bin/env bash
# Runs every test: installs and builds what is missing, starts a throwaway PostgreSQL whose URI the tests read
# from PAYRECON_TEST_DATABASE_URL, runs ctest (one CTest test per Boost.Test case), and always stops the server.
# Extra arguments go to ctest, e.g. scripts/test.sh -R money.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"

pgdir=$(mktemp -d /tmp/prpg.XXXXXX)
cleanup() { "$root/scripts/pg.sh" stop "$pgdir" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export PAYRECON_TEST_DATABASE_URL=$("$root/scripts/pg.sh" start "$pgdir")
export PAYRECON_SOURCE_DIR=$root
export PAYRECON_BUILD_DIR=${PAYRECON_BUILD_DIR:-$root/build}

cd "$PAYRECON_BUILD_DIR"
log=$(mktemp /tmp/payrecon-ctest.XXXXXX)
set +e
ctest --output-on-failure --no-tests=error --timeout 600 --no-label-summary "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# CI reads the log's last line: repeat ctest's summary ("100% tests passed, 0 tests failed out of N") last.
summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -1)
rm -f "$log"
[ -n "$summary" ] && echo "$summary"
exit "$rc"
