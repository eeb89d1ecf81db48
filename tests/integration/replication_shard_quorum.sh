#!/usr/bin/env bash
# Per-shard quorum acks on a four-node cluster (PostgreSQL metastore,
# cluster.replication=3, cluster.shards=12, ingest.ack=quorum): a batch is
# acknowledged only when a majority of the holders of EVERY shard its ids
# fall into have it durably (the leader counts only for shards it holds).
#  1. shard S is held by the leader and followers X and Y; with X and Y
#     frozen (SIGSTOP) a batch whose ids fall in S gets 503, while a batch in
#     a shard held by the leader, the unfrozen follower Z and X or Y is
#     acknowledged (Z's ack holds none of S's records: it must not count);
#  2. Y thawed, X still frozen: a batch in S is acknowledged again (leader +
#     Y is two of three), once Y has caught up;
#  3. the leader is SIGKILLed during continuous quorum ingest; every
#     acknowledged batch is found whole through the new leader (a
#     distributed count per batch: no node holds every shard).
source "$(dirname "$0")/lib.bash"
LOADER="${CAIRN_SOURCE_DIR:?}/tests/clients/kill_load.mjs"
source "$(dirname "$0")/lib_sharded.bash"
NODE_PREFIX=q
CLUSTER_KEY=quorum-test-key-0123456789abcdef
SHARDED_CONFIG=(ingest.ack=quorum)
start_sharded_cluster

holders_of() { psql_q "select holder from shard_replicas where shard = $1 order by holder" | sed 's/holder-//' | tr '\n' ' '; }
# S: a shard the leader holds; X, Y its other holders; Z the fourth node.
S="" X="" Y="" Z=""
for s in $(seq 0 $((SHARDS - 1))); do
  h=$(holders_of "$s")
  if [[ " $h " == *" $leader "* ]]; then
    S=$s
    for n in $h; do [ "$n" != "$leader" ] && { [ -z "$X" ] && X=$n || Y=$n; }; done
    break
  fi
done
for n in 1 2 3 4; do [ "$n" != "$leader" ] && [ "$n" != "$X" ] && [ "$n" != "$Y" ] && Z=$n; done
# T: a shard held by the leader and Z (and X or Y): a majority without X and Y.
T=""
for s in $(seq 0 $((SHARDS - 1))); do
  h=$(holders_of "$s")
  [[ " $h " == *" $leader "* && " $h " == *" $Z "* ]] && { T=$s; break; }
done
[ -n "$S" ] && [ -n "$T" ] && [ -n "$Z" ] || fail "unexpected placement (S=$S T=$T Z=$Z)"
echo "shard $S held by leader q$leader, q$X, q$Y; shard $T held by $(holders_of "$T")(q$Z among them)"

# post N: one batch of N events; echoes the HTTP status.
SEQ=0 # per subshell: numbers repeat across batches, which is fine
post() {
  local f="$WORK/post.clef" i
  : >"$f"
  for ((i = 0; i < $1; i++)); do
    SEQ=$((SEQ + 1))
    echo "{\"@t\":\"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\",\"@mt\":\"q {Seq}\",\"Seq\":$SEQ}" >>"$f"
  done
  curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" --data-binary "@$f"
}
# to_shard SHARD: advances the leader's next id to the start of a chunk of
# SHARD with one filler batch (stored on the leader even when it is not
# acknowledged, so the position moves either way).
to_shard() {
  local next chunk gap code
  next=$(metric "${URL[$leader]}" cairn_store_next_id)
  chunk=$((next >> 10))
  gap=0
  while [ $(((chunk) % SHARDS)) != "$1" ] || [ $((chunk << 10)) -lt "$next" ]; do chunk=$((chunk + 1)); done
  gap=$(((chunk << 10) - next))
  if [ "$gap" -gt 0 ]; then
    code=$(post "$gap")
    [ "$code" = 201 ] || [ "$code" = 503 ] || fail "filler batch of $gap events answered $code"
  fi
  next=$(metric "${URL[$leader]}" cairn_store_next_id)
  [ $((next >> 10)) = "$chunk" ] || fail "next id $next not at chunk $chunk (filler of $gap answered ${code:-none})"
}

