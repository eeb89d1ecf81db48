#!/usr/bin/env bash
# The real npm clients (seq-logging, pino-seq, winston-seq, OpenTelemetry logs
# and traces over OTLP/HTTP JSON and protobuf) against one node: every event
# sent must read back with its level, message, typed properties, exception,
# trace/span ids and span timing (tests/clients/clients_test.mjs).
source "$(dirname "$0")/lib.bash"

CLIENTS="${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must point at the source tree}/tests/clients"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
if [ ! -d "$CLIENTS/node_modules" ]; then
  (cd "$CLIENTS" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $CLIENTS failed"
fi

start_node "$WORK/node"
wait_healthy "$NODE_URL"
set +e
timeout 300 node "$CLIENTS/clients_test.mjs" "$NODE_URL"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -20 "$WORK/node.log" >&2; fail "client test exited with $rc"; }
stop_node "$NODE_PID" >/dev/null
echo "PASS"
