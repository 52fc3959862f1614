#!/usr/bin/env bash
# End-to-end benchmark of `payrecon run` against payrecon-sandbox on this machine (the job, the sandbox and
# PostgreSQL share its cores). For each case, BENCH_RUNS times: a fresh database, BENCH_COUNT due transactions
# imported, one `payrecon run` timed from start to exit (claims, signed calls, verification, batched applies,
# reports and the pending listing included). Prints a table of medians: transactions per second and peak RSS.
#   BENCH_COUNT=100000  BENCH_RUNS=3  PAYRECON_BUILD_DIR=build
# `bench_job.sh throttle` instead measures throttling (BENCH_COUNT defaults to 20000): the same run without
# faults, then with 4% of status answers 429 or 503 carrying `Retry-After: 1`, and the share of throughput kept.
# Cases: no sandbox latency with 16 and 64 requests in flight; 50 ms sandbox latency with 64 in flight (ideal
# 64 / 0.05 s = 1,280/s); and the memory check: peak RSS with a tenth of the backlog.
set -euo pipefail
mode=${1:-all}
case "$mode" in all|throttle) ;; *) echo "usage: bench_job.sh [throttle]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PAYRECON_BUILD_DIR:-$root/build}
default_count=100000
[ "$mode" = throttle ] && default_count=20000
count=${BENCH_COUNT:-$default_count}
runs=${BENCH_RUNS:-3}
payrecon=$build/jobs/payrecon
sandbox_bin=$build/sandbox/payrecon-sandbox
generator=$build/bench/bench_job_scenario
for b in "$payrecon" "$sandbox_bin" "$generator"; do
  [ -x "$b" ] || { echo "bench: $b is missing: build first (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/prbench.XXXXXX)
pgdir=$(mktemp -d /tmp/prpg.XXXXXX)   # its own folder: the server runs as `postgres`, which cannot enter $work
sandbox_pid=""
stop_sandbox() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  sandbox_pid=""
}
cleanup() { stop_sandbox; "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

db_uri=$("$root/scripts/pg.sh" start "$pgdir")
base=${db_uri%/*}
mkdir -p "$work/big" "$work/small"
"$generator" --count "$count" --out "$work/big" --mix bench >&2
"$generator" --count "$((count / 10))" --out "$work/small" --mix bench >&2
cat >"$work/merchants.yaml" <<YAML
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret: BENCH_SECRET_ONE
YAML
export BENCH_SECRET_MID1=BENCH_SECRET_ONE

# start_sandbox LATENCY_MS [RULES_JSON]: the sandbox with the big scenario (the small one is its prefix).
start_sandbox() {
  stop_sandbox
  : >"$work/sandbox.out"
  "$sandbox_bin" --merchants "$work/merchants.yaml" --scenario "$work/big/scenario.csv" --port 0 \
    --faults "{\"latency_ms\":$1,\"rules\":${2:-[]}}" >"$work/sandbox.out" 2>"$work/sandbox.err" &
  sandbox_pid=$!
  port=""
  for _ in $(seq 1 600); do
    port=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
    [ -n "$port" ] && return 0
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: the sandbox did not start" >&2
  exit 1
}

# one_run NAME IN_FLIGHT DATA_DIR: prints "rate peak_rss_mib checked"
n=0
one_run() {
  n=$((n + 1))
  local db="bench_$n"
  psql -q "$db_uri" -c "CREATE DATABASE $db" >/dev/null
  cat >"$work/payrecon.yaml" <<YAML
database:
  conninfo: "$base/$db"
amazonpay:
  endpoint: "http://127.0.0.1:$port"
  allow_insecure_http: true
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret_key_env: BENCH_SECRET_MID1
worker:
  in_flight: $2
  batch_size: 1000
reports:
  dir: "$work/reports"
YAML
  "$payrecon" migrate --config "$work/payrecon.yaml" >/dev/null 2>&1
  "$payrecon" import "$3/transactions.csv" --config "$work/payrecon.yaml" >/dev/null 2>&1
  local t0 t1 line
  t0=$(date +%s%N)
  line=$("$payrecon" run --config "$work/payrecon.yaml" 2>"$work/run.err")
  t1=$(date +%s%N)
  local checked rss
  checked=$(sed -n 's/.*"checked":\([0-9]*\).*/\1/p' <<<"$line")
  # The end line's peak_rss_mib (JSON logs: stderr is a file); older builds wrote "peak RSS N MiB".
  rss=$(sed -n -e 's/.*"peak_rss_mib":\([0-9]*\).*/\1/p' -e 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' "$work/run.err")
  psql -q "$db_uri" -c "DROP DATABASE $db" >/dev/null
  rm -rf "$work/reports"
  echo "$(( checked * 1000000000 / (t1 - t0) )) $rss $checked"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

# case LABEL LATENCY IN_FLIGHT DATA_DIR IDEAL [RULES_JSON]; sets last_rate to the median rate
results=()
last_rate=0
bench_case() {
  start_sandbox "$2" "${6:-[]}"
  local rates=() rsses=() checked=0 r
  for _ in $(seq 1 "$runs"); do
    read -r rate rss checked < <(one_run "$1" "$3" "$4")
    echo "  $1: $rate/s, peak RSS $rss MiB ($checked checked)" >&2
    rates+=("$rate"); rsses+=("$rss")
  done
  local mrate mrss ideal_pct="-"
  mrate=$(printf '%s\n' "${rates[@]}" | median)
  mrss=$(printf '%s\n' "${rsses[@]}" | median)
  [ "$5" != "-" ] && ideal_pct="$(( mrate * 100 / $5 ))%"
  results+=("$(printf '| %-38s | %7s | %6s | %5s | %7s | %12s |' "$1" "$checked" "$mrate" "$5" "$ideal_pct" "$mrss")")
  last_rate=$mrate
}

if [ "$mode" = throttle ]; then
  echo "bench: throttling, $count due transactions, $runs runs per case, $(nproc) cores" >&2
  # The first rule that fires wins: 2% 429, then 2.0408% of the rest 503 = 4% of all answers.
  throttle_rules='[{"fault":"http429:1","probability":"0.02","endpoint":"status"},{"fault":"http503:1","probability":"0.020408","endpoint":"status"}]'
  bench_case "no faults, 16 in flight" 0 16 "$work/big" -
  clean=$last_rate
  bench_case "4% 429/503 Retry-After: 1, 16 in flight" 0 16 "$work/big" - "$throttle_rules"
  throttled=$last_rate
  echo
  echo "| case                                   | checked |  txn/s | ideal | % ideal | peak RSS MiB |"
  echo "|----------------------------------------|---------|--------|-------|---------|--------------|"
  printf '%s\n' "${results[@]}"
  echo
  echo "throughput kept under throttling: $(( throttled * 100 / clean ))% (medians of $runs runs)"
  exit 0
fi

echo "bench: $count due transactions, $runs runs per case, $(nproc) cores" >&2
bench_case "no latency, 16 in flight" 0 16 "$work/big" -
bench_case "no latency, 64 in flight" 0 64 "$work/big" -
bench_case "50 ms latency, 64 in flight" 50 64 "$work/big" 1280
bench_case "no latency, 16 in flight, 1/10 backlog" 0 16 "$work/small" -

echo
echo "| case                                   | checked |  txn/s | ideal | % ideal | peak RSS MiB |"
echo "|----------------------------------------|---------|--------|-------|---------|--------------|"
printf '%s\n' "${results[@]}"
echo
echo "medians of $runs runs; txn/s = transactions checked / wall time of \`payrecon run\` (start to exit)"
