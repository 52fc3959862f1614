#!/usr/bin/env bash
# Soak benchmark: a day of 5-minute cron runs, compressed. A fresh PostgreSQL and payrecon-sandbox; SOAK_ROWS due
# charges pending at the gateway are imported (each settles at a sandbox time spread over the whole soak), then
# SOAK_RUNS consecutive `payrecon run --deadline SOAK_DEADLINE` with the default batch size (or SOAK_BATCH_SIZE). Between runs the sandbox clock advances
# SOAK_ADVANCE_MS (so transactions settle a few at a time) and SOAK_ARRIVALS new pending charges arrive (sandbox
# and `payrecon import`). Still-pending rows come due again after 30 s (pending_ladder: [30s]), so every run has
# a backlog. Per run it prints checked, tx/s (checked / wall time of the run), claim and apply latency (p50, p99,
# from summary.json), database size, the run's report folder size, the whole reports folder and peak RSS; at the
# end the bounds: throughput of the last five runs within 20% of the first five (medians), claim p99 under 50 ms.
# The table is printed as it goes; the run log and the machine line say what the numbers were measured on.
#   SOAK_ROWS=1000000 SOAK_RUNS=30 SOAK_DEADLINE=20s SOAK_ADVANCE_MS=300000 SOAK_ARRIVALS=20000 SOAK_IN_FLIGHT=64
#   SOAK_BATCH_SIZE=N (worker.batch_size; default: payrecon's)
#   PAYRECON_BUILD_DIR=build
# Exit status 0 when both bounds hold, 1 when one does not.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PAYRECON_BUILD_DIR:-$root/build}
rows=${SOAK_ROWS:-1000000}
runs=${SOAK_RUNS:-30}
deadline=${SOAK_DEADLINE:-20s}
advance=${SOAK_ADVANCE_MS:-300000}
arrivals=${SOAK_ARRIVALS:-20000}
in_flight=${SOAK_IN_FLIGHT:-64}
batch_size=${SOAK_BATCH_SIZE:-}
payrecon=$build/jobs/payrecon
sandbox_bin=$build/sandbox/payrecon-sandbox
generator=$build/bench/bench_job_scenario
for b in "$payrecon" "$sandbox_bin" "$generator"; do
  [ -x "$b" ] || { echo "soak: $b is missing: build first (scripts/setup.sh)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/prsoak.XXXXXX)
pgdir=$(mktemp -d /tmp/prsk.XXXXXX)
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

db_uri=$("$root/scripts/pg.sh" start "$pgdir")
base=${db_uri%/*}
psql -q "$db_uri" -c "CREATE DATABASE soak" >/dev/null
# Settle times cover one and a half soaks of sandbox time: a third of the backlog is still pending at the end.
span=$(( runs * advance * 3 / 2 ))
mkdir -p "$work/base"
"$generator" --mix soak --count "$rows" --settle-span-ms "$span" --out "$work/base" >&2
cat >"$work/merchants.yaml" <<YAML
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret: SOAK_SECRET_ONE
YAML
export SOAK_SECRET_MID1=SOAK_SECRET_ONE
"$sandbox_bin" --merchants "$work/merchants.yaml" --scenario "$work/base/scenario.csv" --port 0 \
  >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
port=""
for _ in $(seq 1 1200); do
  port=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "soak: the sandbox did not start" >&2; exit 1; }
sandbox="http://127.0.0.1:$port"

cat >"$work/payrecon.yaml" <<YAML
database:
  conninfo: "$base/soak"
amazonpay:
  endpoint: "$sandbox"
  allow_insecure_http: true
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret_key_env: SOAK_SECRET_MID1
worker:
  in_flight: $in_flight
${batch_size:+  batch_size: $batch_size
}  pending_ladder: [30s]
  pending_after_ladder: 30s
  charge_stuck_after: 30d
reports:
  dir: "$work/reports"
YAML
cfg=$work/payrecon.yaml
"$payrecon" migrate --config "$cfg" >/dev/null 2>"$work/migrate.err" || { cat "$work/migrate.err" >&2; exit 1; }
t0=$(date +%s%N)
"$payrecon" import "$work/base/transactions.csv" --config "$cfg" >/dev/null 2>"$work/import.err" \
  || { cat "$work/import.err" >&2; exit 1; }
t1=$(date +%s%N)
echo "soak: $rows rows imported in $(( (t1 - t0) / 1000000 )) ms; $runs runs of $deadline, $in_flight in flight, batch_size ${batch_size:-default}," \
     "+$arrivals rows and +${advance} ms of sandbox time between runs" >&2

num() { sed -n "s/.*\"$1\": \\([0-9.]*\\).*/\\1/p" "$2" | head -n 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

echo "| run | checked |  tx/s | claim p50 ms | claim p99 ms | apply p50 ms | apply p99 ms | DB MiB | run folder KiB | reports MiB | peak RSS MiB |"
echo "|-----|---------|-------|--------------|--------------|--------------|--------------|--------|----------------|-------------|--------------|"
rates=()
worst_claim_p99=0
next_id=$rows
for run in $(seq 1 "$runs"); do
  r0=$(date +%s%N)
  line=$("$payrecon" run --deadline "$deadline" --config "$cfg" 2>"$work/run.err") || {
    echo "soak: run $run failed" >&2; tail -n 5 "$work/run.err" >&2; exit 1; }
  r1=$(date +%s%N)
  dir=$(sed -n 's/.*"report_dir":"\([^"]*\)".*/\1/p' <<<"$line")
  checked=$(sed -n 's/.*"checked":\([0-9]*\).*/\1/p' <<<"$line")
  rate=$(( checked * 1000000000 / (r1 - r0) ))
  rates+=("$rate")
  s=$dir/summary.json
  cp50=$(num claim_p50_us "$s"); cp99=$(num claim_p99_us "$s")
  ap50=$(num apply_p50_us "$s"); ap99=$(num apply_p99_us "$s")
  [ "$cp99" -gt "$worst_claim_p99" ] && worst_claim_p99=$cp99
  rss=$(sed -n 's/.*"peak_rss_mib":\([0-9]*\).*/\1/p' "$work/run.err" | tail -n 1)
  db_mib=$(( $(psql -Atq "$base/soak" -c "SELECT pg_database_size(current_database())") >> 20 ))
  folder_kib=$(( $(du -sb "$dir" | cut -f1) >> 10 ))
  reports_mib=$(( $(du -sb "$work/reports" | cut -f1) >> 20 ))
  ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }
  printf '| %3d | %7d | %5d | %12s | %12s | %12s | %12s | %6d | %14d | %11d | %12s |\n' "$run" "$checked" "$rate" \
    "$(ms "$cp50")" "$(ms "$cp99")" "$(ms "$ap50")" "$(ms "$ap99")" "$db_mib" "$folder_kib" "$reports_mib" "$rss"
  # What five minutes bring before the next cron run: settled transactions and new ones.
  [ "$run" -eq "$runs" ] && break
  curl -fsS -X POST "$sandbox/sandbox/clock?advance_ms=$advance" >/dev/null
  if [ "$arrivals" -gt 0 ]; then
    mkdir -p "$work/batch"
    "$generator" --mix soak --first "$next_id" --count "$arrivals" --settle-span-ms "$span" --out "$work/batch" >/dev/null
    curl -fsS -X POST --data-binary "@$work/batch/scenario.csv" "$sandbox/sandbox/transactions" >/dev/null
    "$payrecon" import "$work/batch/transactions.csv" --config "$cfg" >/dev/null 2>"$work/import.err" \
      || { cat "$work/import.err" >&2; exit 1; }
    next_id=$(( next_id + arrivals ))
  fi
done

k=$(( runs >= 10 ? 5 : (runs + 1) / 2 ))
first=$(printf '%s\n' "${rates[@]:0:k}" | median)
last=$(printf '%s\n' "${rates[@]: -k}" | median)
echo
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "throughput: first $k runs $first tx/s, last $k $last tx/s (medians); worst claim p99 $(( worst_claim_p99 / 1000 )) ms"
ok=0
if [ $(( last * 100 )) -lt $(( first * 80 )) ]; then echo "FAIL: throughput fell by more than 20%"; ok=1; else echo "ok: throughput held within 20%"; fi
if [ "$worst_claim_p99" -ge 50000 ]; then echo "FAIL: a claim p99 reached 50 ms"; ok=1; else echo "ok: claim p99 under 50 ms in every run"; fi
exit "$ok"
