# Four-node sharded cluster fixture shared by tests/integration/
# distributed_search.sh, cluster_shards.sh, replication_shard_quorum.sh and
# bench/cluster/search_latency.sh (source lib.bash first): PostgreSQL
# metastore, cluster.replication=3, cluster.shards=12; for the search
# scenarios EVENTS events ingested on the first leader and replicated, then
# that leader SIGKILLed so the new one lacks some shards below its
# activation position, and LATER more events ingested there.
# Set before start_sharded_cluster: NODE_PREFIX (node names, default d),
# CLUSTER_KEY, SHARDED_CONFIG (extra "key=value" settings for every node).
TICK=200
LEASE=2000
SHARDS=12
EVENTS=26000 # before the fail-over (every shard gets 2+ runs of 1024 ids)
LATER=600   # after it (stored on the new leader from its activation on)

psql_q() { psql "$CAIRN_TEST_PG" -Atc "$1"; }

peers_of() {
  local out="" m
  for m in 1 2 3 4; do [ "$m" != "$1" ] && out="$out${out:+,}127.0.0.1:${CPORT[$m]}"; done
  echo "$out"
}

FROZEN=()
thaw_all() { for p in "${FROZEN[@]:-}"; do [ -n "$p" ] && kill -CONT "$p" 2>/dev/null || true; done; }

NODE_PREFIX=d
CLUSTER_KEY=search-test-key-0123456789abcdef
SHARDED_CONFIG=()

# configure_sharded_node N SHARD_ID [AS]: node N's storage, cluster port,
# the other three nodes as peers (those of node AS for a replacement that
# takes AS's place), shard settings.
configure_sharded_node() {
  local n=$1 s="$WORK/n$1" kv
  setup_node "$n"
  "$CAIRN_BIN" node setup --storage "$s" --cluster-listen "127.0.0.1:${CPORT[$n]}" \
    --peer-cluster "$(peers_of "${3:-$n}")" --node-name "$NODE_PREFIX$n" --shard-id "$2" \
    -k "$CLUSTER_KEY" >/dev/null
  "$CAIRN_BIN" config set --storage "$s" -k cluster.replication -v 3
  "$CAIRN_BIN" config set --storage "$s" -k cluster.shards -v "$SHARDS"
  "$CAIRN_BIN" config set --storage "$s" -k storage.indexIntervalMs -v 200
  "$CAIRN_BIN" config set --storage "$s" -k query.shareTimeoutMs -v 2000
  for kv in "${SHARDED_CONFIG[@]}"; do
    "$CAIRN_BIN" config set --storage "$s" -k "${kv%%=*}" -v "${kv#*=}"
  done
}

# start_sharded_cluster: starts PostgreSQL and nodes 1..4, waits for a
# leader with three authenticated peers and the whole placement recorded;
# sets `leader`.
start_sharded_cluster() {
  local n
  start_pg_metastore
  declare -gA CPORT
  for n in 1 2 3 4; do CPORT[$n]=$(free_port); done
  for n in 1 2 3 4; do configure_sharded_node "$n" "holder-$n"; done
  for n in 1 2 3 4; do launch "$n"; done
  trap 'thaw_all; "$CAIRN_SOURCE_DIR/tools/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true; cleanup' EXIT

  leader=""
  for _ in $(seq 1 400); do
    for n in 1 2 3 4; do [ "$(role_of "$n")" = leader ] && leader=$n; done
    [ -n "$leader" ] && grep -q "replication: 3 authenticated peer" "$WORK/n$leader.log" && break
    sleep 0.05
  done
  [ -n "$leader" ] || fail "no leader"
  for _ in $(seq 1 200); do
    [ "$(psql_q "select count(*) from shard_replicas")" = $((SHARDS * 3)) ] && break
    sleep 0.1
  done
  [ "$(psql_q "select count(*) from shard_replicas")" = $((SHARDS * 3)) ] || fail "placement incomplete"
  echo "leader: $NODE_PREFIX$leader; placement: $(psql_q "select holder, count(*) from shard_replicas group by holder order by holder" | tr '\n' ' ')"
}

# gen_events FILE FIRST COUNT: events with distinct timestamps (an hour ago,
# 0.5 s apart), a sequence number and a kind; expected answers are computed
# from the file.
gen_events() {
  python3 - "$@" <<'PY'
import sys, time, datetime
path, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = int(time.time()) - 3600
with open(path, "w") as f:
    for i in range(first, first + n):
        ts = datetime.datetime.fromtimestamp(base + i * 0.5, datetime.timezone.utc)
        f.write('{"@t":"%s","@mt":"Item {Seq} of kind {Kind}","@l":"%s","Seq":%d,"Kind":"k%d"}\n'
                % (ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "Warning" if i % 5 == 0 else "Information",
                   i, i % 7))
PY
}

# ingest URL FILE: in requests of 1000 events, each acknowledged.
ingest() {
  local code b
  rm -f "$WORK"/batch.*
  split -l 1000 "$2" "$WORK/batch."
  for b in "$WORK"/batch.*; do
    for _ in $(seq 1 50); do # a new leader may answer 503 for its first moments
      code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "$1/ingest/clef" --data-binary "@$b")
      [ "$code" = 503 ] || break
      sleep 0.1
    done
    [ "$code" = 201 ] || fail "ingest answered $code"
  done
}

# ingest_replicated: EVENTS events into $WORK/events, on the leader, until
# every follower has them.
ingest_replicated() {
  local lag
  gen_events "$WORK/events" 0 "$EVENTS"
  ingest "${URL[$leader]}" "$WORK/events"
  for _ in $(seq 1 300); do
    lag=$(curl -s -m 5 "${URL[$leader]}/metrics" | awk '$1 ~ /^cairn_replication_lag_batches/ {s += $2} END {print s + 0}')
    [ "$lag" = 0 ] && break
    sleep 0.1
  done
  [ "$lag" = 0 ] || fail "followers still $lag batches behind"
}

# fail_over: SIGKILLs the leader, waits for a new one accepting ingest,
# finds the shards it lacks, ingests LATER events there; sets LIVE, new,
# MISSING and $WORK/all (every event sent).
fail_over() {
  local n s h
  echo "SIGKILL of the leader d$leader"
  kill -KILL "${PID[$leader]}"
  wait "${PID[$leader]}" 2>/dev/null || true
  LIVE=()
  for n in 1 2 3 4; do [ "$n" != "$leader" ] && LIVE+=("$n"); done
  new=""
  for _ in $(seq 1 300); do
    for n in "${LIVE[@]}"; do [ "$(role_of "$n")" = leader ] && new=$n; done
    [ -n "$new" ] && grep -q "committer: accepting ingest" "$WORK/n$new.log" && break
    sleep 0.05
  done
  [ -n "$new" ] || fail "no new leader"
  MISSING=()
  for s in $(seq 0 $((SHARDS - 1))); do
    h=$(psql_q "select holder from shard_replicas where shard = $s" | tr '\n' ' ')
    [[ " $h " == *" holder-$new "* ]] || MISSING+=("$s")
  done
  [ "${#MISSING[@]}" -gt 0 ] || fail "the new leader d$new holds every shard: nothing to test"
  echo "new leader d$new lacks shards ${MISSING[*]} below its activation position"
  gen_events "$WORK/later" "$EVENTS" "$LATER"
  ingest "${URL[$new]}" "$WORK/later"
  cat "$WORK/events" "$WORK/later" >"$WORK/all"
}
