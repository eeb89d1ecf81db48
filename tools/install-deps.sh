#!/usr/bin/env bash
# Installs what Cairn needs to build, run and test on Debian 12 (run as root).
# Idempotent and silent when everything is already present.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config openssl curl ca-certificates
  libcaf-dev libboost1.81-dev libsoci-dev libsqlite3-dev libpq-dev liblmdb-dev lmdb-utils
  libsimdjson-dev libspdlog-dev libfmt-dev doctest-dev libssl-dev libsodium-dev
  libzstd-dev zstd zlib1g-dev libjemalloc-dev libcurl4-openssl-dev postgresql-15 clang libclang-rt-14-dev
  nodejs npm chromium haproxy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from elsewhere (nodesource) with npm bundled: accept any node 18+.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
