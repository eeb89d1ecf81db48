#!/usr/bin/env bash
# Three nodes behind HAProxy (deploy/local-cluster.sh with
# deploy/haproxy/haproxy.cfg.template): clients post events and read
# /api/events through HAProxy without pause while the leader is restarted
# gracefully (SIGTERM, then started again on the same storage), twice. Every
# request must succeed: a node that is stopping or has just lost its leader
# must be hidden by HAProxy's health checks and retries. Also checks that
# deploy/cairn.example.json, once its comment lines are removed, is a config
# that `cairn` accepts and that it names every key `cairn config list` knows.
source "$(dirname "$0")/lib.bash"
SRC=${CAIRN_SOURCE_DIR:?}
ROUNDS=${ROUNDS:-2}
CLIENTS_POST=${CLIENTS_POST:-2}
CLIENTS_READ=${CLIENTS_READ:-2}

# haproxy is a test dependency (tools/install-deps.sh installs it): missing
# means the environment is broken, which must not pass as a skip.
command -v haproxy >/dev/null ||
  fail "haproxy is not installed; run: bash tools/install-deps.sh (apt package haproxy)"

# ---- the example config -------------------------------------------------------
example="$SRC/deploy/cairn.example.json"
[ -f "$example" ] || fail "missing $example"
mkdir -p "$WORK/example"
grep -v '^[[:space:]]*//' "$example" >"$WORK/example/cairn.json"
listed=$("$CAIRN_BIN" config list --storage "$WORK/example") ||
  fail "cairn does not accept deploy/cairn.example.json (comments removed)"
all_keys=$("$CAIRN_BIN" config list --storage "$WORK/empty-config" | awk '{print $1}')
for k in $all_keys; do
  section=${k%%.*} name=${k#*.}
  grep -q "^[[:space:]]*//.*\b$k\b" "$example" || fail "deploy/cairn.example.json does not explain $k"
  # The key is present (as "name": inside its section) in the JSON itself.
  awk -v s="\"$section\"" -v n="\"$name\"" '
    $1 == s":" { in_s = 1; next } in_s && /^  }/ { in_s = 0 }
    in_s && $1 == n":" { found = 1 } END { exit !found }' "$WORK/example/cairn.json" ||
    fail "deploy/cairn.example.json does not set $k"
done
echo "example config: accepted, all $(echo "$all_keys" | wc -w) keys explained and set"
[ "$(echo "$listed" | wc -l)" = "$(echo "$all_keys" | wc -l)" ] || fail "config list lengths differ"

# ---- the cluster ------------------------------------------------------------------
CLUSTER="$WORK/cluster"
CLIENT_PIDS=()
stop_clients() {
  : >"$WORK/stop-clients"
  for pid in "${CLIENT_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CLIENT_PIDS=()
}
teardown() {
  stop_clients
  CAIRN_BIN=$CAIRN_BIN "$SRC/deploy/local-cluster.sh" stop "$CLUSTER" >/dev/null 2>&1 || true
  cleanup
}
trap teardown EXIT

export CAIRN_BIN
"$SRC/deploy/local-cluster.sh" start "$CLUSTER" || fail "deploy/local-cluster.sh start failed"
source "$CLUSTER/cluster.env"

node_urls() { for i in $(seq 1 "$NODES"); do v=NODE_URL_n$i; echo "n$i ${!v}"; done; }
leader_name() {
  node_urls | while read -r n u; do
    if [ "$(role_of_url "$u")" = leader ]; then echo "$n"; fi
  done
}
role_of_url() { curl -s -m 2 "$1/health" | grep -o '"role":"[a-z]*"' | cut -d'"' -f4 || true; }
# Waits (max 30 s) until exactly one leader, every node healthy and every
# server UP in HAProxy's view.
wait_settled() {
  for _ in $(seq 1 300); do
    local healthy=0 up
    while read -r n u; do
      if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$u/health")" = 200 ]; then
        healthy=$((healthy + 1))
      fi
    done < <(node_urls)
    up=$(curl -s -m 2 "$STATS_URL/;csv" | awk -F, '$1 == "cairn_nodes" && $2 ~ /^n[0-9]+$/ && $18 == "UP"' | wc -l)
    if [ "$healthy" = "$NODES" ] && [ "$up" = "$NODES" ] && [ "$(leader_name | wc -l)" = 1 ]; then
      return 0
    fi
    sleep 0.1
  done
  fail "cluster did not settle in 30 s: $(node_urls | while read -r n u; do echo -n "$n=$(role_of_url "$u") "; done)"
}

