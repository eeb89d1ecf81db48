#!/usr/bin/env bash
# Fault: the leader's storage disk stalls under continuous quorum-acked
# ingest. `fsfreeze` on the leader's ext4 root (a loop image) makes every
# write and fsync to it block in the kernel, as on a hung disk or a lost
# network filesystem; the process cannot even be killed until it thaws.
# Expected: the requests waiting on the stuck commit get 503 + Retry-After
# once ingest.commitTimeoutMs (3 s here) passes instead of hanging, later
# ones get their 503 at once, nothing acknowledged is lost, and ingest
# resumes when the disk thaws.
# Reads wait for the thaw: LMDB's reader table is a shared memory file
# beside the data, so a read transaction on the frozen node blocks too (it
# writes its reader slot), followers forward API reads to the leader, and
# the leader does not step down on a stalled disk (its lease lives in
# PostgreSQL). A stuck read holds a query-pool thread, never an I/O thread:
# the stalled node keeps answering /health, /metrics and ingest (503).
# Short: frozen for 12 s. --long: frozen for 60 s, twice.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; frozen=12; settle=4
[ "$LONG" = 1 ] && { rounds=2; frozen=60; settle=30; }
[ "$(id -u)" = 0 ] || { echo "SKIP: loop mounts and fsfreeze need root"; exit 77; }
command -v fsfreeze >/dev/null && command -v mkfs.ext4 >/dev/null ||
  { echo "SKIP: fsfreeze or mkfs.ext4 missing (util-linux, e2fsprogs)"; exit 77; }
export CAIRN_INGEST_COMMITTIMEOUTMS=3000
# Thawed before anything else at exit: a process blocked on a frozen
# filesystem cannot be reaped, so fault_exit's kill-and-wait would hang.
thaw_all() { local n; for n in 1 2 3; do fsfreeze -u "$WORK/n$n" >/dev/null 2>&1 || true; done; }
trap fault_exit EXIT
for n in 1 2 3; do
  mkdir -p "$WORK/n$n"
  truncate -s 512M "$WORK/n$n.img"
  mkfs.ext4 -q -F "$WORK/n$n.img" || { echo "SKIP: mkfs.ext4 failed"; exit 77; }
  err=$(mount -o loop "$WORK/n$n.img" "$WORK/n$n" 2>&1) || { echo "SKIP: loop mount: $err"; exit 77; }
  FAULT_UNDO+=("umount -l '$WORK/n$n'")
done
start_fault_cluster
trap 'thaw_all; fault_exit' EXIT # start_fault_cluster set its own
start_load

# post_probe URL: one small CLEF batch; prints "STATUS MS RETRY_AFTER".
post_probe() {
  local t0 out status
  t0=$(now_ms)
  out=$(curl -s -i -m 30 -X POST --data-binary '{"@t":"2024-01-01T00:00:00Z","@mt":"stall probe"}' \
    "$1/ingest/clef" | tr -d '\r') || true
  status=$(echo "$out" | head -1 | cut -d' ' -f2)
  echo "${status:-0} $(( $(now_ms) - t0 )) $(echo "$out" | grep -ci '^retry-after:')"
}

first_fault=""; heal=""
for round in $(seq 1 "$rounds"); do
  sleep "$settle"
  L=$LEADER
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  fsfreeze -f "$WORK/n$L" || fail "fsfreeze -f $WORK/n$L"
  # Whatever happens to this script, the disk thaws (a frozen root would
  # leave unkillable processes behind). The wait is bash's own `read -t` on
  # a FIFO nobody writes: no child `sleep` to outlive the kill at exit and
  # keep CTest waiting on its output.
  [ -p "$WORK/never" ] || mkfifo "$WORK/never"
  ( read -r -t $(( frozen + 60 )) _ <>"$WORK/never"; fsfreeze -u "$WORK/n$L" ) >/dev/null 2>&1 &
  PIDS+=($!)
  echo "round $round: n$L's storage frozen"
  # The first probe queues behind the stuck commit: answered by the deadline.
  read -r s1 ms1 ra1 < <(post_probe "${URL[$L]}")
  echo "round $round: probe behind the stuck commit: $s1 after $ms1 ms (Retry-After: $ra1)"
  [ "$s1" = 503 ] && [ "$ra1" = 1 ] || fail "ingest on a stalled disk answered $s1 (Retry-After $ra1), expected 503 + Retry-After"
  [ "$ms1" -lt 10000 ] || fail "the stalled request waited $ms1 ms (ingest.commitTimeoutMs is 3000)"
  # Now the node knows its storage is stalled: refused at once.
  read -r s2 ms2 ra2 < <(post_probe "${URL[$L]}")
  echo "round $round: probe while stalled: $s2 after $ms2 ms (Retry-After: $ra2)"
  [ "$s2" = 503 ] && [ "$ms2" -lt 2000 ] || fail "a request to the stalled node answered $s2 after $ms2 ms, expected 503 at once"
  stalled=$(metric "${URL[$L]}" cairn_ingest_stalled)
  echo "round $round: n$L cairn_ingest_stalled=$stalled cairn_ingest_commit_timeouts_total=$(metric "${URL[$L]}" cairn_ingest_commit_timeouts_total)"
  [ "$stalled" = 1 ] || fail "cairn_ingest_stalled is '$stalled' on the stalled node"
  code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "${URL[$L]}/api/events?count=5" || true)
  echo "round $round: read on n$L: ${code/000/no answer in 3 s}"
  health=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "${URL[$L]}/health" || true)
  read -r s4 ms4 _ < <(post_probe "${URL[$L]}")
  echo "round $round: with a read stuck: /health $health, ingest $s4 after $ms4 ms"
  [ "$health" = 200 ] && [ "$s4" = 503 ] || fail "a read stuck on the frozen disk took the node's HTTP with it"
  elapsed=$(( ($(now_ms) - fault) / 1000 ))
  [ "$elapsed" -lt "$frozen" ] && sleep $(( frozen - elapsed ))
  fsfreeze -u "$WORK/n$L" || fail "fsfreeze -u $WORK/n$L"
  heal=$(now_ms)
  acks=$(wc -l <"$LOAD_DIR/acked")
  for _ in $(seq 1 600); do [ "$(wc -l <"$LOAD_DIR/acked")" -gt "$acks" ] && break; sleep 0.05; done
  echo "round $round: disk thawed; first 201 after $(( $(now_ms) - heal )) ms"
  for _ in $(seq 1 100); do [ "$(metric "${URL[$L]}" cairn_ingest_stalled)" = 0 ] && break; sleep 0.1; done
  [ "$(metric "${URL[$L]}" cairn_ingest_stalled)" = 0 ] || fail "n$L still reports a stall 10 s after the thaw"
  read -r s3 ms3 _ < <(post_probe "${URL[$L]}")
  echo "round $round: probe after the thaw: $s3 after $ms3 ms"
  [ "$s3" = 201 ] || fail "ingest on n$L answered $s3 after the thaw"
  LEADER=$(wait_cluster_leader 0)
done
sleep 3
finish "$first_fault" "$heal"
odd=$(awk '$2 != 201 && $2 != 503 && $2 != 0 {print $2}' "$LOAD_DIR/timeline" | sort | uniq -c | tr '\n' ' ')
[ -z "$odd" ] || fail "answers other than 201/503 while the disk was stalled: $odd"
check_caught_up
grep -i 'corrupt' "$WORK/n$L.log" && fail "corruption reported by n$L"
echo PASS