# The first batch moves the leader's next id to its epoch's id range.
[ "$(post 1)" = 201 ] || fail "the first batch was not acknowledged with every node up"
echo "1. q$X and q$Y frozen"
to_shard "$S"
kill -STOP "${PID[$X]}" "${PID[$Y]}"
FROZEN=("${PID[$X]}" "${PID[$Y]}")
t0=$(date +%s%N)
code=$(post 10)
echo "  batch in shard $S: $code after $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$code" = 503 ] || fail "a batch in shard $S was answered $code with two of its three holders frozen"
to_shard "$T"
code=$(post 10)
echo "  batch in shard $T: $code"
[ "$code" = 201 ] || fail "a batch in shard $T (leader and q$Z up) was answered $code"

echo "2. q$Y thawed, q$X still frozen"
kill -CONT "${PID[$Y]}"
FROZEN=("${PID[$X]}")
to_shard "$S"
ok=""
t0=$(date +%s%N)
for _ in $(seq 1 30); do # retried as clients retry 503 (q$Y catches up meanwhile)
  next=$(metric "${URL[$leader]}" cairn_store_next_id)
  [ $(((next >> 10) % SHARDS)) = "$S" ] && [ $(((next + 9) >> 10)) = $((next >> 10)) ] || to_shard "$S"
  code=$(post 10)
  [ "$code" = 201 ] && { ok=1; break; }
  sleep 0.5
done
[ -n "$ok" ] || fail "a batch in shard $S was not acknowledged with the leader and q$Y up (last $code)"
echo "  batch in shard $S: 201 ($((($(date +%s%N) - t0) / 1000000)) ms after the thaw)"
kill -CONT "${PID[$X]}"
FROZEN=()

count_seq() { # NODE -> "COUNT|NODES" or the error body
  curl -s -m 60 -G "${URL[$1]}/api/data" --data-urlencode "q=select count(*) from stream where Seq > 0 for no_cache" |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
if "Rows" not in d: print("error: " + json.dumps(d)); sys.exit()
print("%d|%s" % (d["Rows"][0][0], ", ".join("%s:%d%s" % (n["Name"], n["Events"], " (" + n["Failure"] + ")" if "Failure" in n else "") for n in d["Statistics"].get("Nodes", []))))'
}
# Every event of steps 1-2, counted by the leader, which holds them all.
SEQ_EVENTS=$(count_seq "$leader")
SEQ_EVENTS=${SEQ_EVENTS%%|*}
echo "3. SIGKILL of the leader during quorum ingest"
# Wait until every follower is back in the peer set and up to date.
for _ in $(seq 1 200); do
  lag=$(curl -s -m 5 "${URL[$leader]}/metrics" | awk '$1 ~ /^cairn_replication_lag_batches/ {s += $2} END {print s + 0}')
  [ "$lag" = 0 ] && break
  sleep 0.1
done
acked="$WORK/acked"
: >"$acked"
node "$LOADER" load "${URL[$leader]}" 7 "$acked" 4 50 >"$WORK/loader.log" 2>&1 &
loader=$!
PIDS+=("$loader")
for _ in $(seq 1 600); do [ "$(wc -l <"$acked")" -ge 40 ] && break; sleep 0.02; done
[ "$(wc -l <"$acked")" -ge 40 ] || fail "only $(wc -l <"$acked") batches acknowledged before the kill: $(cat "$WORK/loader.log")"
kill -KILL "${PID[$leader]}"
wait "$loader" 2>/dev/null || true
new=""
for _ in $(seq 1 300); do
  for n in 1 2 3 4; do [ "$n" != "$leader" ] && [ "$(role_of "$n")" = leader ] && new=$n; done
  [ -n "$new" ] && break
  sleep 0.05
