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
