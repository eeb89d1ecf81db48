#!/usr/bin/env bash
# Leader election under random SIGSTOP/SIGCONT pauses of nodes: over at least
# 200 lease rounds, the windows in which a node may act as leader never
# overlap and every new holder has a higher epoch.
source "$(dirname "$0")/lib.bash"
TICK=100
LEASE=800
start_pg_metastore
for n in 1 2 3; do setup_node $n; done
for n in 1 2 3; do launch $n; done
wait_healthy "${URL[1]}" || true

rounds() { cat "$WORK"/n*.log | grep -c 'lease window:' || true; }
pauses=0
deadline=$(($(date +%s) + 90))
while [ "$(rounds)" -lt 220 ] && [ "$(date +%s)" -lt "$deadline" ]; do
  victim=$((RANDOM % 3 + 1))
  kill -STOP "${PID[$victim]}"
  sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
  [ $((RANDOM % 3)) = 0 ] && sleep 1   # sometimes past the lease
  kill -CONT "${PID[$victim]}"
  pauses=$((pauses + 1))
  sleep "0.$((RANDOM % 5 + 1))"
done
for n in 1 2 3; do kill -TERM "${PID[$n]}"; done
for n in 1 2 3; do wait "${PID[$n]}" 2>/dev/null || true; done
r=$(rounds)
echo "$pauses pauses, $r lease rounds"
[ "$r" -ge 200 ] || fail "only $r lease rounds in 90 s"
check_lease_windows "$WORK"/n*.log
echo "PASS"