done
[ -n "$new" ] || fail "no new leader"
echo "  new leader q$new"
result=""
for _ in $(seq 1 50); do
  result=$(curl -s -m 30 -G "${URL[$new]}/api/data" \
    --data-urlencode "q=select count(*) as n from stream where Round = 7 group by Batch limit 100000 for no_cache")
  python3 - "$acked" "$result" <<'PY' && break
import json, sys
acked = {int(l.split()[1]) for l in open(sys.argv[1]) if l.strip()}
d = json.loads(sys.argv[2])
found = {int(r[0]): int(r[1]) for r in d["Rows"]}
lost = [b for b in acked if found.get(b, 0) != 50]
failed = [n for n in d["Statistics"].get("Nodes", []) if "Failure" in n]
print("  acked %d batches (%d events), found %d batches; lost acked events %d; nodes %s"
      % (len(acked), 50 * len(acked), len(found), sum(50 - found.get(b, 0) for b in lost),
         ", ".join("%s:%d%s" % (n["Name"], n["Events"], " (" + n["Failure"] + ")" if "Failure" in n else "")
                   for n in d["Statistics"].get("Nodes", []))))
sys.exit(1 if lost else 0)
PY
  sleep 0.2
  result=""
done
[ -n "$result" ] || fail "acknowledged events lost after the leader's SIGKILL"

echo "4. the new leader answers for shards it never held; a holder frozen mid-query"
# The events of steps 1-2 (SEQ_EVENTS, unacknowledged batches included:
# they were stored and replicated later) lie below the new leader's
# position, so for the shards q$new does not hold only q$F and q$G have them.
F="" G=""
for n in 1 2 3 4; do [ "$n" != "$leader" ] && [ "$n" != "$new" ] && { [ -z "$F" ] && F=$n || G=$n; }; done
for s in $(seq 0 $((SHARDS - 1))); do
  h=$(holders_of "$s")
  [[ " $h " == *" $new "* ]] || echo "  shard $s: not on q$new; holders $h"
done
got=""
for _ in $(seq 1 100); do
  got=$(count_seq "$new")
  [ "${got%%|*}" = "$SEQ_EVENTS" ] && break
  sleep 0.2
done
[ "${got%%|*}" = "$SEQ_EVENTS" ] || fail "count with every live node: $got, want $SEQ_EVENTS"
echo "  all live: count ${got%%|*} exact; nodes ${got#*|}"
# Freeze q$F while a query runs: its share times out (query.shareTimeoutMs
# 2 s) and goes to q$G, the other live holder.
t0=$(date +%s%N)
count_seq "$new" >"$WORK/frozen-count" &
qpid=$!
sleep 0.05
kill -STOP "${PID[$F]}"
FROZEN=("${PID[$F]}")
wait "$qpid" || true
got=$(cat "$WORK/frozen-count")
echo "  q$F frozen mid-query: count ${got%%|*} in $((($(date +%s%N) - t0) / 1000000)) ms; nodes ${got#*|}"
[ "${got%%|*}" = "$SEQ_EVENTS" ] || fail "count with q$F frozen: $got, want $SEQ_EVENTS"
# q$G frozen too: the shards q$new never held have no live holder left;
# the answer is a clear 503, not a short count.
kill -STOP "${PID[$G]}"
FROZEN=("${PID[$F]}" "${PID[$G]}")
code=$(curl -s -m 60 -o "$WORK/both-frozen" -w '%{http_code}' -G "${URL[$new]}/api/data" \
  --data-urlencode "q=select count(*) from stream where Seq > 0 for no_cache")
echo "  q$F and q$G frozen: $code $(head -c 300 "$WORK/both-frozen")"
[ "$code" = 503 ] || fail "with every other holder frozen the query answered $code"
thaw_all
FROZEN=()
echo "PASS"
