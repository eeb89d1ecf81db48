#!/usr/bin/env bash
# A follower stopped while the leader ingests catches up to the leader after
# it restarts; prints the time taken and seconds per million events.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
EVENTS=${CATCHUP_EVENTS:-100000}
start_pg_metastore
setup_replicated_cluster 0 leader
for n in 1 2 3; do launch $n; done
leader=$(wait_cluster_leader 0) || fail "no leader"
f=""; for n in 1 2 3; do [ "$n" != "$leader" ] && f=$n; done
stop_node "${PID[$f]}" >/dev/null

awk -v n="$EVENTS" 'BEGIN { for (i = 0; i < n; i++)
  printf "{\"@t\":\"2024-03-01T%02d:%02d:%02d.%03dZ\",\"@mt\":\"Request {Path} took {Elapsed} ms\",\"Path\":\"/api/item/%d\",\"Elapsed\":%d.%d,\"@l\":\"%s\",\"Seq\":%d}\n",
    int(i / 3600000) % 24, int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, i % 977, i % 500, i % 10,
    (i % 50 == 0) ? "Error" : "Information", i }' >"$WORK/events.clef"
"$CAIRN_BIN" ingest "$WORK/events.clef" --server "${URL[$leader]}" 2>&1 | tail -1
target=$(metric "${URL[$leader]}" cairn_store_next_id)

t0=$(date +%s%N)
launch "$f"
caught=""
for _ in $(seq 1 1200); do
  [ "$(metric "${URL[$f]}" cairn_store_next_id)" = "$target" ] && { caught=1; break; }
  sleep 0.05
done
[ -n "$caught" ] || fail "follower n$f did not reach next id $target in 60 s (at $(metric "${URL[$f]}" cairn_store_next_id))"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "catch-up: n$f received $EVENTS events in $ms ms after restart (start-up included):" \
  "$(awk -v ms="$ms" -v n="$EVENTS" 'BEGIN { printf "%.1f s per million events", ms / 1000 / (n / 1e6) }')"
echo "PASS"
