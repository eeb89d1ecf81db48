#!/usr/bin/env bash
# Lag per follower on the leader (issue 5 item 1): a follower frozen with
# SIGSTOP during ingest falls behind in batches and seconds, on /metrics and
# /api/cluster; after SIGCONT both return to 0.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
start_pg_metastore
setup_replicated_cluster 0 leader
for n in 1 2 3; do
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k storage.indexIntervalMs -v 300
  launch $n
done
leader=$(wait_cluster_leader 0) || fail "no leader"
f=""; for n in 1 2 3; do [ "$n" != "$leader" ] && f=$n; done
fname="c0-n$f"

lag() { # lag KIND: the leader's gauge for the frozen follower
  curl -s -m 5 "${URL[$leader]}/metrics" |
    awk -v k="cairn_replication_lag_$1{node=\"$fname\"}" '$1 == k {print $2}'
}
post_batch() { # post_batch I: one small CLEF request to the leader
  printf '{"@t":"2024-03-01T10:00:00Z","@mt":"lag {I}","I":%d}\n' "$1" |
    curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/vnd.serilog.clef' \
      --data-binary @- "${URL[$leader]}/ingest/clef"
}

for i in $(seq 1 5); do [ "$(post_batch "$i")" = 201 ] || fail "ingest failed"; done
for _ in $(seq 1 100); do [ "$(lag batches)" = 0 ] && break; sleep 0.1; done
[ "$(lag batches)" = 0 ] || fail "follower $fname not caught up before the pause: $(lag batches)"

kill -STOP "${PID[$f]}"
for i in $(seq 6 25); do c=$(post_batch "$i"); [ "$c" = 201 ] || fail "ingest failed while paused: HTTP $c"; sleep 0.1; done
sleep 1
b=$(lag batches); s=$(lag seconds)
echo "paused: $fname is $b batches / $s s behind"
[ "${b:-0}" -ge 20 ] || fail "lag batches $b < 20 batches sent while paused"
awk -v s="$s" 'BEGIN { exit !(s >= 2.0) }' || fail "lag seconds $s < 2"
sleep 1
s2=$(lag seconds)
awk -v a="$s" -v b="$s2" 'BEGIN { exit !(b > a) }' || fail "lag seconds did not grow: $s -> $s2"
body=$(curl -s -m 5 "${URL[$leader]}/api/cluster")
echo "$body" | grep -q "\"Name\":\"$fname\"[^}]*\"ReplicationLagBatches\":$b" ||
  fail "/api/cluster does not show $b batches for $fname: $body"

t0=$(date +%s%N)
kill -CONT "${PID[$f]}"
for _ in $(seq 1 300); do
  [ "$(lag batches)" = 0 ] && [ "$(lag seconds)" = 0.000 ] && break
  sleep 0.05
done
[ "$(lag batches)" = 0 ] || fail "lag did not return to 0 batches after SIGCONT: $(lag batches)"
[ "$(lag seconds)" = 0.000 ] || fail "lag did not return to 0 s after SIGCONT: $(lag seconds)"
echo "resumed: back to 0 batches / 0 s in $((($(date +%s%N) - t0) / 1000000)) ms (no new ingest)"
[ "$(metric "${URL[$f]}" cairn_store_next_id)" = "$(metric "${URL[$leader]}" cairn_store_next_id)" ] ||
  fail "follower next id differs from the leader's"
curl -s -m 5 "${URL[$leader]}/api/cluster" | grep -q "\"Name\":\"$fname\"[^}]*\"ReplicationLagBatches\":0,\"ReplicationLagSeconds\":0.000" ||
  fail "/api/cluster still shows lag for $fname"
echo "PASS"
