#!/usr/bin/env bash
# Three nodes sharing a real PostgreSQL metastore: one leader, follower proxy,
# /api/cluster, leader SIGKILL fail-over time, fencing of a leader paused
# past its lease, and a single surviving node that keeps serving.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
start_pg_metastore

leaders() {
  local out=""
  for n in "$@"; do [ "$(role_of "$n")" = leader ] && out="$out $n"; done
  echo $out
}
wait_one_leader() { # among the given nodes; echoes it
  for _ in $(seq 1 200); do
    local l; l=$(leaders "$@")
    if [ "$(echo "$l" | wc -w)" = 1 ]; then echo "$l"; return 0; fi
    sleep 0.05
  done
  fail "no single leader among $*: '$(leaders "$@")'"
}
post() { curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$1/ingest/clef" --data-binary "$2"; }

for n in 1 2 3; do setup_node $n; done
for n in 1 2 3; do launch $n; done
leader=$(wait_one_leader 1 2 3)
echo "leader: n$leader"
followers=(); for n in 1 2 3; do [ "$n" != "$leader" ] && followers+=("$n"); done
f=${followers[0]}
# Wait until the follower knows the leader, then ingest through it (proxied).
for _ in $(seq 1 100); do [ "$(role_of "$f")" = follower ] && break; sleep 0.05; done
[ "$(role_of "$f")" = follower ] || fail "n$f never became follower"
code=$(post "${URL[$f]}" '{"@t":"2024-01-01T00:00:00Z","@m":"via follower"}')
[ "$code" = 201 ] || fail "ingest through follower answered $code"
curl -s "${URL[${followers[1]}]}/api/events" | grep -q '"via follower"' || fail "read through the other follower failed"
for _ in $(seq 1 50); do
  cluster=$(curl -s "${URL[$f]}/api/cluster")
  [ "$(echo "$cluster" | grep -o '"Id"' | wc -l)" = 3 ] && break
  sleep 0.1
done
[ "$(echo "$cluster" | grep -o '"Id"' | wc -l)" = 3 ] || fail "/api/cluster: $cluster"
echo "$cluster" | grep -q '"IsLeading":true' || fail "/api/cluster shows no leader: $cluster"

# SIGKILL of the leader: a new leader serves within lease + 2 ticks (+ poll slack).
t0=$(date +%s%N)
kill -KILL "${PID[$leader]}"
new=""
for _ in $(seq 1 400); do
  for n in "${followers[@]}"; do
    if [ "$(post "${URL[$n]}" '{"@t":"2024-01-01T00:00:01Z","@m":"after failover"}')" = 201 ] &&
       [ "$(role_of "$n")" = leader ]; then new=$n; break 2; fi
  done
  sleep 0.02
done
[ -n "$new" ] || fail "no new leader after SIGKILL"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "failover: n$new serves as leader ${ms} ms after SIGKILL of n$leader (lease $LEASE ms, tick $TICK ms)"
[ "$ms" -le $((LEASE + 2 * TICK + 1500)) ] || fail "failover took $ms ms"

# Fencing: pause the new leader past its lease; after SIGCONT it must not commit.
other=""; for n in "${followers[@]}"; do [ "$n" != "$new" ] && other=$n; done
before=$(curl -s "${URL[$new]}/metrics" | awk '/^cairn_ingest_events_total/ {print $2}')
kill -STOP "${PID[$new]}"
sleep $(((LEASE + 4 * TICK) / 1000 + 1))
[ "$(role_of "$other")" = leader ] || fail "n$other did not take over from the paused leader"
kill -CONT "${PID[$new]}"
# Straight after resuming, before its own tick: writes sent to it must not be
# committed by it (503 or proxied to the real leader are both fine).
for i in 1 2 3 4 5; do post "${URL[$new]}" "{\"@t\":\"2024-01-01T00:00:0${i}Z\",\"@m\":\"resumed $i\"}" >/dev/null; done
after=$(curl -s "${URL[$new]}/metrics" | awk '/^cairn_ingest_events_total/ {print $2}')
[ "$before" = "$after" ] || fail "paused leader committed $((after - before)) events after resuming"
grep -q "lease deadline passed\|leader lease has lapsed\|leader -> deactivating" "$WORK/n$new.log" ||
  fail "resumed node did not log stepping down"
echo "fencing: resumed ex-leader n$new committed nothing (ingest counter $before -> $after)"

# Lease windows from every node never overlap and epochs only grow.
check_lease_windows "$WORK"/n*.log

# One surviving node keeps serving.
kill -KILL "${PID[$new]}"
survivor=$other
[ "$(post "${URL[$survivor]}" '{"@t":"2024-01-01T00:00:09Z","@m":"alone"}')" = 201 ] || fail "survivor does not ingest"
curl -s "${URL[$survivor]}/api/events" | grep -q '"alone"' || fail "survivor does not read"
echo "PASS"
