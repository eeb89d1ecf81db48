#!/usr/bin/env bash
# Query bounds over HTTP: a huge group-by fails with a clear 400 naming
# query.maxMemoryBytes, and ingestion keeps answering 201 promptly while
# heavy queries run on the query pool.
source "$(dirname "$0")/lib.bash"

CAIRN_QUERY_MAXMEMORYBYTES=1048576 CAIRN_STORAGE_INDEXINTERVALMS=50 start_node "$WORK/node"
wait_healthy "$NODE_URL"

python3 - >"$WORK/a.clef" <<'PY'
import datetime
base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(60000):
    t = (base + datetime.timedelta(milliseconds=i)).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    print('{"@t":"%s","@mt":"Request {N}","N":%d,"Path":"/p/%d"}' % (t, i, i))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$NODE_URL/ingest/clef" --data-binary @"$WORK/a.clef")
[ "$code" = 201 ] || fail "ingest answered $code"

# 60000 distinct groups cannot fit in 1 MiB.
code=$(curl -s -o "$WORK/big.json" -w '%{http_code}' -G "$NODE_URL/api/data" \
  --data-urlencode "q=select count(*) from stream group by Path")
[ "$code" = 400 ] || fail "huge group-by answered $code: $(cat "$WORK/big.json")"
grep -q 'query.maxMemoryBytes' "$WORK/big.json" || fail "unclear error: $(cat "$WORK/big.json")"
# Small groupings still work on the same node.
code=$(curl -s -o "$WORK/small.json" -w '%{http_code}' -G "$NODE_URL/api/data" \
  --data-urlencode "q=select count(*) from stream")
[ "$code" = 200 ] && grep -q '60000' "$WORK/small.json" || fail "count answered $code: $(cat "$WORK/small.json")"

# Heavy scans (pattern matching over every event, no memo) in the
# background, each worker running queries until the ingest loop is done...
QPIDS=()
for w in 1 2 3 4; do
  (
    n=0
    while [ ! -e "$WORK/ingest.done" ]; do
      curl -s -o /dev/null -G "$NODE_URL/api/data" \
        --data-urlencode "q=select count(*) from stream where @Message like '%9%9%9%' and Path like '%1%' for no_cache"
      n=$((n + 1))
    done
    echo "$n" >"$WORK/worker.$w"
  ) &
  QPIDS+=("$!")
  PIDS+=("$!")
done
sleep 0.3
# ...while ingest keeps answering 201 quickly.
worst=0
for i in $(seq 1 20); do
  start=$(date +%s%N)
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$NODE_URL/ingest/clef" \
    --data-binary "{\"@t\":\"2024-02-01T00:00:00Z\",\"@mt\":\"during {I}\",\"I\":$i}")
  ms=$((($(date +%s%N) - start) / 1000000))
  [ "$code" = 201 ] || fail "ingest during queries answered $code"
  [ "$ms" -gt "$worst" ] && worst=$ms
done
touch "$WORK/ingest.done"
wait "${QPIDS[@]}"
queries=$(cat "$WORK"/worker.* | paste -sd+ | bc)
echo "worst ingest latency during $queries heavy queries: $worst ms"
[ "$queries" -ge 8 ] || fail "only $queries heavy queries overlapped the ingest loop"
[ "$worst" -lt 2000 ] || fail "ingest stalled $worst ms behind queries"
code=$(curl -s -o "$WORK/during.json" -w '%{http_code}' -G "$NODE_URL/api/data" \
  --data-urlencode "q=select count(*) from stream where @MessageTemplate = 'during {I}'")
grep -q '\[20\]' "$WORK/during.json" || fail "events ingested during queries: $(cat "$WORK/during.json")"
stop_node "$NODE_PID" >/dev/null
echo "PASS"
