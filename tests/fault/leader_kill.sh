#!/usr/bin/env bash
# Fault: SIGKILL of the leader under continuous quorum-acked ingest. The
# survivors elect a new leader, ingest resumes through them, the killed node
# restarts as a follower and catches up; no acknowledged event is lost.
# Short: one kill. --long: five kills, 30 s of load between them.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; settle=4
[ "$LONG" = 1 ] && { rounds=5; settle=30; }
start_fault_cluster
start_load
first_fault=""
for round in $(seq 1 "$rounds"); do
  sleep "$settle"
  old=$LEADER
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  kill -KILL "${PID[$old]}"
  wait "${PID[$old]}" 2>/dev/null || true
  LEADER=$(wait_new_leader "$old")
  echo "round $round: killed leader n$old, n$LEADER leads after $(( $(now_ms) - fault )) ms"
  relaunch "$old"
  wait_role "$old" follower
done
sleep "$settle"
finish "$first_fault" "$first_fault"
check_caught_up
echo PASS
