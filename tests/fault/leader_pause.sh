#!/usr/bin/env bash
# Fault: SIGSTOP of the leader past its lease (lease 2 s, paused 5 s) under
# continuous quorum-acked ingest. The others elect a new leader; after SIGCONT
# the old leader must step down (no two leaders: lease windows never
# overlap), and no acknowledged event is lost.
# Short: one pause. --long: five pauses of 15 s.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; pause=5; settle=4
[ "$LONG" = 1 ] && { rounds=5; pause=15; settle=20; }
start_fault_cluster
start_load
first_fault=""
for round in $(seq 1 "$rounds"); do
  sleep "$settle"
  old=$LEADER
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  kill -STOP "${PID[$old]}"
  LEADER=$(wait_new_leader "$old")
  echo "round $round: paused leader n$old, n$LEADER leads after $(( $(now_ms) - fault )) ms"
  sleep $(( pause - ($(now_ms) - fault) / 1000 )) 2>/dev/null || true
  kill -CONT "${PID[$old]}"
  wait_role "$old" follower
  echo "round $round: n$old resumed after ${pause} s and is a follower"
done
sleep "$settle"
finish "$first_fault" "$first_fault"
check_caught_up
check_lease_windows "$WORK"/n[123].log
echo PASS
