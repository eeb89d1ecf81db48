#!/usr/bin/env bash
# A single node: start, health, ingest + read back, second instance refused,
# bad config refused, SIGTERM within 5 s, restart on the same storage root.
source "$(dirname "$0")/lib.bash"

S="$WORK/node"
start_node "$S"
wait_healthy "$NODE_URL"
body=$(curl -s "$NODE_URL/health")
echo "$body" | grep -q '"status":"ok"' || fail "health body: $body"
echo "$body" | grep -q '"role":"leader"' || fail "single node is not leader: $body"

code=$(curl -s -o "$WORK/r" -w '%{http_code}' -X POST "$NODE_URL/ingest/clef" \
  --data-binary '{"@t":"2024-05-06T07:08:09.123Z","@mt":"Hello {Name}","Name":"lifecycle","@l":"Warning"}')
[ "$code" = 201 ] || fail "ingest answered $code: $(cat "$WORK/r")"
[ "$(cat "$WORK/r")" = '{"MinimumLevelAccepted":null}' ] || fail "ingest body: $(cat "$WORK/r")"
curl -s "$NODE_URL/api/events" | grep -q '"RenderedMessage":"Hello lifecycle"' || fail "event not read back"
# Read whole before grepping: `curl | grep -q` under pipefail fails when grep
# exits on its match while curl still writes (SIGPIPE).
ingested=$(metric "$NODE_URL" cairn_ingest_events_total)
[ "$ingested" = 1 ] || fail "cairn_ingest_events_total is '$ingested', expected 1"
# The heap gauges come from the allocator the binary links (jemalloc unless
# built with CAIRN_JEMALLOC=OFF or sanitizers).
curl -s "$NODE_URL/metrics" >"$WORK/metrics"
if ldd "$CAIRN_BIN" >"$WORK/ldd" && grep -q libjemalloc "$WORK/ldd"; then
  grep -q '^cairn_process_allocator_info{allocator="jemalloc"} 1$' "$WORK/metrics" ||
    fail "allocator: $(grep allocator_info "$WORK/metrics")"
  heap=$(awk '$1 == "cairn_process_heap_in_use_bytes" {print $2}' "$WORK/metrics")
  awk -v h="${heap:-0}" 'BEGIN {exit !(h > 1048576)}' || fail "jemalloc heap in use: ${heap:-missing}"
else
  grep -q '^cairn_process_allocator_info{allocator="\(glibc\|unknown\)"} 1$' "$WORK/metrics" ||
    fail "allocator: $(grep allocator_info "$WORK/metrics")"
fi

# A second process on the same storage root fails at once with a clear message.
set +e
timeout 10 "$CAIRN_BIN" run --storage "$S" --listen http://127.0.0.1:0 >"$WORK/second.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "second instance exit code $rc"
grep -q "already in use by another cairn process (pid $NODE_PID)" "$WORK/second.log" ||
  fail "second instance message: $(cat "$WORK/second.log")"
curl -s "$NODE_URL/api/events" | grep -q 'Hello lifecycle' || fail "first node harmed by the second"

# Bad configuration: clear message and exit code 2.
set +e
"$CAIRN_BIN" config set --storage "$S" -k api.nope -v 1 2>"$WORK/cfg1"; rc1=$?
"$CAIRN_BIN" config set --storage "$S" -k cluster.leaseMs -v soon 2>"$WORK/cfg2"; rc2=$?
CAIRN_INGEST_ACK=sometimes "$CAIRN_BIN" config get --storage "$S" -k ingest.ack 2>"$WORK/cfg3"; rc3=$?
set -e
[ "$rc1" = 2 ] && grep -q "unknown configuration key 'api.nope'" "$WORK/cfg1" || fail "unknown key: rc=$rc1 $(cat "$WORK/cfg1")"
[ "$rc2" = 2 ] && grep -q "'soon' is not an integer" "$WORK/cfg2" || fail "bad value: rc=$rc2 $(cat "$WORK/cfg2")"
[ "$rc3" = 2 ] && grep -q "CAIRN_INGEST_ACK" "$WORK/cfg3" || fail "bad env: rc=$rc3 $(cat "$WORK/cfg3")"

# SIGTERM stops the node within 5 s.
ms=$(stop_node "$NODE_PID")
echo "stopped in $ms ms"
[ "$ms" -lt 5000 ] || fail "stop took $ms ms"
grep -q "released lease" "$S.log" || fail "lease not released at stop"

# Restart on the same storage root: data still there, leader again.
start_node "$S"
wait_healthy "$NODE_URL"
curl -s "$NODE_URL/api/events" | grep -q 'Hello lifecycle' || fail "event lost across restart"
stop_node "$NODE_PID" >/dev/null
echo "PASS"
