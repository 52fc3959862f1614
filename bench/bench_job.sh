#!/usr/bin/env bash
# End-to-end benchmark of `payrecon run` against payrecon-sandbox on this machine (the job, the sandbox and
# PostgreSQL share its cores). For each case, BENCH_RUNS times: a fresh database, BENCH_COUNT due transactions
# imported, one `payrecon run` timed from start to exit (claims, signed calls, verification, batched applies,
# reports and the pending listing included). Prints a table of medians: transactions per second, payrecon's own
# CPU per check (user + system time of the process over checks) and peak RSS.
#   BENCH_COUNT=100000  BENCH_RUNS=3  PAYRECON_BUILD_DIR=build
#   BENCH_BASELINE_BUILD=DIR   also run DIR's payrecon (another build, e.g. of main) in each case, in pairs of
#                              runs with this build against the same sandbox (each build first in every other
#                              pair; an odd BENCH_RUNS becomes the next even count), and print the throughput
#                              ratio and the range of the pairs' ratios
#   BENCH_CASES="plain https 50ms small rate"   the cases to run (default all)
#   BENCH_RATE_IN_FLIGHT=64    requests in flight in the rate case
#   BENCH_IO_THREADS=N         this build's worker.io_threads (default: the setting's default; 0: blocking client)
# Cases: no sandbox latency with 16 and 64 requests in flight; the same over HTTPS (TLS, keep-alive); 50 ms
# sandbox latency with 64 in flight (ideal 64 / 0.05 s = 1,280/s); the memory check: peak RSS with a tenth of the
# backlog; and the rate limit seen from outside: max_rps 300 with 64 in flight, the sandbox's busiest 1 s window
# (never above 300) and the average rate (at least 98% of 300).
# `bench_job.sh throttle` (or BENCH_CASES=throttle; BENCH_COUNT then defaults to 20000) measures throttling: the
# same run without faults, then with 4% of status answers 429 or 503 carrying `Retry-After: 1`, 16 in flight, and
# prints the share of throughput kept.
set -euo pipefail
mode=${1:-all}
case "$mode" in all|throttle) ;; *) echo "usage: bench_job.sh [throttle]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PAYRECON_BUILD_DIR:-$root/build}
default_cases="plain https 50ms small rate"
[ "$mode" = throttle ] && default_cases=throttle
cases=${BENCH_CASES:-$default_cases}
default_count=100000
[ "$cases" = throttle ] && default_count=20000
count=${BENCH_COUNT:-$default_count}
runs=${BENCH_RUNS:-3}
payrecon=$build/jobs/payrecon
baseline=""
[ -n "${BENCH_BASELINE_BUILD:-}" ] && baseline=$BENCH_BASELINE_BUILD/jobs/payrecon
# Pairs: each build goes first in every other one, so an even count gives both the same share of the machine's
# drift.
if [ -n "$baseline" ] && [ $((runs % 2)) = 1 ]; then
  echo "bench: BENCH_RUNS=$runs is odd; running $((runs + 1)) pairs so that each build goes first in as many" >&2
  runs=$((runs + 1))
fi
sandbox_bin=$build/sandbox/payrecon-sandbox
generator=$build/bench/bench_job_scenario
for b in "$payrecon" "$sandbox_bin" "$generator" ${baseline:+"$baseline"}; do
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
mkdir -p "$work/big" "$work/small" "$work/rate"
"$generator" --count "$count" --out "$work/big" --mix bench >&2
"$generator" --count "$((count / 10))" --out "$work/small" --mix bench >&2
"$generator" --count 9000 --out "$work/rate" --mix bench >&2   # 30 s at 300/s
cat >"$work/merchants.yaml" <<YAML
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret: BENCH_SECRET_ONE
YAML
export BENCH_SECRET_MID1=BENCH_SECRET_ONE

# A throwaway CA and a certificate for 127.0.0.1, for the HTTPS cases.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 -subj "/CN=bench CA" \
  >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/csr.pem" -subj "/CN=127.0.0.1" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/csr.pem" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/san.ext" -out "$work/cert.pem" >/dev/null 2>&1

