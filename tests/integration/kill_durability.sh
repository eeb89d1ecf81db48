#!/usr/bin/env bash
# SIGKILL durability: in each round, concurrent clients post uniquely numbered
# CLEF batches; the node is killed with SIGKILL right after some 201s (with
# requests still in flight), restarted on the same storage root, and every
# batch ever acknowledged must read back in full (no batch half-stored).
source "$(dirname "$0")/lib.bash"

# wait_healthy, printing the node's log when it fails.
healthy() {
  (wait_healthy "$NODE_URL") || { tail -40 "$S.log" >&2; fail "node on $S not healthy (round $round)"; }
}

LOADER="${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must point at the source tree}/tests/clients/kill_load.mjs"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
ROUNDS=${KILL_ROUNDS:-5}
BATCH=50       # events per request
CONNECTIONS=4  # concurrent keep-alive connections
S="$WORK/node"
ACKED="$WORK/acked"
: >"$ACKED"

for round in $(seq 1 "$ROUNDS"); do
  start_node "$S"
  healthy
  # Kill after a different number of acknowledgements each round.
  target=$((round * 37 + RANDOM % 50))
  before=$(wc -l <"$ACKED")
  node "$LOADER" load "$NODE_URL" "$round" "$ACKED" "$CONNECTIONS" "$BATCH" &
  loader=$!
  PIDS+=("$loader")
  for _ in $(seq 1 600); do
    [ $(($(wc -l <"$ACKED") - before)) -ge "$target" ] && break
    kill -0 "$loader" 2>/dev/null || break
    sleep 0.02
  done
  kill -KILL "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null || true
  # The loader stops at its first connection error.
  for _ in $(seq 1 500); do kill -0 "$loader" 2>/dev/null || break; sleep 0.02; done
  kill -0 "$loader" 2>/dev/null && fail "loader still running 10 s after the kill"
  wait "$loader" || true
  echo "round $round: killed after $(($(wc -l <"$ACKED") - before)) acks (target $target)"

  start_node "$S"
  healthy
  node "$LOADER" check "$NODE_URL" "$ACKED" "$BATCH" || fail "round $round: acknowledged events lost"
  stop_node "$NODE_PID" >/dev/null
done
[ "$(wc -l <"$ACKED")" -gt 0 ] || fail "no batch was ever acknowledged"
echo "PASS"
