#!/usr/bin/env bash
# Fault: SIGKILL of a follower under continuous quorum-acked ingest. The
# leader and the other follower still form a majority, so ingest goes on;
# the killed follower restarts, catches up, and no acknowledged event is lost.
# Short: one kill, 5 s down. --long: five kills, 30 s down each.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; down=5
[ "$LONG" = 1 ] && { rounds=5; down=30; }
start_fault_cluster
start_load
first_fault=""
for round in $(seq 1 "$rounds"); do
  sleep 3
  victim=$(( LEADER % 3 + 1 ))
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  kill -KILL "${PID[$victim]}"
  wait "${PID[$victim]}" 2>/dev/null || true
  sleep "$down"
  relaunch "$victim"
  wait_role "$victim" follower
  echo "round $round: follower n$victim down for ${down} s, back as follower"
done
sleep 3
finish "$first_fault" "$first_fault"
check_caught_up
echo PASS
