#!/usr/bin/env bash
# Fault: the leader's storage root runs out of space under continuous
# quorum-acked ingest. Each node's root is a small tmpfs; a ballast file
# fills the leader's. Expected: ingest answers 503 with Retry-After (never a
# 201 for an event that was not stored, never a 500), the node keeps
# answering reads, nothing acknowledged is lost, ingest resumes when the
# ballast is removed, and the store reopens cleanly after a restart (no
# corruption).
# Short: full for 10 s. --long: full for 60 s, three times.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; full=10; settle=4
[ "$LONG" = 1 ] && { rounds=3; full=60; settle=30; }
[ "$(id -u)" = 0 ] || { echo "SKIP: mounting tmpfs needs root"; exit 77; }
trap fault_exit EXIT # undo mounts / namespaces even if a later step fails
for n in 1 2 3; do
  mkdir -p "$WORK/n$n"
  err=$(mount -t tmpfs -o size=256m tmpfs "$WORK/n$n" 2>&1) || { echo "SKIP: mount -t tmpfs: $err"; exit 77; }
  FAULT_UNDO+=("umount -l '$WORK/n$n'")
done
start_fault_cluster
start_load
first_fault=""; heal=""
for round in $(seq 1 "$rounds"); do
  sleep "$settle"
  L=$LEADER
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  dd if=/dev/zero of="$WORK/n$L/ballast" bs=1M 2>/dev/null || true
  echo "round $round: n$L's storage full ($(df -h --output=avail "$WORK/n$L" | tail -1 | tr -d ' ') free)"
  # Probes of our own until one is refused (a batch may still fit in pages
  # LMDB frees and reuses; such a 201 is stored and counted by nobody): the
  # refusal must be 503 with Retry-After, never another status.
  status=""; probe=""
  for _ in $(seq 1 50); do
    probe=$(curl -s -i -m 10 -X POST --data-binary '{"@t":"2024-01-01T00:00:00Z","@mt":"probe"}' \
      "${URL[$L]}/ingest/clef" | tr -d '\r')
    status=$(echo "$probe" | head -1 | cut -d' ' -f2)
    [ "$status" = 201 ] || break
    sleep 0.1
  done
  echo "round $round: probe while full: $status $(echo "$probe" | grep -i '^retry-after' || echo '(no Retry-After)')" \
    "$(echo "$probe" | tail -1 | cut -c1-160)"
  [ "$status" = 503 ] || fail "ingest on a full disk answered $status (expected 503 + Retry-After)"
  echo "$probe" | grep -qi '^retry-after:' || fail "503 without Retry-After while the disk is full"
  code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "${URL[$L]}/api/events?count=1")
  echo "round $round: read on the full node: $code"
  sleep "$(( full - 2 ))"
  rm -f "$WORK/n$L/ballast"
  heal=$(now_ms)
  acks=$(wc -l <"$LOAD_DIR/acked")
  for _ in $(seq 1 600); do [ "$(wc -l <"$LOAD_DIR/acked")" -gt "$acks" ] && break; sleep 0.05; done
  echo "round $round: space back; first 201 after $(( $(now_ms) - heal )) ms"
  kill -0 "${PID[$L]}" 2>/dev/null || fail "n$L exited while its disk was full"
done
sleep 3
finish "$fault" "$heal"
odd=$(awk '$2 != 201 && $2 != 503 && $2 != 0 {print $2}' "$LOAD_DIR/timeline" | sort | uniq -c | tr '\n' ' ')
[ -z "$odd" ] || fail "answers other than 201/503 while the disk was full: $odd"
check_caught_up
# No corruption: the node whose disk filled up restarts on its store and
# serves the same events.
# (Events held, not the log position: a node re-elected leader after the
# restart moves its position to the new epoch's ids; and as leader it may
# store its own notifications, so more events are fine, fewer are not.)
before=$(metric "${URL[$L]}" cairn_store_events)
stop_node "${PID[$L]}" >/dev/null
relaunch "$L"
wait_healthy "${URL[$L]}"
after=$(metric "${URL[$L]}" cairn_store_events)
[ -n "$before" ] && [ -n "$after" ] && [ "$after" -ge "$before" ] ||
  fail "n$L held $before events before the restart, $after after"
echo "n$L restarted on its store: $after events held ($before before)"
grep -i 'corrupt' "$WORK/n$L.log" && fail "corruption reported by n$L"
echo PASS
