#!/usr/bin/env bash
# Builds payrecon's container images with podman, offline except for Debian's package mirror, and runs the demo's
# job from inside the production image against a throwaway PostgreSQL and payrecon-sandbox (run from the sandbox
# image). Exits non-zero on the first failed check; 77 (skipped) when not root, which debootstrap, podman image
# mount and chroot need. The test suite runs it as the CTest test deploy/image when podman is installed.
#   1. base images: debootstrap --variant=minbase bookworm from the mirror apt uses, imported as debian:bookworm and,
#      without docs and translations, as debian:bookworm-slim (the Dockerfile's FROMs); the tarballs are cached, so
#      a second run skips debootstrap
#   2. podman build --isolation=chroot --network=host: the sandbox target, then the production image
#   3. checks on the production image: no payrecon-sandbox, a stripped payrecon, OCI labels, user 10001
#   4. podman image mount, then chroot --userspec=10001:10001 into each image's own filesystem (podman run cannot
#      set rlimits on this machine): the sandbox serves, payrecon migrates, imports and runs under umask 0000;
#      the exit codes, the rows, the audit events, the report permissions (0750 folders, 0640 files) and the
#      gzip'd CSV files are checked
# Environment:
#   PAYRECON_BUILD_DIR      the host build (for bench_job_scenario, the scenario generator); default build/
#   PAYRECON_IMAGE_CACHE    where the debootstrap tarball is kept (default /var/cache/payrecon-image)
#   PAYRECON_DEBIAN_MIRROR  the Debian mirror (default: the one in /etc/apt/sources.list.d/ or sources.list)
#   PAYRECON_IMAGE_COUNT    transactions in the scenario (default 400)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PAYRECON_BUILD_DIR:-$root/build}
cache=${PAYRECON_IMAGE_CACHE:-/var/cache/payrecon-image}
count=${PAYRECON_IMAGE_COUNT:-400}
image=localhost/payrecon:test
sandbox_image=localhost/payrecon-sandbox:test

say() { printf 'test-image: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# Exit 77 is "skipped" for CTest.
[ "$(id -u)" -eq 0 ] || { say "skipped: needs root (debootstrap, podman image mount, chroot)"; exit 77; }
for tool in podman debootstrap chroot mount psql; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup.sh"
done
generator=$build/bench/bench_job_scenario
chroot_bin=$(command -v chroot)
[ -x "$generator" ] || fail "$generator was not built: run scripts/setup.sh"

# The bookworm mirror apt uses: deb822 .sources stanzas first, then one-line sources.list entries.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         { uris = ""; suite = 0
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
             if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) suite = 1
           }
           if (suite && uris != "") { print uris; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' "$f"
  done
}

mounts=()
mounted_images=()
pgdir=""
sandbox_pid=""
work=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  local m
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || true; done
  for m in "${mounted_images[@]}"; do podman image unmount "$m" >/dev/null 2>&1 || true; done
  [ -n "$pgdir" ] && "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1
  [ -n "$work" ] && rm -rf "$work"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d /tmp/primage.XXXXXX)
chmod 0755 "$work"