# start_sandbox LATENCY_MS TLS(0|1) SCENARIO_DIR [FAULT_RULES_JSON]
start_sandbox() {
  stop_sandbox
  : >"$work/sandbox.out"
  local tls=()
  [ "$2" = 1 ] && tls=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  "$sandbox_bin" --merchants "$work/merchants.yaml" --scenario "$3/scenario.csv" --port 0 \
    --faults "{\"latency_ms\":$1,\"rules\":${4:-[]}}" "${tls[@]}" >"$work/sandbox.out" 2>"$work/sandbox.err" &
  sandbox_pid=$!
  port=""
  for _ in $(seq 1 600); do
    port=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench: the sandbox did not start" >&2; exit 1; }
  scheme=http
  [ "$2" = 1 ] && scheme=https
  return 0
}

# CPU ticks (user + system, children reaped included) of one process: the sandbox, or PostgreSQL's postmaster
# (its exited backends' time lands in its children's fields) plus its live children.
ticks_of() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local pm total=0 c
  pm=$(head -n 1 "$pgdir/data/postmaster.pid")
  total=$(ticks_of "$pm")
  for c in $(cat /proc/"$pm"/task/*/children 2>/dev/null); do total=$((total + $(ticks_of "$c"))); done
  echo "$total"
}
tick_hz=$(getconf CLK_TCK)

# one_run BINARY IN_FLIGHT DATA_DIR MAX_RPS: prints "rate peak_rss_mib checked cpu_us_per_check
# sandbox_cpu_us_per_check postgres_cpu_us_per_check"
n=0
one_run() {
  n=$((n + 1))
  local db="bench_$n"
  psql -q "$db_uri" -c "CREATE DATABASE $db" >/dev/null
  {
    printf 'database:\n  conninfo: "%s"\namazonpay:\n  endpoint: "%s://127.0.0.1:%s"\n' "$base/$db" "$scheme" "$port"
    if [ "$scheme" = https ]; then printf '  ca_file: "%s"\n' "$work/ca.pem"; else printf '  allow_insecure_http: true\n'; fi
    printf 'merchants:\n  - merchant_id: MID1\n    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07\n'
    printf '    secret_key_env: BENCH_SECRET_MID1\nworker:\n  in_flight: %s\n  batch_size: 1000\n  max_rps: %s\n' "$2" "$4"
    # Not for the baseline build, which may predate the setting.
    if [ -n "${BENCH_IO_THREADS:-}" ] && [ "$1" = "$payrecon" ]; then printf '  io_threads: %s\n' "$BENCH_IO_THREADS"; fi
    printf 'reports:\n  dir: "%s"\n' "$work/reports"
  } >"$work/payrecon.yaml"
  "$1" migrate --config "$work/payrecon.yaml" >/dev/null 2>&1
  "$1" import "$3/transactions.csv" --config "$work/payrecon.yaml" >/dev/null 2>&1
  local t0 t1 line s0 s1 p0 p1
  s0=$(ticks_of "$sandbox_pid"); p0=$(pg_ticks)
  t0=$(date +%s%N)
  line=$(/usr/bin/time -f '%U %S' -o "$work/cpu.txt" "$1" run --config "$work/payrecon.yaml" 2>"$work/run.err")
  t1=$(date +%s%N)
  # The run's backends exit after it does; their time counts once the postmaster has reaped them.
  for _ in $(seq 1 100); do
    [ "$(psql -Atq "$db_uri" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'")" = 0 ] && break
    sleep 0.05
  done
  s1=$(ticks_of "$sandbox_pid"); p1=$(pg_ticks)
  local checked rss cpu_us sb_us pg_us
  checked=$(sed -n 's/.*"checked":\([0-9]*\).*/\1/p' <<<"$line")
  # The end line's peak_rss_mib (JSON logs: stderr is a file); older builds wrote "peak RSS N MiB".
  rss=$(sed -n -e 's/.*"peak_rss_mib":\([0-9]*\).*/\1/p' -e 's/.*peak RSS \([0-9]*\) MiB.*/\1/p' "$work/run.err")
  cpu_us=$(awk -v n="$checked" '{printf "%d", (n > 0 ? ($1 + $2) * 1000000 / n : 0)}' "$work/cpu.txt")
  sb_us=$(( checked > 0 ? (s1 - s0) * 1000000 / tick_hz / checked : 0 ))
  pg_us=$(( checked > 0 ? (p1 - p0) * 1000000 / tick_hz / checked : 0 ))
  psql -q "$db_uri" -c "DROP DATABASE $db" >/dev/null
  rm -rf "$work/reports"
  echo "$(( checked * 1000000000 / (t1 - t0) )) $rss $checked $cpu_us $sb_us $pg_us"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

# bench_case LABEL LATENCY IN_FLIGHT DATA_DIR IDEAL TLS [FAULT_RULES_JSON]: this build, alternating with the
# baseline when given; sets last_rate to this build's median rate
results=()
bench_case() {
  start_sandbox "$2" "$6" "$4" "${7:-[]}"
  local rates=() rsses=() cpus=() sbs=() pgs=() brates=() bcpus=() pairs=() checked=0 i this_rate base_rate
  this_run() {
    read -r rate rss checked cpu sb pg < <(one_run "$payrecon" "$3" "$4" 0)
    echo "  $1: $rate/s, $cpu us CPU/check (sandbox $sb, PostgreSQL $pg), peak RSS $rss MiB ($checked checked)" >&2
    rates+=("$rate"); rsses+=("$rss"); cpus+=("$cpu"); sbs+=("$sb"); pgs+=("$pg")
    this_rate=$rate
  }
  baseline_run() {
    read -r rate _ _ cpu sb pg < <(one_run "$baseline" "$3" "$4" 0)
    echo "  $1 (baseline): $rate/s, $cpu us CPU/check (sandbox $sb, PostgreSQL $pg)" >&2
    brates+=("$rate"); bcpus+=("$cpu")
    base_rate=$rate
  }
  for i in $(seq 1 "$runs"); do
    if [ -z "$baseline" ]; then
      this_run "$@"
      continue
    fi
    # Each build goes first in every other pair: the machine's speed drifts during an invocation, and a fixed
    # order would hand the drift to one build.
    if [ $((i % 2)) = 1 ]; then this_run "$@"; baseline_run "$@"; else baseline_run "$@"; this_run "$@"; fi
    pairs+=("$(awk -v a="$this_rate" -v b="$base_rate" 'BEGIN {if (b > 0) printf "%.4f", a / b; else print 0}')")
  done
  local mrate mrss mcpu msb mpg ideal_pct="-" ratio="-" bline="" pair_range=""
  msb=$(printf '%s\n' "${sbs[@]}" | median)
  mpg=$(printf '%s\n' "${pgs[@]}" | median)
  mrate=$(printf '%s\n' "${rates[@]}" | median)
  mrss=$(printf '%s\n' "${rsses[@]}" | median)
  mcpu=$(printf '%s\n' "${cpus[@]}" | median)
  [ "$5" != "-" ] && ideal_pct="$(( mrate * 100 / $5 ))%"
  if [ -n "$baseline" ]; then
    local brate bcpu
    brate=$(printf '%s\n' "${brates[@]}" | median)
    bcpu=$(printf '%s\n' "${bcpus[@]}" | median)
    ratio=$(awk -v a="$mrate" -v b="$brate" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else printf "-"}')
    pair_range=$(printf '%s\n' "${pairs[@]}" | sort -g |
      awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
                           printf "%.2f / %.2f / %.2f", a[1], m, a[NR]}')
    bline=" $brate/s, $bcpu us"
  fi
  results+=("$(printf '| %-38s | %7s | %6s | %5s | %7s | %12s | %10s | %9s | %12s | %-18s | %6s | %-30s |' "$1" \
    "$checked" "$mrate" "$5" "$ideal_pct" "$mcpu" "$msb" "$mpg" "$mrss" "${bline:--}" "$ratio" "${pair_range:--}")")
  last_rate=$mrate
}

# rate_case: max_rps 300, BENCH_RATE_IN_FLIGHT (64) in flight; a fresh sandbox per run so its stats see that
# run only.
rate_lines=()
rate_in_flight=${BENCH_RATE_IN_FLIGHT:-64}
rate_case() {
  local busiest_all=() avg_all=()
  for _ in $(seq 1 "$runs"); do
    start_sandbox 0 0 "$work/rate"
    read -r _ _ checked _ _ _ < <(one_run "$payrecon" "$rate_in_flight" "$work/rate" 300)
    local stats busiest busiest_from requests first last avg
    stats=$(curl -fsS "http://127.0.0.1:$port/sandbox/stats")
    busiest=$(sed -n 's/.*"busiest_1s":\([0-9]*\).*/\1/p' <<<"$stats")
    requests=$(sed -n 's/.*"rate":{"requests":\([0-9]*\).*/\1/p' <<<"$stats")
    first=$(sed -n 's/.*"first_ms":\([0-9]*\).*/\1/p' <<<"$stats")
    last=$(sed -n 's/.*"last_ms":\([0-9]*\).*/\1/p' <<<"$stats")
    busiest_from=$(sed -n 's/.*"busiest_1s_from_ms":\([0-9]*\).*/\1/p' <<<"$stats")
    avg=$(( last > first ? (requests - 1) * 100000 / (last - first) : 0 ))   # hundredths of a request per second
    echo "  rate limit 300/s: $requests requests, busiest 1 s window $busiest (from $((busiest_from - first)) ms after the first request), average $((avg / 100)).$((avg % 100))/s" >&2
    busiest_all+=("$busiest"); avg_all+=("$avg")
  done
  local worst mavg
  worst=$(printf '%s\n' "${busiest_all[@]}" | sort -n | tail -n 1)
  mavg=$(printf '%s\n' "${avg_all[@]}" | median)
  rate_lines+=("| max_rps 300, $rate_in_flight in flight | $worst | $((mavg / 100)).$((mavg % 100)) | $(( mavg / 300 ))% |")
}

echo "bench: $count due transactions, $runs runs per case, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for c in $cases; do
  case "$c" in
    plain)
      bench_case "no latency, 16 in flight" 0 16 "$work/big" - 0
      bench_case "no latency, 64 in flight" 0 64 "$work/big" - 0 ;;
    https)
      bench_case "HTTPS, no latency, 64 in flight" 0 64 "$work/big" - 1 ;;
    50ms) bench_case "50 ms latency, 64 in flight" 50 64 "$work/big" 1280 0 ;;
    small) bench_case "no latency, 16 in flight, 1/10 backlog" 0 16 "$work/small" - 0 ;;
    rate) rate_case ;;
    throttle)
      # The first rule that fires wins: 2% 429, then 2.0408% of the rest 503 = 4% of all answers.
      rules='[{"fault":"http429:1","probability":"0.02","endpoint":"status"},{"fault":"http503:1","probability":"0.020408","endpoint":"status"}]'
      bench_case "no faults, 16 in flight" 0 16 "$work/big" - 0
      clean=$last_rate
      bench_case "4% 429/503 Retry-After: 1, 16 in flight" 0 16 "$work/big" - 0 "$rules"
      throttle_line="throughput kept under throttling: $(( last_rate * 100 / clean ))% (medians of $runs runs)" ;;
    *) echo "bench: unknown case '$c'" >&2; exit 2 ;;
  esac
done

echo
if [ ${#results[@]} -gt 0 ]; then
  echo "| case                                   | checked |  txn/s | ideal | % ideal | CPU us/check | sandbox us | PG us     | peak RSS MiB | baseline           |  ratio | pair ratios min / median / max |"
  echo "|----------------------------------------|---------|--------|-------|---------|--------------|------------|-----------|--------------|--------------------|--------|--------------------------------|"
  printf '%s\n' "${results[@]}"
  echo
  echo "medians of $runs runs; txn/s = transactions checked / wall time of \`payrecon run\` (start to exit); CPU us/check ="
  echo "payrecon's user + system time over checks; sandbox us and PG us = the same for payrecon-sandbox and PostgreSQL"
  echo "(postmaster and backends) during this build's runs; ratio = this build's median txn/s over the baseline's; pair"
  echo "ratios = each run's txn/s over the baseline run beside it (each build goes first in every other pair)"
fi
if [ ${#rate_lines[@]} -gt 0 ]; then
  echo
  echo "| rate limit | busiest 1 s window (worst run) | average requests/s (median) | of 300 |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rate_lines[@]}"
fi
if [ -n "${throttle_line:-}" ]; then
  echo
  echo "$throttle_line"
fi
