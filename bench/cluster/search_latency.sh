#!/usr/bin/env bash
# bench/cluster/search_latency.sh: GET /api/events latency with and without
# the sharded fan-out (actors/distributed_search.hpp).
#
#   CAIRN_BIN=build/tools/cairn CAIRN_SOURCE_DIR=. bench/cluster/search_latency.sh
#
# The set-up of tests/integration/distributed_search.sh: four nodes on
# loopback with PostgreSQL, cluster.replication=3, cluster.shards=12,
# 26,000 events. First on the leader, which holds every event (local search,
# "BASE" lines), then after its SIGKILL on the new leader, which lacks 3
# shards below its activation position and asks their holders (600 more
# events ingested there). Each line: the median of 5 client wall times.
export CAIRN_SOURCE_DIR=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$CAIRN_SOURCE_DIR/tests/integration/lib.bash"
TICK=200
LEASE=2000
SHARDS=12
EVENTS=26000 # before the fail-over (every shard gets 2+ runs of 1024 ids)
LATER=600   # after it (stored on the new leader from its activation on)
start_pg_metastore
psql_q() { psql "$CAIRN_TEST_PG" -Atc "$1"; }

declare -A CPORT
for n in 1 2 3 4; do CPORT[$n]=$(free_port); done
peers_of() {
  local out="" m
  for m in 1 2 3 4; do [ "$m" != "$1" ] && out="$out${out:+,}127.0.0.1:${CPORT[$m]}"; done
  echo "$out"
}
for n in 1 2 3 4; do
  s="$WORK/n$n"
  setup_node "$n"
  "$CAIRN_BIN" node setup --storage "$s" --cluster-listen "127.0.0.1:${CPORT[$n]}" \
    --peer-cluster "$(peers_of "$n")" --node-name "d$n" --shard-id "holder-$n" \
    -k "search-test-key-0123456789abcdef" >/dev/null
  "$CAIRN_BIN" config set --storage "$s" -k cluster.replication -v 3
  "$CAIRN_BIN" config set --storage "$s" -k cluster.shards -v "$SHARDS"
  "$CAIRN_BIN" config set --storage "$s" -k storage.indexIntervalMs -v 200
  "$CAIRN_BIN" config set --storage "$s" -k query.shareTimeoutMs -v 2000
done
for n in 1 2 3 4; do launch "$n"; done
FROZEN=()
thaw_all() { for p in "${FROZEN[@]:-}"; do [ -n "$p" ] && kill -CONT "$p" 2>/dev/null || true; done; }
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
echo "leader: d$leader; placement: $(psql_q "select holder, count(*) from shard_replicas group by holder order by holder" | tr '\n' ' ')"

# Events with distinct timestamps (an hour ago, 0.5 s apart), a sequence
# number and a kind; the expected answers are computed from this file.
gen_events() { # FILE FIRST COUNT
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
ingest() { # URL FILE
  local code
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
gen_events "$WORK/events" 0 "$EVENTS"
ingest "${URL[$leader]}" "$WORK/events"
# Every follower up to date before the leader dies.
for _ in $(seq 1 300); do
  lag=$(curl -s -m 5 "${URL[$leader]}/metrics" | awk '$1 ~ /^cairn_replication_lag_batches/ {s += $2} END {print s + 0}')
  [ "$lag" = 0 ] && break
  sleep 0.1
done
[ "$lag" = 0 ] || fail "followers still $lag batches behind"

t() { # LABEL URL: median of 5 wall times in ms
  local ts=()
  for _ in 1 2 3 4 5; do ts+=($(curl -s -o /dev/null -w '%{time_total}' "$2")); done
  echo "$1: $(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p) s (median of 5; $(printf '%s ' "${ts[@]}"))"
}
L0=${URL[$leader]}
t "BASE leader(all shards) count=30" "$L0/api/events?count=30"
t "BASE leader filter k3 count=30" "$L0/api/events?filter=Kind%20%3D%20'k3'&count=30"
t "BASE leader filter Seq=1234" "$L0/api/events?filter=Seq%20%3D%201234&count=30"
t "BASE leader count=1000" "$L0/api/events?count=1000"
t "BASE leader count=100000" "$L0/api/events?count=100000"
id0=$(curl -s "$L0/api/events?count=1&filter=Seq%20%3D%201234" | grep -o '"Id":"[^"]*"' | cut -d'"' -f4)
t "BASE leader id" "$L0/api/events/$id0"
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



F=""; for n in "${LIVE[@]}"; do if [ "$n" != "$new" ]; then F=$n; fi; done
L=${URL[$new]}
t "leader count=30" "$L/api/events?count=30"
t "follower count=30" "${URL[$F]}/api/events?count=30"
t "leader filter k3 count=30" "$L/api/events?filter=Kind%20%3D%20'k3'&count=30"
t "leader filter Seq=1234" "$L/api/events?filter=Seq%20%3D%201234&count=30"
t "leader count=1000" "$L/api/events?count=1000"
t "leader count=100000" "$L/api/events?count=100000"
id=$(curl -s "$L/api/events?count=1&filter=Seq%20%3D%201234" | grep -o '"Id":"[^"]*"' | cut -d'"' -f4)
t "leader id $id" "$L/api/events/$id"
mid=$(curl -s "$L/api/events?count=30000" | python3 -c '
import json, sys
missing = {int(x) for x in sys.argv[1].split()}
for ev in json.load(sys.stdin):
    i = int(ev["Id"][6:], 16)
    if (i >> 10) % 12 in missing and i < (1 << 41):
        print(ev["Id"]); break' "${MISSING[*]}")
t "leader id in missing shard $mid" "$L/api/events/$mid"
t "leader afterId in missing shard count=30" "$L/api/events?afterId=$mid&count=30"
t "data count" "$L/api/data?q=select%20count(*)%20from%20stream"
echo "PASS"
