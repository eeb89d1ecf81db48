#!/usr/bin/env bash
# Distributed queries on a real three-node cluster (PostgreSQL metastore,
# cluster ports on loopback): the leader splits a full-scan query by id
# ranges over itself and both followers; each node's share of the scanned
# events is within ±20% of the mean (printed), the merged answer is exact;
# with one follower frozen (SIGSTOP) the query still returns the right
# answer after the leader retried the frozen node's share itself.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
EVENTS=60000
start_pg_metastore

setup_replicated_cluster 0 leader
for n in 1 2 3; do
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k storage.indexIntervalMs -v 200
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k query.shareTimeoutMs -v 2000
done
for n in 1 2 3; do launch "$n"; done
leader=$(wait_cluster_leader 0)
echo "leader: n$leader"

# EVENTS events over the last hour, a third at Warning.
python3 - "$WORK/events" "$EVENTS" <<'EOF'
import sys, time, datetime
path, n = sys.argv[1], int(sys.argv[2])
now = time.time()
with open(path, "w") as f:
    for i in range(n):
        ts = datetime.datetime.fromtimestamp(now - 3600 + 3600 * i / n, datetime.timezone.utc)
        lvl = "Warning" if i % 3 == 0 else "Information"
        f.write('{"@t":"%s","@mt":"Request {N} done","@l":"%s","N":%d}\n'
                % (ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), lvl, i))
EOF
split -l 5000 "$WORK/events" "$WORK/batch."
for b in "$WORK"/batch.*; do
  code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" --data-binary "@$b")
  [ "$code" = 201 ] || fail "ingest answered $code"
done

q() { # QUERY -> the /api/data body, from the leader
  curl -s -m 30 -G "${URL[$leader]}/api/data" --data-urlencode "q=$1"
}
count_of() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Rows"][0][0])'; }

# Wait (bounded) until every node took its share without failure (a
# follower still replicating gives its share back to the leader).
body=""
for _ in $(seq 1 100); do
  body=$(q "select count(*) from stream for no_cache") # memoized blocks scan no events
  if echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
nodes = d["Statistics"].get("Nodes", [])
ev = [n["Events"] for n in nodes]
ok = len(nodes) == 3 and all("Failure" not in n for n in nodes) and d["Rows"][0][0] == '"$EVENTS"'
sys.exit(0 if ok and max(abs(e - sum(ev) / 3) for e in ev) <= 0.2 * sum(ev) / 3 else 1)' 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
nodes = d["Statistics"].get("Nodes")
assert nodes and len(nodes) == 3, "not all three nodes took part: %s" % d["Statistics"]
count = d["Rows"][0][0]
assert count == '"$EVENTS"', "count %s" % count
events = [n["Events"] for n in nodes]
mean = sum(events) / 3
for n in nodes:
    print("  node %-12s events %6d  ms %8.2f  shares %d" % (n["Name"], n["Events"], n["Ms"], n["Shares"]))
    assert abs(n["Events"] - mean) <= 0.2 * mean, "node %s scanned %d, mean %.0f" % (n["Name"], n["Events"], mean)
print("full scan: count %d, per-node events within 20%% of %.0f" % (count, mean))
' || fail "distributed full scan: $body"

# Grouped aggregate: merged partials agree with the expected split.
body=$(q "select count(*) from stream group by @Level")
echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = {r[0]: r[1] for r in d["Rows"]}
n = '"$EVENTS"'
assert rows.get("Warning") == (n + 2) // 3 and rows.get("Information") == n - (n + 2) // 3, rows
print("group by @Level:", rows)
' || fail "grouped distributed query: $body"

# Shares are memoized per block: once indexing is done, a repeated grouped
# query answers the same rows with every node reusing partials (its memo
# hits grow) and scanning fewer events than a no_cache run.
memo_hits() { metric "${URL[$1]}" cairn_query_memo_hits_total; }
for _ in $(seq 1 100); do # every event in blocks (no_cache scans 0 buffered)
  [ "$(metric "${URL[$leader]}" cairn_indexed_events_total)" = "$EVENTS" ] && break
  sleep 0.1
done
Q="select count(*) from stream where N >= 100 group by @Level"
first=$(q "$Q" | sed 's/,"Statistics".*//')
declare -A hits0
for n in 1 2 3; do hits0[$n]=$(memo_hits "$n"); done
body=$(q "$Q")
[ "$(echo "$body" | sed 's/,"Statistics".*//')" = "$first" ] || fail "memoized rows differ: $first vs $body"
[ "$(q "$Q for no_cache" | sed 's/,"Statistics".*//')" = "$first" ] || fail "no_cache rows differ"
for n in 1 2 3; do
  [ "$(memo_hits "$n")" -gt "${hits0[$n]}" ] || fail "n$n reused no memoized block: ${hits0[$n]} -> $(memo_hits "$n")"
done
echo "$body" | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["Statistics"]["Nodes"]
assert len(nodes) == 3 and all("Failure" not in n for n in nodes), nodes
scanned = sum(n["Events"] for n in nodes)
assert scanned < '"$EVENTS"' // 2, "memoized run scanned %d events" % scanned
print("memoized grouped query: %d events scanned (of %d)" % (scanned, '"$EVENTS"'))
' || fail "memoized distributed query: $body"

# Freeze one follower: its share times out and the leader runs it.
frozen=""
for n in 1 2 3; do [ "$n" != "$leader" ] && frozen=$n && break; done
kill -STOP "${PID[$frozen]}"
start=$(date +%s%N)
body=$(q "select count(*) from stream")
elapsed=$((($(date +%s%N) - start) / 1000000))
kill -CONT "${PID[$frozen]}"
echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
count = d["Rows"][0][0]
assert count == '"$EVENTS"', "count %s with a frozen follower" % count
nodes = d["Statistics"]["Nodes"]
failed = [n for n in nodes if "Failure" in n]
assert len(failed) == 1, "expected one retried share: %s" % nodes
for n in nodes:
    print("  node %-12s events %6d  ms %8.2f  shares %d %s" % (n["Name"], n["Events"], n["Ms"], n["Shares"], n.get("Failure", "")))
' || fail "query with a frozen follower: $body"
echo "frozen follower n$frozen: right answer in $elapsed ms (share retried on the leader)"
echo "PASS"