# ---- 1. the base images ----
# debian:bookworm is debootstrap's minbase; debian:bookworm-slim is the same without documentation, manual pages
# and translations, which dpkg then keeps out (as Debian's own slim image does).
slim_down() {
  local dir=$1
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
    'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    'path-exclude /usr/share/lintian/*' >"$dir/etc/dpkg/dpkg.cfg.d/slim"
  find "$dir/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/lintian/*
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}
started=$SECONDS
base_tar=$cache/debian-bookworm-minbase.tar
slim_tar=$cache/debian-bookworm-minbase-slim.tar
mkdir -p "$cache"
if [ ! -s "$base_tar" ] || [ ! -s "$slim_tar" ]; then
  tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
  if [ -s "$base_tar" ]; then
    mkdir "$tmp/root"
    tar -C "$tmp/root" -xf "$base_tar"
  else
    mirror=${PAYRECON_DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}
    [ -n "$mirror" ] || fail "no bookworm mirror found in /etc/apt (set PAYRECON_DEBIAN_MIRROR)"
    say "debootstrap --variant=minbase bookworm from $mirror (cached in $cache afterwards)"
    debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
      { tail -20 "$tmp/log" >&2; rm -rf "$tmp"; fail "debootstrap"; }
    rm -rf "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/lib/apt/lists/*
    tar -C "$tmp/root" -cf "$base_tar.part" .
    mv "$base_tar.part" "$base_tar"
  fi
  slim_down "$tmp/root"
  tar -C "$tmp/root" -cf "$slim_tar.part" .
  mv "$slim_tar.part" "$slim_tar"
  rm -rf "$tmp"
fi
# The tags are shared by everything on this machine that uses podman: trust them only while they name the images
# this script imported (their ids are kept beside the tarballs), else import again (a few seconds; a new import
# has a new id, so the image layers above it are rebuilt).
for pair in "bookworm:$base_tar" "bookworm-slim:$slim_tar"; do
  name=localhost/debian:${pair%%:*}
  tarball=${pair#*:}
  # Both sides are empty on a machine that never imported: that is no match either.
  have=$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)
  if [ -z "$have" ] || [ "$have" != "$(cat "$tarball.id" 2>/dev/null)" ]; then
    podman import --quiet "$tarball" "$name" | sed "s/^sha256://" >"$tarball.id.part"
    [ -s "$tarball.id.part" ] || fail "podman import $tarball gave no image id"
    mv "$tarball.id.part" "$tarball.id"
  fi
done
podman tag localhost/debian:bookworm docker.io/library/debian:bookworm
podman tag localhost/debian:bookworm-slim docker.io/library/debian:bookworm-slim
say "base image ready ($((SECONDS - started)) s)"

# ---- 2. the images ----
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version=$(sed -n 's/^project(payrecon VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
started=$SECONDS
for target in sandbox production; do
  tag=$image
  [ "$target" = sandbox ] && tag=$sandbox_image
  # --label as well as the build arguments: buildah's layer cache keys a LABEL step on its unexpanded text, so a
  # cached runtime stage would keep an earlier build's revision.
  podman build --isolation=chroot --network=host --pull=never --target "$target" \
    --build-arg PAYRECON_GIT_COMMIT="$commit" --build-arg PAYRECON_VERSION="$version" \
    --label org.opencontainers.image.revision="$commit" --label org.opencontainers.image.version="$version" \
    -f "$root/deploy/Dockerfile" -t "$tag" "$root" >"$work/build-$target.log" 2>&1 ||
    { tail -n 40 "$work/build-$target.log" >&2; fail "podman build --target $target"; }
done
say "images built ($((SECONDS - started)) s)"

# ---- 3. what the production image holds ----
inspect() { podman image inspect --format "$2" "$1"; }
[ "$(inspect "$image" '{{.Config.User}}')" = "10001:10001" ] || fail "the image does not run as 10001:10001"
[ "$(inspect "$image" '{{index .Labels "org.opencontainers.image.title"}}')" = payrecon ] || fail "OCI title label"
[ "$(inspect "$image" '{{index .Labels "org.opencontainers.image.revision"}}')" = "$commit" ] || fail "OCI revision label"
[ "$(inspect "$image" '{{index .Labels "org.opencontainers.image.version"}}')" = "$version" ] || fail "OCI version label"
[ "$(inspect "$sandbox_image" '{{index .Labels "org.opencontainers.image.title"}}')" = payrecon-sandbox ] ||
  fail "OCI title label of the sandbox image"
mnt=$(podman image mount "$image")
mounted_images+=("$image")
smnt=$(podman image mount "$sandbox_image")
mounted_images+=("$sandbox_image")
[ -x "$mnt/usr/local/bin/payrecon" ] || fail "no /usr/local/bin/payrecon in the image"
[ ! -e "$mnt/usr/local/bin/payrecon-sandbox" ] || fail "the production image contains payrecon-sandbox"
[ -x "$smnt/usr/local/bin/payrecon-sandbox" ] || fail "no payrecon-sandbox in the sandbox image"
[ -s "$mnt/usr/local/share/man/man1/payrecon.1.gz" ] || fail "no man page in the image"
[ -s "$mnt/usr/share/bash-completion/completions/payrecon" ] || fail "no bash completion in the image"
if readelf -S "$mnt/usr/local/bin/payrecon" | grep -Eq '\.(symtab|debug_info)'; then fail "payrecon is not stripped"; fi
say "production image: $(($(inspect "$image" '{{.Size}}') / 1048576)) MiB;" \
  "sandbox image: $(($(inspect "$sandbox_image" '{{.Size}}') / 1048576)) MiB;" \
  "payrecon: $(($(stat -c %s "$mnt/usr/local/bin/payrecon") / 1024)) KiB"

# ---- 4. the demo's job from inside the images ----
mkdir -p "$work/job" "$work/sandbox"
"$generator" --count "$count" --out "$work/job" --mix demo >/dev/null
mv "$work/job/scenario.csv" "$work/sandbox/scenario.csv"
cat >"$work/sandbox/merchants.yaml" <<'YAML'
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret: DEMO_SECRET_ONE
  - merchant_id: MID3
    access_key_id: 3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
    secret: DEMO_SECRET_THREE
YAML
chown -R 10001:10001 "$work/job" "$work/sandbox"
chmod 0750 "$work/job" "$work/sandbox"
# The images' /var/lib/payrecon becomes a host folder (the images' own files stay read-only).
mount --bind "$work/job" "$mnt/var/lib/payrecon"
mounts+=("$mnt/var/lib/payrecon")
mount --bind "$work/sandbox" "$smnt/var/lib/payrecon"
mounts+=("$smnt/var/lib/payrecon")
# Inside the image: an empty environment, uid/gid 10001, and a permissive umask (reports must not depend on it).
in_image() { (exec_in_image "$@"); }
# The same in the calling (sub)shell, replaced by chroot and then the program: started with `&`, its $! is the
# program's own pid, so the clean-up's kill reaches it.
exec_in_image() {
  local dir=$1
  shift
  umask 0000
  exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/payrecon "$@" \
    "$chroot_bin" --userspec=10001:10001 "$dir" "${cmd[@]}"
}

pgdir=$(mktemp -d /tmp/prpg.XXXXXX)
db_uri=$("$root/scripts/pg.sh" start "$pgdir")

cmd=(/usr/local/bin/payrecon-sandbox --merchants /var/lib/payrecon/merchants.yaml
     --scenario /var/lib/payrecon/scenario.csv --port 0)
exec_in_image "$smnt" >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
port=""
for _ in $(seq 1 300); do   # up to 30 s for the first stdout line (the port)
  port=$(head -n 1 "$work/sandbox.out" 2>/dev/null || true)
  [ -n "$port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err" >&2; fail "the sandbox did not start"; }
  sleep 0.1
done
[ -n "$port" ] || fail "the sandbox did not report its port"

cat >"$work/job/payrecon.yaml" <<YAML
database:
  conninfo: "$db_uri"
amazonpay:
  endpoint: "http://127.0.0.1:$port"
  allow_insecure_http: true
  connect_timeout: 2s
  read_timeout: 5s
merchants:
  - merchant_id: MID1
    access_key_id: 7f2c1a9e-0b6d-4c3e-9a51-2d8f6e4b1c07
    secret_key_file: /var/lib/payrecon/mid1.key
worker:
  in_flight: 8
  batch_size: 100
reports:
  dir: /var/lib/payrecon/reports
YAML
printf 'DEMO_SECRET_ONE\n' >"$work/job/mid1.key"
chown 10001:10001 "$work/job/payrecon.yaml" "$work/job/mid1.key"
chmod 0400 "$work/job/mid1.key"

run_job() {
  local rc=0
  cmd=(/usr/local/bin/payrecon "$@" --config /var/lib/payrecon/payrecon.yaml)
  in_image "$mnt" >"$work/out" 2>"$work/err" || rc=$?
  echo "$rc"
}
psql_value() { psql "$db_uri" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" <<<"$2" | head -n 1; }

rc=$(run_job migrate)
[ "$rc" = 0 ] || { cat "$work/err" >&2; fail "payrecon migrate exited $rc"; }
rc=$(run_job import /var/lib/payrecon/transactions.csv)
[ "$rc" = 0 ] || { cat "$work/err" >&2; fail "payrecon import exited $rc"; }
imported=$(psql_value "SELECT count(*) FROM payrecon.transactions")
[ "$imported" = "$(($(wc -l <"$work/job/transactions.csv") - 1))" ] || fail "imported $imported rows"
pending_before=$(psql_value "SELECT count(*) FROM payrecon.transactions WHERE status IN ('CapturePending', 'Pending')")

rc=$(run_job run)
[ "$rc" = 0 ] || { cat "$work/err" >&2; fail "payrecon run exited $rc"; }
line=$(tail -n 1 "$work/out")
run_id=$(json_field run_id "$line")
checked=$(json_field checked "$line")
transitions=$(json_field transitions "$line")
discrepancies=$(json_field discrepancies "$line")
still_pending=$(json_field still_pending "$line")
[ -n "$run_id" ] && [ -n "$checked" ] || fail "no JSON end line on stdout: $line"
# The rows and the audit trail agree with what the run said.
[ "$checked" -gt 0 ] && [ "$transitions" -gt 0 ] && [ "$discrepancies" -gt 0 ] || fail "nothing reconciled: $line"
[ "$(psql_value "SELECT exit_code FROM payrecon.runs WHERE id = '$run_id'")" = 0 ] || fail "runs.exit_code"
[ "$(psql_value "SELECT count(*) FROM payrecon.transaction_events WHERE run_id = '$run_id' AND event_type = 'transition'")" = "$transitions" ] ||
  fail "transition events differ from the run's count $transitions"
[ "$(psql_value "SELECT count(*) FROM payrecon.transaction_events WHERE run_id = '$run_id' AND event_type = 'discrepancy'")" = "$discrepancies" ] ||
  fail "discrepancy events differ from the run's count $discrepancies"
pending_after=$(psql_value "SELECT count(*) FROM payrecon.transactions WHERE status IN ('CapturePending', 'Pending')")
[ "$pending_after" = "$still_pending" ] || fail "$pending_after pending rows, the run says $still_pending"
[ "$((pending_before - pending_after))" = "$transitions" ] || fail "pending rows fell by $((pending_before - pending_after)), not $transitions"
for status in CaptureApproved Failed; do
  [ "$(psql_value "SELECT count(*) FROM payrecon.transactions WHERE status = '$status'")" -gt 0 ] || fail "no $status row"
done
# Reports: owned by the image's user, 0750 folders and 0640 files although the umask was 0000.
report_dir=$work/job/reports/$(basename "$(json_field report_dir "$line")")
[ -f "$report_dir/summary.json" ] || fail "no summary.json in $report_dir"
bad=$(find "$work/job/reports" \( -type d ! -perm 0750 \) -o \( -type f ! -perm 0640 \) -o ! -uid 10001)
[ -z "$bad" ] || fail "report permissions: $bad"
# reports.compress defaults to gzip: four whole gzip streams, the transitions one holding its header row.
for csv in transitions discrepancies errors pending; do
  gzip -t "$report_dir/$csv.csv.gz" 2>/dev/null || fail "$report_dir/$csv.csv.gz is not a whole gzip file"
done
zcat "$report_dir/transitions.csv.gz" | sed -n 1p | grep -q '^run_id,kind,' || fail "transitions.csv.gz lacks its header"
say "OK: $imported transactions imported, run $run_id checked $checked, $transitions transitions, $discrepancies discrepancies, exit 0"
