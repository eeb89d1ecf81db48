#!/usr/bin/env bash
# Cairn's own notifications in a replicated cluster (issue 8 item 4): with
# notifications.replicationLagSeconds=8, a follower frozen with SIGSTOP
# during ingest makes the leader raise ReplicationLag for it (a Warning
# event naming the Follower, listed on the leader's /api/cluster entry);
# the other follower stays up to date, so NoUpToDateFollower is not raised.
# After SIGCONT the follower catches up and the leader clears it
# (Information event, list empty). Then both followers are frozen:
# NoUpToDateFollower is raised, and cleared once they are resumed.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
start_pg_metastore
setup_replicated_cluster 0 leader
for n in 1 2 3; do
  # 8 s: under a loaded CI the follower that keeps up must stay clearly below
  # it (with 4 s a CI run saw it raise NoUpToDateFollower while tests ran in
  # parallel).
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k notifications.replicationLagSeconds -v 8
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k notifications.checkIntervalMs -v 250
  launch $n
done
leader=$(wait_cluster_leader 0) || fail "no leader"
f=""; for n in 1 2 3; do [ "$n" != "$leader" ] && f=$n; done
fname="c0-n$f"
L=${URL[$leader]}

events() { curl -s -m 5 -G "$L/api/events" --data-urlencode "filter=$1" --data-urlencode count=100; }
count_of() { grep -o '"Id":"event-[^"]*"' | wc -l; }
post_batch() {
  printf '{"@t":"2024-03-01T10:00:00Z","@mt":"lag {I}","I":%d}\n' "$1" |
    curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/vnd.serilog.clef' \
      --data-binary @- "$L/ingest/clef"
}
lag_filter="NotificationKind = 'ReplicationLag' and Follower = '$fname'"

for i in $(seq 1 3); do [ "$(post_batch "$i")" = 201 ] || fail "ingest failed"; done
kill -STOP "${PID[$f]}"
t0=$(date +%s%N)
# Keep committing so the frozen follower falls behind; bounded at 30 s.
# A slow or failed ingest is counted, not fatal: unacknowledged batches age
# either way, and ingest availability is tests/integration/replication_lag.sh's
# business.
slow=0
deadline=$(($(date +%s) + 30)); i=3
while [ "$(date +%s)" -lt "$deadline" ]; do
  i=$((i + 1))
  code=$(post_batch "$i" || true) # a curl timeout shows as 000, not a silent exit
  [ "$code" = 201 ] || slow=$((slow + 1))
  [ "$(events "$lag_filter and Active = true" | count_of)" -ge 1 ] && break
  sleep 0.2
done
[ "$slow" = 0 ] || echo "note: $slow ingest request(s) failed or timed out while $fname was paused"
raised=$(events "$lag_filter and Active = true")
[ "$(echo "$raised" | count_of)" = 1 ] || fail "no ReplicationLag Warning for $fname: $raised"
echo "ReplicationLag for $fname raised $((($(date +%s%N) - t0) / 1000000)) ms after SIGSTOP"
echo "$raised" | grep -q '"Level":"Warning"' || fail "not a Warning: $raised"
cluster=$(curl -s -m 5 "$L/api/cluster")
echo "$cluster" | grep -q "\"Notifications\":\[[^]]*\"Kind\":\"ReplicationLag\",\"Subject\":\"$fname\"" ||
  fail "/api/cluster does not list the lag of $fname: $cluster"
[ "$(events "NotificationKind = 'NoUpToDateFollower'" | count_of)" = 0 ] ||
  fail "NoUpToDateFollower raised although one follower is up to date"

kill -CONT "${PID[$f]}"
for _ in $(seq 1 200); do
  [ "$(events "$lag_filter and Active = false" | count_of)" -ge 1 ] && break
  sleep 0.1
done
cleared=$(events "$lag_filter and Active = false")
[ "$(echo "$cleared" | count_of)" = 1 ] || fail "ReplicationLag of $fname not cleared: $cleared"
echo "$cleared" | grep -q '"Level":"Information"' || fail "the clear is not Information: $cleared"
for _ in $(seq 1 40); do
  curl -s -m 5 "$L/api/cluster" | grep -q '"Notifications":\[\]' && break
  sleep 0.1
done
curl -s -m 5 "$L/api/cluster" | grep -q '"Notifications":\[\]' ||
  fail "/api/cluster still lists notifications: $(curl -s -m 5 "$L/api/cluster")"
[ "$(events "$lag_filter" | count_of)" = 2 ] || fail "expected one start and one clear: $(events "$lag_filter")"

# Both followers frozen: no follower is up to date any more.
none="NotificationKind = 'NoUpToDateFollower'"
for n in 1 2 3; do [ "$n" != "$leader" ] && kill -STOP "${PID[$n]}"; done
t0=$(date +%s%N)
deadline=$(($(date +%s) + 30)); i=200
while [ "$(date +%s)" -lt "$deadline" ]; do
  i=$((i + 1))
  post_batch "$i" >/dev/null || true
  [ "$(events "$none and Active = true" | count_of)" -ge 1 ] && break
  sleep 0.2
done
for n in 1 2 3; do [ "$n" != "$leader" ] && kill -CONT "${PID[$n]}"; done
[ "$(events "$none and Active = true" | count_of)" = 1 ] || fail "NoUpToDateFollower not raised: $(events "$none")"
echo "NoUpToDateFollower raised $((($(date +%s%N) - t0) / 1000000)) ms after both followers paused"
for _ in $(seq 1 200); do
  [ "$(events "$none and Active = false" | count_of)" -ge 1 ] && break
  sleep 0.1
done
[ "$(events "$none and Active = false" | count_of)" = 1 ] || fail "NoUpToDateFollower not cleared: $(events "$none")"
echo "PASS"
