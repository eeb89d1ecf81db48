#!/usr/bin/env bash
# Differential test against DuckDB: 30k deterministic events (levels,
# templates, exceptions, RequestPath/StatusCode/Elapsed, nullable and missing
# properties, trace ids, 4 hours of timestamps) go to a node as CLEF and into
# DuckDB; >= 40 query pairs (/api/data SQL vs DuckDB SQL) and a few
# /api/events filters must agree (tests/differential/differential.mjs).
source "$(dirname "$0")/lib.bash"

DIFF="${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must point at the source tree}/tests/differential"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
if [ ! -d "$DIFF/node_modules/@duckdb/node-api" ]; then
  (cd "$DIFF" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $DIFF failed"
fi

start_node "$WORK/node"
wait_healthy "$NODE_URL"
set +e
timeout 400 node "$DIFF/differential.mjs" --url "$NODE_URL" --events "${CAIRN_DIFF_EVENTS:-30000}"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -20 "$WORK/node.log" >&2; fail "differential test exited with $rc"; }
stop_node "$NODE_PID" >/dev/null
echo "PASS"
