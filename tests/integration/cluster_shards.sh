#!/usr/bin/env bash
# Shards and placement on a real four-node cluster (PostgreSQL metastore,
# cluster ports on loopback), cluster.replication=3, cluster.shards=12:
#  1. every shard is placed on 3 nodes; each follower stores exactly the
#     events of its shards; a distributed query answers exactly with all
#     four nodes scanning;
#  2. a follower is killed and a replacement (fresh storage, same cluster
#     port) is started with its --shard-id: placement is unchanged, the
#     replacement receives exactly those shards (9 of 12) and answers queries;
#  3. another follower is killed: queries stay exact; `cairn node remove`
#     drops it and gives each of its shards a third copy on the live nodes,
#     reporting what moved; they then store exactly their new shards.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/lib_sharded.bash"
EVENTS=24000
NODE_PREFIX=s
CLUSTER_KEY=shard-test-key-0123456789abcdef
start_sharded_cluster

python3 - "$WORK/events" "$EVENTS" <<'PY'
import sys, time, datetime
path, n = sys.argv[1], int(sys.argv[2])
now = time.time()
with open(path, "w") as f:
    for i in range(n):
        ts = datetime.datetime.fromtimestamp(now - 3600 + 3600 * i / n, datetime.timezone.utc)
        f.write('{"@t":"%s","@mt":"Request {N} done","@l":"%s","N":%d}\n'
                % (ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "Warning" if i % 3 == 0 else "Information", i))
PY
split -l 4000 "$WORK/events" "$WORK/batch."
for b in "$WORK"/batch.*; do
  code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" --data-binary "@$b")
  [ "$code" = 201 ] || fail "ingest answered $code"
done
next=$(metric "${URL[$leader]}" cairn_store_next_id)
first=$((next - EVENTS))

# expected HOLDER: events of the ids [first, next) in the holder's shards.
expected() {
  local shards
  shards=$(psql_q "select shard from shard_replicas where holder = '$1'" | tr '\n' ' ')
  python3 -c "
import sys
shards = set(int(s) for s in '$shards'.split())
print(sum(1 for i in range($first, $next) if (i >> 10) % $SHARDS in shards))"
}
wait_holds() { # N HOLDER: node N stores exactly the events of HOLDER's shards (bounded 30 s)
  local want got=""
  want=$(expected "$2")
  for _ in $(seq 1 300); do
    got=$(metric "${URL[$1]}" cairn_store_events)
    [ "$got" = "$want" ] && { echo "  s$1 ($2) holds $got events = its shards' share"; return 0; }
    sleep 0.1
  done
  fail "s$1 ($2) holds $got events, want $want (its shards: $(psql_q "select string_agg(shard::text, ',') from shard_replicas where holder = '$2'"))"
}
echo "1. placement and per-node holdings"
for n in 1 2 3 4; do
  [ "$n" = "$leader" ] && continue
  wait_holds "$n" "holder-$n"
done
[ "$(metric "${URL[$leader]}" cairn_store_events)" = "$EVENTS" ] || fail "the leader does not hold every event"

q() { curl -s -m 30 -G "${URL[$leader]}/api/data" --data-urlencode "q=$1"; }
check_count() { # LABEL NODES_WANTED: count(*) is exact; NODES_WANTED nodes answered without failure
  local body=""
  for _ in $(seq 1 100); do
    body=$(q "select count(*) from stream for no_cache")
    echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
nodes = d["Statistics"].get("Nodes", [])
ok = [n for n in nodes if "Failure" not in n and n["Events"] > 0]
sys.exit(0 if d["Rows"][0][0] == '"$EVENTS"' and len(ok) == '"$2"' else 1)' 2>/dev/null && break
    sleep 0.2
  done
  echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["Rows"][0][0] == '"$EVENTS"', "count %s" % d["Rows"][0][0]
nodes = d["Statistics"]["Nodes"]
for n in nodes:
    print("  node %-4s events %6d  ms %8.2f %s" % (n["Name"], n["Events"], n["Ms"], n.get("Failure", "")))
ok = [n for n in nodes if "Failure" not in n and n["Events"] > 0]
assert len(ok) == '"$2"', "%d nodes answered, want %d" % (len(ok), '"$2"')
print("'"$1"': count %d exact" % d["Rows"][0][0])' || fail "$1: $body"
}
check_count "all four nodes" 4

echo "2. replace a dead follower by its --shard-id"
y=""; for n in 1 2 3 4; do [ "$n" != "$leader" ] && y=$n && break; done
before=$(psql_q "select string_agg(shard::text, ',' order by shard) from shard_replicas where holder = 'holder-$y'")
kill -KILL "${PID[$y]}"
wait "${PID[$y]}" 2>/dev/null || true
z=5
CPORT[5]=${CPORT[$y]} # the replacement takes the dead node's place, port included
configure_sharded_node 5 "holder-$y" "$y"
t0=$(date +%s%N)
launch 5
wait_holds 5 "holder-$y"
echo "  s5 took over holder-$y's shards in $((($(date +%s%N) - t0) / 1000000)) ms (start-up included)"
after=$(psql_q "select string_agg(shard::text, ',' order by shard) from shard_replicas where holder = 'holder-$y'")
[ "$before" = "$after" ] || fail "placement of holder-$y changed: $before -> $after"
[ "$(psql_q "select shard_id from nodes where name = 's5'")" = "holder-$y" ] || fail "s5 not registered with holder-$y"
check_count "with the replacement" 4
curl -s -m 30 -G "${URL[$leader]}/api/data" --data-urlencode "q=select count(*) from stream for no_cache" |
  grep -q '"Name":"s5"' || fail "the replacement took no part in the query"
echo "3. kill another follower, query, remove it, re-replicate"
x=""; for n in 1 2 3 4; do [ "$n" != "$leader" ] && [ "$n" != "$y" ] && x=$n && break; done
kill -KILL "${PID[$x]}"
wait "${PID[$x]}" 2>/dev/null || true
check_count "s$x killed" 3
# Removal is refused while its heartbeat is fresh; wait until it is stale.
out=""
for _ in $(seq 1 100); do
  if out=$("$CAIRN_BIN" node remove "s$x" --server "${URL[$leader]}" 2>&1); then break; fi
  echo "$out" | grep -q "is alive" || fail "node remove failed: $out"
  sleep 0.1
done
echo "  node remove: $out"
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["Removed"][0]["Name"] == "s'"$x"'", d
assert d["PlacementsDropped"] > 0, d
assert d["Moved"] and all("Error" not in m for m in d["Moved"]), d
assert d["UnderReplicated"] == [], d
' || fail "unexpected removal report: $out"
[ "$(psql_q "select count(*) from shard_replicas where holder = 'holder-$x'")" = 0 ] || fail "s$x still in placement"
[ "$(psql_q "select count(*) from nodes where name = 's$x'")" = 0 ] || fail "s$x still a member"
for s in $(seq 0 $((SHARDS - 1))); do
  [ "$(psql_q "select count(*) from shard_replicas where shard = $s")" = 3 ] || fail "shard $s has not 3 copies"
done
echo "  every shard has 3 copies again: $(psql_q "select holder, count(*) from shard_replicas group by holder order by holder" | tr '\n' ' ')"
for n in 1 2 3 4; do
  [ "$n" = "$leader" ] || [ "$n" = "$x" ] || [ "$n" = "$y" ] && continue
  wait_holds "$n" "holder-$n"
done
wait_holds 5 "holder-$y"
check_count "after removal" 3

echo "PASS"
