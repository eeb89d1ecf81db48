#!/usr/bin/env bash
# bench/cluster: the seed query on 1, 2 and 3 nodes over the same loaded data.
#
#   CAIRN_BIN=build/tools/cairn CAIRN_SOURCE_DIR=. bench/cluster/run.sh [EVENTS] [RUNS]
#
# Starts PostgreSQL and a three-node cluster on loopback (ingest.ack=leader,
# cluster.replication=3: every node holds every shard), loads EVENTS events
# (default 300000) with exceptions of 8 types, waits until every node holds
# them all and they are indexed, then runs
#   select count(*) from stream
#   group by Substring(@Exception, 0, IndexOf(@Exception, ':')) for no_cache
# RUNS times (default 5) on 3 nodes, stops one follower (SIGTERM) and runs it
# on 2, stops the other and runs it on the leader alone. Prints, per node
# count, the median wall time (client side, HTTP included) and each node's
# scan work from the response's Statistics.Nodes (events scanned, ms) of the
# median run. Each node keeps its data: the same events are scanned each time.
# On a 2-core machine three nodes cannot run faster than one; the split of
# the work is what this shows.
set -euo pipefail
export CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$CAIRN_SOURCE_DIR/tests/integration/lib.bash"
EVENTS=${1:-300000}
RUNS=${2:-5}
TICK=200
LEASE=2000
SEED='select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, '"':'"')) for no_cache'

start_pg_metastore
setup_replicated_cluster 0 leader
for n in 1 2 3; do
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k diagnostics.logLevel -v info
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k query.shareTimeoutMs -v 60000
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k query.timeoutMs -v 120000
  launch "$n"
done
leader=$(wait_cluster_leader 0)
echo "leader: n$leader; loading $EVENTS events" >&2

python3 - "$WORK/events.clef" "$EVENTS" <<'PY'
import sys, time, datetime
path, n = sys.argv[1], int(sys.argv[2])
kinds = ["System.InvalidOperationException", "System.ArgumentNullException",
         "System.TimeoutException", "System.IO.IOException", "Npgsql.PostgresException",
         "System.Net.Http.HttpRequestException", "System.FormatException",
         "System.Collections.Generic.KeyNotFoundException"]
now = time.time()
with open(path, "w") as f:
    for i in range(n):
        ts = datetime.datetime.fromtimestamp(now - 86400 + 86400 * i / n, datetime.timezone.utc)
        t = ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if i % 4 == 0:
            k = kinds[(i // 4) % len(kinds)]
            f.write('{"@t":"%s","@mt":"Request {Path} failed","@l":"Error","Path":"/api/item/%d",'
                    '"@x":"%s: something went wrong (%d)\\n   at App.Handler.Run() in Handler.cs:line %d"}\n'
                    % (t, i % 977, k, i, i % 300))
        else:
            f.write('{"@t":"%s","@mt":"Request {Path} took {Elapsed} ms","Path":"/api/item/%d","Elapsed":%d}\n'
                    % (t, i % 977, i % 500))
PY
"$CAIRN_BIN" ingest "$WORK/events.clef" --server "${URL[$leader]}" >/dev/null 2>&1
target=$(metric "${URL[$leader]}" cairn_store_next_id)
for n in 1 2 3; do
  for _ in $(seq 1 1200); do
    [ "$(metric "${URL[$n]}" cairn_store_next_id)" = "$target" ] &&
      [ "$(metric "${URL[$n]}" cairn_store_events)" = "$EVENTS" ] && break
    sleep 0.1
  done
  [ "$(metric "${URL[$n]}" cairn_store_events)" = "$EVENTS" ] || fail "n$n holds $(metric "${URL[$n]}" cairn_store_events) events"
done
# Indexed everywhere (a leader's unindexed buffer is scanned by the leader).
for n in 1 2 3; do
  for _ in $(seq 1 1200); do
    [ "$(metric "${URL[$n]}" cairn_indexed_events_total)" -ge "$((EVENTS * 95 / 100))" ] && break
    sleep 0.1
  done
done

measure() { # LABEL NODES: RUNS seed queries on the leader; prints the median run
  local label=$1 want=$2 i
  : >"$WORK/runs"
  for i in $(seq 1 $((RUNS + 1))); do
    local t0 t1 body
    t0=$(date +%s%N)
    body=$(curl -s -m 300 -G "${URL[$leader]}/api/data" --data-urlencode "q=$SEED")
    t1=$(date +%s%N)
    [ "$i" = 1 ] && continue # warm-up: page cache, connections
    printf '%s\t%s\n' "$(( (t1 - t0) / 1000 ))" "$body" >>"$WORK/runs"
  done
  python3 - "$WORK/runs" "$label" "$want" "$EVENTS" <<'PY'
import json, sys
path, label, want, events = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
runs = []
for line in open(path):
    us, body = line.rstrip("\n").split("\t", 1)
    d = json.loads(body)
    runs.append((int(us) / 1000.0, d))
runs.sort(key=lambda r: r[0])
ms, d = runs[len(runs) // 2]
total = sum(r[1] for r in d["Rows"])
assert total == events, "%s: groups sum to %d, want %d" % (label, total, events)
nodes = d["Statistics"].get("Nodes", [{"Name": "leader", "Events": events, "Ms": d["Statistics"]["ElapsedMilliseconds"]}])
ok = [n for n in nodes if "Failure" not in n]
assert len(ok) == want, "%s: %d nodes answered, want %d: %s" % (label, len(ok), want, nodes)
walls = ", ".join("%.0f" % r[0] for r in runs)
print("%-8s wall median %7.1f ms (runs: %s); groups %d" % (label, ms, walls, len(d["Rows"])))
for n in nodes:
    print("         %-10s scanned %8d events (%5.1f%%) in %7.1f ms%s" % (
        n["Name"], n["Events"], 100.0 * n["Events"] / events, n["Ms"],
        "  FAILED: " + n["Failure"] if "Failure" in n else ""))
PY
}

echo "seed query over $EVENTS events, $RUNS runs each (median shown):"
measure "3 nodes" 3
followers=(); for n in 1 2 3; do [ "$n" != "$leader" ] && followers+=("$n"); done
stop_node "${PID[${followers[0]}]}" >/dev/null
sleep 1
measure "2 nodes" 2
stop_node "${PID[${followers[1]}]}" >/dev/null
sleep 1
measure "1 node" 1
