#!/usr/bin/env bash
# Memoized /api/data over HTTP: a repeated group-by decodes no block again
# and answers the same rows; `for no_cache` reads every block; after more
# ingest and indexing only the new blocks are decoded.
source "$(dirname "$0")/lib.bash"

# gen_clef FIRST COUNT: COUNT CLEF events from index FIRST, one per second
# from 2024-01-01, five users, old enough to be indexed at once.
gen_clef() {
  python3 - "$1" "$2" <<'PY'
import sys, datetime
first, count = int(sys.argv[1]), int(sys.argv[2])
base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(first, first + count):
    t = (base + datetime.timedelta(seconds=i)).strftime('%Y-%m-%dT%H:%M:%SZ')
    print('{"@t":"%s","@mt":"Request {N} by {User}","N":%d,"User":"u%d","@l":"%s"}'
          % (t, i, i % 5, "Error" if i % 7 == 0 else "Information"))
PY
}

ingest() {
  local code
  code=$(curl -s -o "$WORK/ingest.out" -w '%{http_code}' -X POST "$NODE_URL/ingest/clef" \
    --data-binary @"$1")
  [ "$code" = 201 ] || fail "ingest answered $code: $(cat "$WORK/ingest.out")"
}

# data QUERY: GET /api/data, body in $WORK/data.json.
data() {
  local code
  code=$(curl -s -o "$WORK/data.json" -w '%{http_code}' -G "$NODE_URL/api/data" \
    --data-urlencode "q=$1")
  [ "$code" = 200 ] || fail "/api/data answered $code: $(cat "$WORK/data.json")"
}
stat_of() { grep -o "\"$1\":[a-z0-9]*" "$WORK/data.json" | head -1 | cut -d: -f2; }
rows_of() { sed 's/,"Statistics".*//' "$WORK/data.json"; }

# wait_blocks N: until a no_cache count sees N blocks and no buffered event.
wait_blocks() {
  for _ in $(seq 1 200); do
    data "select count(*) from stream for no_cache"
    [ "$(stat_of BlocksRead)" = "$1" ] && return 0
    sleep 0.1
  done
  fail "never saw $1 blocks: $(cat "$WORK/data.json")"
}

CAIRN_STORAGE_INDEXINTERVALMS=50 start_node "$WORK/node"
wait_healthy "$NODE_URL"

gen_clef 0 20000 >"$WORK/a.clef"
ingest "$WORK/a.clef"
wait_blocks 5 # 4 full blocks of 4096 events and one of 3616

Q="select count(*) as c, sum(N) as s from stream group by User"
data "$Q"
[ "$(stat_of MemoMisses)" = 5 ] || fail "first run: $(cat "$WORK/data.json")"
first=$(rows_of)
data "$Q"
[ "$(stat_of MemoHits)" = 5 ] || fail "second run hits: $(cat "$WORK/data.json")"
[ "$(stat_of BlocksRead)" = 0 ] || fail "second run read blocks: $(cat "$WORK/data.json")"
[ "$(rows_of)" = "$first" ] || fail "memoized rows differ: $first vs $(rows_of)"
echo "$first" | grep -q '\["u0",4000,39990000\]' || fail "wrong rows: $first"
# /metrics reports what the memo holds (an SRE reads heap size against it).
[ "$(metric "$NODE_URL" cairn_query_memo_entries)" = 5 ] || fail "memo entries: $(curl -s "$NODE_URL/metrics" | grep memo)"
[ "$(metric "$NODE_URL" cairn_query_memo_hits_total)" = 5 ] || fail "memo hits: $(curl -s "$NODE_URL/metrics" | grep memo)"
memo_bytes=$(metric "$NODE_URL" cairn_query_memo_bytes)
[ "${memo_bytes:-0}" -gt 1280 ] || fail "memo bytes $memo_bytes for 5 entries (>= 256 each)"

data "$Q for no_cache"
[ "$(stat_of BlocksRead)" = 5 ] || fail "no_cache did not read every block: $(cat "$WORK/data.json")"
[ "$(stat_of MemoBypassed)" = true ] || fail "no_cache not reported: $(cat "$WORK/data.json")"
[ "$(rows_of)" = "$first" ] || fail "no_cache rows differ"

gen_clef 20000 5000 >"$WORK/b.clef"
ingest "$WORK/b.clef"
wait_blocks 7
data "$Q"
[ "$(stat_of MemoHits)" = 5 ] || fail "after ingest hits: $(cat "$WORK/data.json")"
[ "$(stat_of BlocksRead)" = 2 ] || fail "after ingest reads: $(cat "$WORK/data.json")"
data "$Q for no_cache"
fresh=$(rows_of)
data "$Q"
[ "$(rows_of)" = "$fresh" ] || fail "memoized rows differ after ingest"
stop_node "$NODE_PID" >/dev/null
echo "PASS"
