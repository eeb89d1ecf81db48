#!/usr/bin/env bash
# bench/cluster/search_latency.sh: GET /api/events latency with and without
# the sharded fan-out (actors/distributed_search.hpp).
#
#   CAIRN_BIN=build/tools/cairn CAIRN_SOURCE_DIR=. bench/cluster/search_latency.sh
#
# The set-up of tests/integration/distributed_search.sh: four nodes on
# loopback with PostgreSQL, cluster.replication=3, cluster.shards=12,
# 26,000 events. First on the leader, which holds every event (local search,
# "BASE" lines), then after its SIGKILL on the new leader, which lacks 3
# shards below its activation position and asks their holders (600 more
# events ingested there). Each line: the median of 5 client wall times.
export CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$CAIRN_SOURCE_DIR/tests/integration/lib.bash"
source "$CAIRN_SOURCE_DIR/tests/integration/lib_sharded.bash"
start_sharded_cluster
ingest_replicated

t() { # LABEL URL: median of 5 wall times in ms
  local ts=()
  for _ in 1 2 3 4 5; do ts+=($(curl -s -o /dev/null -w '%{time_total}' "$2")); done
  echo "$1: $(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p) s (median of 5; $(printf '%s ' "${ts[@]}"))"
}
L0=${URL[$leader]}
t "BASE leader(all shards) count=30" "$L0/api/events?count=30"
t "BASE leader filter k3 count=30" "$L0/api/events?filter=Kind%20%3D%20'k3'&count=30"
t "BASE leader filter Seq=1234" "$L0/api/events?filter=Seq%20%3D%201234&count=30"
t "BASE leader count=1000" "$L0/api/events?count=1000"
t "BASE leader count=100000" "$L0/api/events?count=100000"
id0=$(curl -s "$L0/api/events?count=1&filter=Seq%20%3D%201234" | grep -o '"Id":"[^"]*"' | cut -d'"' -f4)
t "BASE leader id" "$L0/api/events/$id0"
fail_over

F=""; for n in "${LIVE[@]}"; do if [ "$n" != "$new" ]; then F=$n; fi; done
L=${URL[$new]}
t "leader count=30" "$L/api/events?count=30"
t "follower count=30" "${URL[$F]}/api/events?count=30"
t "leader filter k3 count=30" "$L/api/events?filter=Kind%20%3D%20'k3'&count=30"
t "leader filter Seq=1234" "$L/api/events?filter=Seq%20%3D%201234&count=30"
t "leader count=1000" "$L/api/events?count=1000"
t "leader count=100000" "$L/api/events?count=100000"
id=$(curl -s "$L/api/events?count=1&filter=Seq%20%3D%201234" | grep -o '"Id":"[^"]*"' | cut -d'"' -f4)
t "leader id $id" "$L/api/events/$id"
mid=$(curl -s "$L/api/events?count=30000" | python3 -c '
import json, sys
missing = {int(x) for x in sys.argv[1].split()}
for ev in json.load(sys.stdin):
    i = int(ev["Id"][6:], 16)
    if (i >> 10) % 12 in missing and i < (1 << 41):
        print(ev["Id"]); break' "${MISSING[*]}")
t "leader id in missing shard $mid" "$L/api/events/$mid"
t "leader afterId in missing shard count=30" "$L/api/events?afterId=$mid&count=30"
t "data count" "$L/api/data?q=select%20count(*)%20from%20stream"
echo "PASS"
