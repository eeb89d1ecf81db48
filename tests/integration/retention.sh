#!/usr/bin/env bash
# Retention policies on a real three-node cluster: `cairn retention add`
# stores "delete @Level = 'Debug' older than 2h"; the leader evaluates it
# every storage.retentionIntervalMs and every replica applies the same
# deletion. Each node's own store is then read alone (the others stopped, so
# it leads and answers locally): old Debug events are gone everywhere,
# recent Debug and all other events remain.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
start_pg_metastore

setup_replicated_cluster 0 leader
for n in 1 2 3; do
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k storage.indexIntervalMs -v 200
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k storage.retentionIntervalMs -v 500
done
for n in 1 2 3; do launch "$n"; done
leader=$(wait_cluster_leader 0)

# 4000 events: half 3 h old, half 10 min old; every other one Debug.
python3 - "$WORK/events" <<'EOF'
import sys, time, datetime
now = time.time()
with open(sys.argv[1], "w") as f:
    for i in range(4000):
        age = 3 * 3600 if i < 2000 else 600
        ts = datetime.datetime.fromtimestamp(now - age + i / 100, datetime.timezone.utc)
        lvl = "Debug" if i % 2 else "Information"
        f.write('{"@t":"%s","@mt":"Step {N}","@l":"%s","N":%d}\n'
                % (ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), lvl, i))
EOF
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" --data-binary "@$WORK/events")
[ "$code" = 201 ] || fail "ingest answered $code"
sleep 1 # replication and an index pass

id=$("$CAIRN_BIN" retention add --server "${URL[$leader]}" --after 2h --filter "@Level = 'Debug'") ||
  fail "cairn retention add failed"
"$CAIRN_BIN" retention list --server "${URL[$leader]}" | grep -q "$id" || fail "policy $id not listed"
echo "policy $id added"

count() { # NODE FILTER -> count from that node
  curl -s -m 30 -G "${URL[$1]}/api/data" --data-urlencode "q=select count(*) from stream where $2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Rows"][0][0])'
}
# The leader applies it within a few intervals.
for _ in $(seq 1 100); do
  [ "$(count "$leader" "@Level = 'Debug'")" = 1000 ] && break
  sleep 0.1
done
[ "$(count "$leader" "@Level = 'Debug'")" = 1000 ] || fail "old Debug events not deleted on the leader"
sleep 1 # the followers' answers

# The policy is removed so later runs delete nothing more.
"$CAIRN_BIN" retention remove --server "${URL[$leader]}" "$id" || fail "cairn retention remove failed"
"$CAIRN_BIN" retention list --server "${URL[$leader]}" | grep -q "$id" && fail "policy still listed"

# Read each replica alone.
for n in 1 2 3; do kill -KILL "${PID[$n]}"; wait "${PID[$n]}" 2>/dev/null || true; done
for n in 1 2 3; do
  launch "$n"
  for _ in $(seq 1 200); do [ "$(role_of "$n")" = leader ] && break; sleep 0.05; done
  [ "$(role_of "$n")" = leader ] || fail "n$n alone did not lead"
  debug=$(count "$n" "@Level = 'Debug'")
  info=$(count "$n" "@Level = 'Information'")
  echo "  n$n: Debug $debug (expect 1000), Information $info (expect 2000)"
  [ "$debug" = 1000 ] && [ "$info" = 2000 ] || fail "replica n$n holds the wrong events"
  kill -KILL "${PID[$n]}"; wait "${PID[$n]}" 2>/dev/null || true
done
echo "PASS"
