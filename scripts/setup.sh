#!/usr/bin/env bash
# Installs the Debian packages payrecon needs (idempotent, quick when all are present), then configures and
# builds it (RelWithDebInfo) into build/. Works as root on a fresh machine, or with sudo.
#   PAYRECON_WERROR=ON|OFF   warnings as errors (default ON)
#   PAYRECON_BUILD_DIR=dir   build directory (default build)
#   PAYRECON_SKIP_BUILD=1    install packages only
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpoco-dev libyaml-cpp-dev libboost-test-dev libssl-dev libpq-dev
  postgresql-15 postgresql-client-15 openssl
  clang-14 libclang-rt-14-dev
  wrk hyperfine
  chromium fonts-dejavu-core   # the e2e test renders summary.html in headless Chromium
)

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
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${PAYRECON_SKIP_BUILD:-0}" = 1 ] && exit 0

build=${PAYRECON_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAYRECON_WERROR="${PAYRECON_WERROR:-ON}" >/dev/null
cmake --build "$build" -j "$jobs"
