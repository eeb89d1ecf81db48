#!/usr/bin/env bash
# Query spans over OTLP: node A sends the spans of its queries to node B's
# OTLP/JSON traces endpoint (diagnostics.otlpEndpoint); B stores them as
# events with trace and span ids. With B down, A's queries still answer.
source "$(dirname "$0")/lib.bash"

start_node "$WORK/b"
B_URL=$NODE_URL
B_PID=$NODE_PID
wait_healthy "$B_URL"

CAIRN_DIAGNOSTICS_OTLPENDPOINT="$B_URL/ingest/otlp/v1/traces" start_node "$WORK/a"
A_URL=$NODE_URL
A_PID=$NODE_PID
wait_healthy "$A_URL"
grep -q "query spans go to $B_URL" "$WORK/a.log" || fail "A did not enable span export: $(cat "$WORK/a.log")"

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$A_URL/ingest/clef" --data-binary \
  $'{"@t":"2024-05-06T07:08:09Z","@mt":"one","User":"x"}\n{"@t":"2024-05-06T07:08:10Z","@mt":"two","User":"y"}')
[ "$code" = 201 ] || fail "ingest on A answered $code"

Q="select count(*) as c from stream group by User"
code=$(curl -s -o "$WORK/q.json" -w '%{http_code}' -G "$A_URL/api/data" --data-urlencode "q=$Q")
[ "$code" = 200 ] || fail "query on A answered $code: $(cat "$WORK/q.json")"

# search_b FILTER: events on B matching FILTER, in $WORK/b.json.
search_b() {
  curl -s -o "$WORK/b.json" -G "$B_URL/api/events" --data-urlencode "filter=$1" \
    --data-urlencode "count=100"
}
found=""
for _ in $(seq 1 100); do
  search_b "@TraceId is not null"
  if grep -q '"query.scan"\|query\.scan' "$WORK/b.json" && grep -q 'query.merge' "$WORK/b.json"; then
    found=1
    break
  fi
  sleep 0.1
done
[ -n "$found" ] || fail "no query spans on B: $(cat "$WORK/b.json")"

# All spans of the query share one trace id; the root carries the statement.
trace=$(grep -o '"TraceId":"[0-9a-f]*"' "$WORK/b.json" | sort -u)
[ "$(echo "$trace" | wc -l)" = 1 ] || fail "spans of one query in several traces: $trace"
for name in query query.plan query.scan query.merge; do
  search_b "@Message = '$name'"
  grep -q '"TraceId"' "$WORK/b.json" || fail "span $name missing on B: $(cat "$WORK/b.json")"
done
search_b "@Message = 'query'"
grep -q 'group by User' "$WORK/b.json" || fail "root span lacks db.statement: $(cat "$WORK/b.json")"
search_b "@Message = 'query.scan'"
grep -q 'cairn.blocks.read\|"cairn":' "$WORK/b.json" || fail "scan span lacks block counts: $(cat "$WORK/b.json")"

# B down: A's queries keep answering (export drops in the background).
stop_node "$B_PID" >/dev/null
for i in 1 2 3; do
  start=$(date +%s%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -G "$A_URL/api/data" --data-urlencode "q=$Q")
  ms=$((($(date +%s%N) - start) / 1000000))
  [ "$code" = 200 ] || fail "query on A with B down answered $code"
  [ "$ms" -lt 1000 ] || fail "query on A took $ms ms with B down"
done
stop_node "$A_PID" >/dev/null
echo "PASS"
