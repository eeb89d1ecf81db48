#!/usr/bin/env bash
# The two README commands:
#   bash tools/setup.sh run   installs what is missing, builds, starts one node
#   bash tools/setup.sh test  installs what is missing, builds, runs every test
# Run as root on Debian 12 from the repository root (or anywhere: paths are
# resolved from this script).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case "$mode" in run|test|build) ;; *) echo "usage: $0 run|test|build" >&2; exit 2 ;; esac
shift || true

bash "$here/tools/install-deps.sh"
build=${CAIRN_BUILD_DIR:-$here/build}
jobs=$(nproc)
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CAIRN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$jobs"

case "$mode" in
  run)
    exec "$build/tools/cairn" run "$@"
    ;;
  test)
    # npm projects under tests/ (real clients, DuckDB differential test).
    for pkg in "$here"/tests/*/package.json; do
      [ -f "$pkg" ] || continue
      (cd "$(dirname "$pkg")" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    done
    status=0
    (cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 900 "$@") || status=$?
    # ASan + UBSan in their own build directory (CAIRN_SANITIZE_TESTS=0
    # skips it). CI scope: the storage, query and actors unit tests, which
    # need no Beast translation units; CAIRN_SANITIZE_TESTS=full adds the net
    # room and integration scripts against a sanitized server.
    case "${CAIRN_SANITIZE_TESTS:-1}" in
      0) ;;
      full) bash "$here/tools/sanitize-tests.sh" "$build-asan" || status=1 ;;
      *) ROOMS="storage query actors" INTEGRATION="" \
           bash "$here/tools/sanitize-tests.sh" "$build-asan" || status=1 ;;
    esac
    exit $status
    ;;
esac