# client KIND ID: requests through HAProxy until told to stop; one line per
# request: "<ns start> <ns end> <kind> <status>".
client() {
  local kind=$1 id=$2 i=0 code t0
  while [ ! -e "$WORK/stop-clients" ]; do
    i=$((i + 1))
    t0=$(date +%s%N)
    if [ "$kind" = post ]; then
      code=$(curl -s -m 15 -o /dev/null -w '%{http_code}' -X POST "$HAPROXY_URL/ingest/clef" \
        --data-binary "{\"@t\":\"2024-01-01T00:00:00Z\",\"@m\":\"client $id event $i\",\"Client\":\"$id\",\"Seq\":$i}" || true)
    else
      code=$(curl -s -m 15 -o /dev/null -w '%{http_code}' "$HAPROXY_URL/api/events?count=5" || true)
    fi
    echo "$t0 $(date +%s%N) $kind $code" >>"$WORK/client.$id"
  done
}

wait_settled
for c in $(seq 1 "$CLIENTS_POST"); do client post "p$c" & CLIENT_PIDS+=($!); done
for c in $(seq 1 "$CLIENTS_READ"); do client read "r$c" & CLIENT_PIDS+=($!); done
sleep 2

windows=()
for round in $(seq 1 "$ROUNDS"); do
  leader=$(leader_name)
  [ -n "$leader" ] || fail "no leader before round $round"
  t0=$(date +%s%N)
  out=$(CAIRN_BIN=$CAIRN_BIN "$SRC/deploy/local-cluster.sh" restart "$CLUSTER" "$leader") ||
    fail "restart of $leader failed: $out"
  wait_settled
  t1=$(date +%s%N)
  windows+=("$t0 $t1")
  echo "round $round: restarted leader $leader ($out); settled after $(((t1 - t0) / 1000000)) ms; leader now $(leader_name)"
  sleep 2
done
stop_clients

# ---- verdict ----------------------------------------------------------------------
cat "$WORK"/client.* >"$WORK/requests"
sent=$(wc -l <"$WORK/requests")
ok=$(awk '$4 ~ /^2/' "$WORK/requests" | wc -l)
failed=$((sent - ok))
during=0
for w in "${windows[@]}"; do
  read -r a b <<<"$w"
  during=$((during + $(awk -v a="$a" -v b="$b" '$2 >= a && $1 <= b' "$WORK/requests" | wc -l)))
done
posts_ok=$(awk '$3 == "post" && $4 ~ /^2/' "$WORK/requests" | wc -l)
echo "requests through haproxy: sent=$sent ok=$ok failed=$failed (during restarts: $during; posts ok: $posts_ok)"
if [ "$failed" != 0 ]; then
  echo "failed requests (status counts):"
  awk '$4 !~ /^2/ { print $3, $4 }' "$WORK/requests" | sort | uniq -c
  echo "--- haproxy log (non-2xx):"
  grep -v ' 20[01] ' "$CLUSTER/haproxy.log" | tail -20 || true
  echo "--- role changes and stops in the node logs:"
  grep -H 'node: \|received signal\|stopped\|lease released\|proxy:' "$CLUSTER"/n*.log | sed "s|$CLUSTER/||" | sort -t']' -k1,1 | tail -60 || true
  fail "$failed of $sent requests through haproxy failed"
fi
[ "$during" -ge $((ROUNDS * 4)) ] || fail "only $during requests overlapped the restarts; the test did not exercise them"
[ "$posts_ok" -gt 0 ] || fail "no event was posted"
echo "PASS"
