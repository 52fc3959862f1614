#!/usr/bin/env bash
# The demo: payrecon on a throwaway PostgreSQL and payrecon-sandbox, on a scenario of 10,000+ transactions that
# covers every outcome. Installs and builds what is missing (scripts/setup.sh), starts both servers, imports the
# transactions, runs `payrecon run` and then `payrecon backfill` (final rows that conflict with the gateway),
# lists the oldest open discrepancies, prints the summaries and where the reports are (summary.html is the page to
# open), then where index.html (the runs so far) is, shows one transaction's history and checks it again, and stops
# everything it started.
#   DEMO_COUNT=N            transactions in the scenario (default 10000)
#   DEMO_DIR=dir            where the configuration and reports stay (default demo-output/ in the repository)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh" >&2
build=${PAYRECON_BUILD_DIR:-$root/build}
count=${DEMO_COUNT:-10000}
out=${DEMO_DIR:-$root/demo-output}
payrecon=$build/jobs/payrecon
sandbox_bin=$build/sandbox/payrecon-sandbox
generator=$build/bench/bench_job_scenario
for b in "$payrecon" "$sandbox_bin" "$generator"; do
  [ -x "$b" ] || { echo "demo: $b was not built" >&2; exit 1; }
done

work=$(mktemp -d /tmp/prdemo.XXXXXX)
pgdir=$(mktemp -d /tmp/prpg.XXXXXX)   # its own folder: the server runs as `postgres`, which cannot enter $work
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*" >&2; }

step "starting a throwaway PostgreSQL"
db_uri=$("$root/scripts/pg.sh" start "$pgdir")

step "generating a scenario of $count transactions"
mkdir -p "$out"
rm -rf "$out/reports"
"$generator" --count "$count" --out "$work" --mix demo >&2

# The sandbox's merchants (test secrets, as a sandbox may keep them in a file). MID3 exists at the gateway but not
# in payrecon's configuration: its transactions become MERCHANT_CONFIG discrepancies.
cat >"$work/merchants.yaml" <<YAML
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret: DEMO_SECRET_ONE
  - merchant_id: MID3
    access_key_id: 3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
    secret: DEMO_SECRET_THREE
YAML

step "starting payrecon-sandbox"
"$sandbox_bin" --merchants "$work/merchants.yaml" --scenario "$work/scenario.csv" --port 0 \
  >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
port=""
for _ in $(seq 1 300); do   # up to 30 s for the first stdout line (the port)
  port=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "demo: the sandbox did not report its port" >&2; cat "$work/sandbox.err" >&2; exit 1; }
echo "sandbox on http://127.0.0.1:$port" >&2

# payrecon's configuration: the secret comes from the environment, never from the file.
cat >"$out/payrecon.yaml" <<YAML
database:
  conninfo: "$db_uri"
amazonpay:
  endpoint: "http://127.0.0.1:$port"
  allow_insecure_http: true   # the local sandbox only
  connect_timeout: 1s
  read_timeout: 1s
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret_key_env: DEMO_SECRET_MID1
worker:
  in_flight: 32
  batch_size: 500
  error_limit: 1              # so CHECK_FAILING shows up in a single run
reports:
  dir: "$out/reports"
  display_timezone: Asia/Kolkata
YAML
export DEMO_SECRET_MID1=DEMO_SECRET_ONE

step "payrecon migrate"
"$payrecon" migrate --config "$out/payrecon.yaml"
step "payrecon import"
"$payrecon" import "$work/transactions.csv" --config "$out/payrecon.yaml"
step "payrecon run"
set +e
run_line=$("$payrecon" run --config "$out/payrecon.yaml")
run_rc=$?
set -e
echo "$run_line"
step "payrecon backfill (re-checks final transactions too: conflicts are reported, never overwritten)"
set +e
backfill_line=$("$payrecon" backfill --from "$(date -u -d '-1 day' +%Y-%m-%d)" --to "$(date -u +%Y-%m-%d)" \
  --config "$out/payrecon.yaml")
backfill_rc=$?
set -e
echo "$backfill_line"

step "payrecon discrepancies list --open --limit 10 (the work queue, oldest first)"
"$payrecon" discrepancies list --open --limit 10 --config "$out/payrecon.yaml"

report_dir() { sed -n 's/.*"report_dir":"\([^"]*\)".*/\1/p' <<<"$1"; }
run_dir=$(report_dir "$run_line")
backfill_dir=$(report_dir "$backfill_line")
step "summary of the run (exit code $run_rc)"
cat "$run_dir/summary.json"
step "summary of the backfill (exit code $backfill_rc)"
cat "$backfill_dir/summary.json"
step "reports"
echo "run:      $run_dir"
echo "backfill: $backfill_dir"
ls -l "$run_dir"
echo "the first rows of transitions.csv.gz (reports.compress: gzip; zcat reads it):"
zcat "$run_dir/transitions.csv.gz" | sed -n 1,4p

step "trends across runs"
echo "index:    $out/reports/index.html   (the runs so far, with charts; open it in a browser)"

# One transaction with an open AMOUNT_MISMATCH: its history, then a fresh check of it.
one=$("$payrecon" discrepancies list --open --code AMOUNT_MISMATCH --limit 1 --format json --config "$out/payrecon.yaml")
merchant=$(sed -n 's/.*"merchant_id":"\([^"]*\)".*/\1/p' <<<"$one")
txn=$(sed -n 's/.*"merchant_txn_id":"\([^"]*\)".*/\1/p' <<<"$one")
kind=$(sed -n 's/.*"kind":"\([^"]*\)".*/\1/p' <<<"$one")
if [ -n "$txn" ]; then
  step "payrecon show --merchant $merchant --txn $txn --kind $kind (its history, no gateway call)"
  "$payrecon" show --merchant "$merchant" --txn "$txn" --kind "$kind" --config "$out/payrecon.yaml"
  step "payrecon check --merchant $merchant --txn $txn --kind $kind (checked again now; final: verified, never changed)"
  "$payrecon" check --merchant "$merchant" --txn "$txn" --kind "$kind" --config "$out/payrecon.yaml"
fi
echo
echo "configuration kept in $out/payrecon.yaml; PostgreSQL and the sandbox are stopped now." >&2
