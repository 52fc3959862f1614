#!/usr/bin/env bash
# Benchmarks payrecon-sandbox and prints a table (README "payrecon-sandbox", Performance):
#   1. start-up load of a seeded scenario of ROWS transactions (default 1,000,000): load time from the sandbox's own
#      log line, peak resident memory (VmHWM) after loading and after the HTTP runs;
#   2. Get Status requests per second with keep-alive over CONNECTIONS connections (default 8) on loopback, with
#      wrk (2 threads) cycling through 1,000 pre-signed requests; RUNS runs (default 5) of DURATION (default 10s).
# Every request is fully checked (signature, age, merchant) and every answer signed. Medians are printed.
# Needs a built tree (PAYRECON_BUILD_DIR, default build/) and wrk.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PAYRECON_BUILD_DIR:-$root/build}
rows=${ROWS:-1000000}
connections=${CONNECTIONS:-8}
runs=${RUNS:-5}
duration=${DURATION:-10s}
sandbox=$build/sandbox/payrecon-sandbox
sign=$build/bench/bench_sandbox_sign
for bin in "$sandbox" "$sign"; do
  [ -x "$bin" ] || { echo "bench_sandbox: missing $bin (build first)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench_sandbox: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

dir=$(mktemp -d /tmp/prbench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

cat > "$dir/merchants.yaml" <<'YAML'
merchants:
  - merchant_id: BENCHMID
    access_key_id: 3b1f9a7c-2d4e-4f60-8a1b-9c0d2e3f4a5b
    secret: BENCH_SECRET_NOT_REAL
YAML

# Nine charges then one refund of the charge before it; a third of the charges pending, settling later.
awk -v n="$rows" 'BEGIN {
  print "merchant_id,kind,merchant_txn_id,amazon_txn_id,parent_txn_id,amount,currency,status,settle_after_ms,settle_to,approved_amount,fault"
  for (i = 1; i <= n; i++) {
    if (i % 10 == 0) {
      printf "BENCHMID,refund,order-%d,,order-%d,1.00,,Pending,60000,Approved,,\n", i, i - 1
    } else if (i % 3 == 0) {
      printf "BENCHMID,charge,order-%d,,,%d.%02d,INR,CapturePending,120000,CaptureApproved,,\n", i, 10 + i % 5000, i % 100
    } else {
      printf "BENCHMID,charge,order-%d,,,%d.%02d,INR,CaptureApproved,,,,\n", i, 10 + i % 5000, i % 100
    }
  }
}' > "$dir/scenario.csv"

"$sandbox" --merchants "$dir/merchants.yaml" --scenario "$dir/scenario.csv" --port 0 --seed 1 \
  > "$dir/stdout" 2> "$dir/stderr" &
pid=$!
# Bounded polling for the port line (printed after the scenario has loaded).
for _ in $(seq 1 600); do
  [ -s "$dir/stdout" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/stderr" >&2; exit 1; }
  sleep 0.1
done
port=$(head -1 "$dir/stdout")
load_ms=$(sed -n 's/.*loaded [0-9]* transactions from .* in \([0-9]*\) ms/\1/p' "$dir/stderr")
hwm_load=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

"$sign" BENCHMID 3b1f9a7c-2d4e-4f60-8a1b-9c0d2e3f4a5b BENCH_SECRET_NOT_REAL 127.0.0.1 order- 1000 > "$dir/status.lua"
# Warm-up, then the measured runs.
wrk -t2 -c"$connections" -d2s -s "$dir/status.lua" "http://127.0.0.1:$port" > /dev/null
rates=()
for r in $(seq 1 "$runs"); do
  out=$(wrk -t2 -c"$connections" -d"$duration" -s "$dir/status.lua" "http://127.0.0.1:$port")
  bad=$(echo "$out" | sed -n 's/non2xx_reported_by_wrk=\([0-9]*\)/\1/p')
  [ "${bad:-0}" = 0 ] || { echo "bench_sandbox: $bad answers were not 2xx" >&2; echo "$out" >&2; exit 1; }
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "Latency" {print $2}')
  rates+=("$rate")
  echo "run $r: $rate req/s (mean latency $p50)" >&2
done
hwm_end=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

printf '\n%-58s %s\n' "payrecon-sandbox benchmark" "value"
printf '%-58s %s\n' "scenario rows loaded at start-up" "$rows"
printf '%-58s %s ms\n' "scenario load time" "$load_ms"
printf '%-58s %d MiB\n' "peak resident (VmHWM) after load" $((hwm_load / 1024))
printf '%-58s %s\n' "status req/s, keep-alive, $connections connections, median of $runs" "$median"
printf '%-58s %s\n' "all runs (req/s)" "${rates[*]}"
printf '%-58s %d MiB\n' "peak resident (VmHWM) after the HTTP runs" $((hwm_end / 1024))
