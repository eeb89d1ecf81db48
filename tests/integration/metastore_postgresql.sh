#!/usr/bin/env bash
# Metastore on a real PostgreSQL 15: starts a throwaway server
# (tools/pg-test-server.sh), runs the PG-tagged doctest suite
# `storage.meta.postgresql` of storage_tests against it (migrations, lease
# semantics, concurrent migrations, the 2-process x 2000-round lease race,
# API keys, secrets, copy SQLite <-> PostgreSQL), then stops the server.
#
# Environment: CAIRN_SOURCE_DIR (repo root) and CAIRN_BIN (the cairn
# executable in <build>/tools); the test binary is <build>/tests/storage_tests
# unless STORAGE_TESTS names another one.
# Fails (never skips) when PostgreSQL is missing or any case was skipped.
set -euo pipefail

: "${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must name the source tree}"
if [[ -z "${STORAGE_TESTS:-}" ]]; then
  : "${CAIRN_BIN:?CAIRN_BIN must name the cairn executable}"
  build_dir=$(cd "$(dirname "$CAIRN_BIN")/.." && pwd)
  STORAGE_TESTS="$build_dir/tests/storage_tests"
fi
if [[ ! -x "$STORAGE_TESTS" ]]; then
  echo "FAIL: test binary $STORAGE_TESTS not found (build target storage_tests)" >&2
  exit 1
fi

server="$CAIRN_SOURCE_DIR/tools/pg-test-server.sh"
env_out=$("$server" start) || { echo "FAIL: cannot start PostgreSQL" >&2; exit 1; }
eval "$env_out"
trap '"$server" stop "$CAIRN_PG_DIR"' EXIT
echo "PostgreSQL on port $CAIRN_PG_PORT ($CAIRN_PG_DIR)"

log=$(mktemp)
trap '"$server" stop "$CAIRN_PG_DIR"; rm -f "$log"' EXIT
status=0
CAIRN_TEST_PG="$CAIRN_TEST_PG" CAIRN_TEST_PG_REQUIRED=1 \
  "$STORAGE_TESTS" -ts=storage.meta.postgresql -s >"$log" 2>&1 || status=$?
# Show what matters: failures, race statistics and the summary.
grep -E -A3 "ERROR|FATAL" "$log" || true
grep -E "race:|test cases|Status" "$log" || true
echo

# The suite must have run, entirely, without skipping.
summary=$(grep -E '^\[doctest\] test cases:' "$log" || true)
passed=$(sed -nE 's/.*\| *([0-9]+) passed.*/\1/p' <<<"$summary")
if [[ $status -ne 0 ]]; then
  echo "FAIL: storage_tests exited with $status" >&2
  exit 1
fi
if grep -q 'skipped: CAIRN_TEST_PG' "$log"; then
  echo "FAIL: PostgreSQL cases were skipped" >&2
  exit 1
fi
if [[ -z "$passed" || "$passed" -lt 7 ]]; then
  echo "FAIL: expected at least 7 PostgreSQL test cases, got '${passed:-none}'" >&2
  exit 1
fi
echo "PASS: $passed PostgreSQL metastore test cases"
