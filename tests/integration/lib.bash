# Helpers for integration scripts: start nodes on free loopback ports, wait
# with bounds, and clean up every process started, by PID.
set -euo pipefail

CAIRN_BIN=${CAIRN_BIN:?CAIRN_BIN must point at the cairn executable}
WORK=$(mktemp -d /tmp/cairn-it.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  [ -n "${CAIRN_KEEP_WORK:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_node STORAGE_DIR [extra args...]: starts a node on a free port; sets
# NODE_PID and NODE_URL.
start_node() {
  local storage=$1; shift
  local log="$storage.log"
  mkdir -p "$storage"
  # Empty the log here, not only in the child's redirection: on a restart the
  # loop below could otherwise read the previous run's port before the child
  # gets to truncate the file.
  : >"$log"
  "$CAIRN_BIN" run --storage "$storage" --listen http://127.0.0.1:0 "$@" >"$log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  local port=""
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | head -1 | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$log" >&2; fail "node exited at start"; }
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$log" >&2; fail "node did not report its port in 10 s"; }
  NODE_URL="http://127.0.0.1:$port"
}

# wait_healthy URL: waits (max 15 s) for /health to answer 200.
wait_healthy() {
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/health")" = 200 ] && return 0
    sleep 0.05
  done
  fail "$1/health never answered 200"
}

# stop_node PID: SIGTERM and wait (max 10 s); prints milliseconds taken.
stop_node() {
  local pid=$1 start end
  start=$(date +%s%N)
  kill -TERM "$pid"
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still running 10 s after SIGTERM"
  wait "$pid" 2>/dev/null || true
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

# ---- cluster helpers (PostgreSQL metastore shared by several nodes) --------

# start_pg_metastore: starts a throwaway PostgreSQL (stopped at exit).
start_pg_metastore() {
  local src=${CAIRN_SOURCE_DIR:?}
  eval "$("$src/tools/pg-test-server.sh" start)"
  PG_DIR=$CAIRN_PG_DIR
  trap '"$CAIRN_SOURCE_DIR/tools/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true; cleanup' EXIT
}

declare -A URL PID

# setup_node N: storage $WORK/nN configured for the PostgreSQL metastore,
# with TICK and LEASE (ms) and debug logs (lease windows).
setup_node() {
  local n=$1 s="$WORK/n$1"
  mkdir -p "$s"
  "$CAIRN_BIN" config set --storage "$s" -k storage.secretKey -v "$("$CAIRN_BIN" show-key --generate)"
  "$CAIRN_BIN" config set --storage "$s" -k cluster.tickMs -v "${TICK:-200}"
  "$CAIRN_BIN" config set --storage "$s" -k cluster.leaseMs -v "${LEASE:-2000}"
  "$CAIRN_BIN" config set --storage "$s" -k node.name -v "n$n"
  "$CAIRN_BIN" config set --storage "$s" -k diagnostics.logLevel -v debug
  "$CAIRN_BIN" secret set --storage "$s" -k metastore.connectionString -v "$CAIRN_TEST_PG" 2>/dev/null
}

# launch N: starts node N; sets URL[N] and PID[N].
launch() {
  start_node "$WORK/n$1"
  URL[$1]=$NODE_URL
  PID[$1]=$NODE_PID
}

role_of() { curl -s -m 2 "${URL[$1]}/health" | grep -o '"role":"[a-z]*"' | cut -d'"' -f4; }

# check_lease_windows LOG...: the wall-clock windows in which nodes may act
# as leader ("lease window" debug lines) never overlap between nodes, and
# each new holder has a higher epoch. Prints the number of windows checked.
check_lease_windows() {
  cat "$@" | grep -o 'lease window: node=[^ ]* epoch=[0-9]* from_ms=[0-9]* to_ms=[0-9]*' |
    sed 's/[a-z_]*=//g; s/lease window: //' | sort -k3,3n |
    awk '{ if (NR > 1 && $1 != pn && $3 < pto) { print "overlap: " pn " until " pto " and " $1 " from " $3; bad=1 }
           if (NR > 1 && $1 != pn && $2 <= pe) { print "epoch did not grow: " pe " -> " $2; bad=1 }
           if ($1 != pn || $4 > pto) pto = $4; pn = $1; pe = $2; n++ }
         END { print n " lease windows checked"; exit bad }' || fail "lease windows overlap"
}

# free_port: a loopback port nothing listens on right now and not handed out
# before in this test. The record is a file because callers use $(free_port),
# a subshell, where a shell array would forget every port it handed out.
free_port() {
  local taken="$WORK/.ports-handed-out"
  for _ in $(seq 1 100); do
    # Below the kernel's ephemeral range (32768+), where port-0 binds of
    # concurrently running tests land.
    local p=$((20000 + RANDOM % 12000))
    grep -qx "$p" "$taken" 2>/dev/null && continue
    (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p" >>"$taken"; echo "$p"; return; }
  done
  fail "no free port"
}

# setup_replicated_cluster BASE ACK: nodes BASE+1..BASE+3 on the PostgreSQL
# metastore, each with a cluster port and the other two as peers, with
# ingest.ack=ACK. Start them with `launch`.
setup_replicated_cluster() {
  local base=$1 ack=$2 ports=() n m
  for n in 1 2 3; do ports[$n]=$(free_port); done
  for n in 1 2 3; do
    local id=$((base + n)) peers=""
    for m in 1 2 3; do [ "$m" != "$n" ] && peers="$peers${peers:+,}127.0.0.1:${ports[$m]}"; done
    setup_node "$id"
    "$CAIRN_BIN" node setup --storage "$WORK/n$id" --cluster-listen "127.0.0.1:${ports[$n]}" \
      --peer-cluster "$peers" --node-name "c$base-n$n" -k "replication-test-key-0123456789" >/dev/null 2>&1
    "$CAIRN_BIN" config set --storage "$WORK/n$id" -k ingest.ack -v "$ack"
  done
}

# wait_cluster_leader BASE: echoes the leader among BASE+1..3 once it has
# authenticated both peers (bounded: 20 s).
wait_cluster_leader() {
  local base=$1 leader="" n
  for _ in $(seq 1 400); do
    for n in 1 2 3; do [ "$(role_of $((base + n)))" = leader ] && leader=$((base + n)); done
    [ -n "$leader" ] && grep -q "replication: 2 authenticated peer" "$WORK/n$leader.log" && { echo "$leader"; return; }
    sleep 0.05
  done
  fail "no leader with both peers among nodes $base+1..3"
}

# metric URL NAME: a metric's value from /metrics.
metric() { curl -s -m 5 "$1/metrics" | awk -v n="$2" '$1 == n {print $2}'; }
