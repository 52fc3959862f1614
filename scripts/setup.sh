#!/usr/bin/env bash
# Installs the Debian packages payrecon needs (idempotent, quick when all are present), then configures and
# builds it (RelWithDebInfo) into build/. Works as root on a fresh machine, or with sudo.
#   PAYRECON_WERROR=ON|OFF   warnings as errors (default ON)
#   PAYRECON_BUILD_DIR=dir   build directory (default build)
#   PAYRECON_SKIP_BUILD=1    install packages only
#   PAYRECON_CMAKE_ARGS=...  more configure arguments (scripts/test.sh's sanitizer and fuzz builds)
#   PAYRECON_BUILD_TARGETS=  targets to build (default: all)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpoco-dev libyaml-cpp-dev libboost-test-dev libssl-dev libpq-dev
  zlib1g-dev   # gzip'd CSV reports (reports.compress); Poco depends on it too
  postgresql-15 postgresql-client-15 openssl
  clang-14 libclang-rt-14-dev
  wrk hyperfine
  chromium fonts-dejavu-core   # the e2e tests render summary.html and index.html in headless Chromium
  tzdata                       # TZif files for reports.display_timezone (and the time-zone tests)
  prometheus prometheus-pushgateway
  podman debootstrap systemd logrotate   # deploy/: the image test, the unit's security score, logrotate's check
  help2man   # the man page is generated from `payrecon --help` at build time
)
# `kubectl kustomize` renders deploy/kubernetes in the tests: Debian's kubernetes-client unless a kubectl exists.
command -v kubectl >/dev/null || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # prometheus and prometheus-pushgateway are installed for their binaries (promtool and a Pushgateway the tests
  # start themselves); policy-rc.d 101 keeps their postinst scripts from starting services during the install.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    own_policy=1
  fi
  log=$(mktemp /tmp/payrecon-setup.XXXXXX)
  rc=0
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 ||
    rc=$?
  [ "$own_policy" = 1 ] && $sudo rm -f "$policy"
  if [ "$rc" != 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    exit "$rc"
  fi
  rm -f "$log"
fi

[ "${PAYRECON_SKIP_BUILD:-0}" = 1 ] && exit 0

build=${PAYRECON_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2086 # PAYRECON_CMAKE_ARGS and PAYRECON_BUILD_TARGETS are word lists
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAYRECON_WERROR="${PAYRECON_WERROR:-ON}" \
  ${PAYRECON_CMAKE_ARGS:-} >/dev/null
targets=()
for t in ${PAYRECON_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
