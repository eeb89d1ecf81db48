#!/usr/bin/env bash
# A client that closes its connection stops its query: the scan ends early
# (cairn_queries_abandoned_total counts it) and the query pool is free for
# the next request, long before the abandoned scan would have finished.
source "$(dirname "$0")/lib.bash"

CAIRN_QUERY_TIMEOUTMS=600000 start_node "$WORK/node"
wait_healthy "$NODE_URL"

python3 - >"$WORK/a.clef" <<'PY'
import datetime
base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(200000):
    t = (base + datetime.timedelta(milliseconds=i)).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    print('{"@t":"%s","@mt":"Request {N} to {Path} took {Elapsed} ms","N":%d,"Path":"/p/%d/orders/%d","Elapsed":%d.25}' % (t, i, i % 500, i % 97, i % 1000))
PY
split -l 25000 "$WORK/a.clef" "$WORK/part."
for part in "$WORK"/part.*; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$NODE_URL/ingest/clef" --data-binary @"$part")
  [ "$code" = 201 ] || fail "ingest answered $code"
done

# A deliberately slow scan: many pattern matches per event, no memo.
pat="@Message like '%9%8%7%6%5%4%3%2%1%' or Path like '%1%2%3%4%5%6%7%' or @Message like '%a%b%c%d%e%f%'"
# Six times the same patterns (no memo, no short cut): a scan of a second or
# more here, so a client giving up after 150 ms always leaves it running.
slow_q="select count(*) from stream where $pat or $pat or $pat or $pat or $pat or $pat for no_cache"
start=$(date +%s%N)
code=$(curl -s -o "$WORK/full.json" -w '%{http_code}' -G "$NODE_URL/api/data" --data-urlencode "q=$slow_q")
full_ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" = 200 ] || fail "slow query answered $code: $(cat "$WORK/full.json")"
echo "the slow query takes $full_ms ms when the client waits"
[ "$full_ms" -ge 600 ] || fail "the slow query took only $full_ms ms: too fast to test abandoning it"

# Repeat it enough times, in sequence, to occupy the query pool (one thread
# per core) for several times the full duration: each client gives up
# after 150 ms.
before=$(metric "$NODE_URL" cairn_queries_abandoned_total)
rounds=6
for i in $(seq 1 $rounds); do
  curl -s -o /dev/null --max-time 0.15 -G "$NODE_URL/api/data" --data-urlencode "q=$slow_q" || true
done
# The next query is answered at once if the abandoned scans stopped.
start=$(date +%s%N)
code=$(curl -s -o "$WORK/small.json" -w '%{http_code}' --max-time 120 -G "$NODE_URL/api/data" \
  --data-urlencode "q=select count(*) from stream where N = 5 for no_cache")
wait_ms=$((($(date +%s%N) - start) / 1000000))
[ "$code" = 200 ] || fail "query after abandoned ones answered $code"
after=0
for _ in $(seq 1 50); do
  after=$(metric "$NODE_URL" cairn_queries_abandoned_total)
  [ "$((after - before))" -ge "$rounds" ] && break
  sleep 0.1
done
echo "abandoned queries counted: $((after - before)) of $rounds; next query answered in $wait_ms ms"
[ "$((after - before))" -ge "$rounds" ] || fail "only $((after - before)) of $rounds abandoned queries were stopped"
# Six abandoned scans left running would hold the pool's threads (2 on a
# 2-core machine) for about 3 x full_ms before the small query could start.
[ "$wait_ms" -lt "$full_ms" ] || fail "the query waited $wait_ms ms behind abandoned scans (a full scan: $full_ms ms)"
stop_node "$NODE_PID" >/dev/null
echo "PASS"
