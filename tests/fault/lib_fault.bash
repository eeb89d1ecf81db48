# Shared parts of the fault scenarios (tests/fault/*.sh): a three-node
# replicated cluster on a throwaway PostgreSQL with ingest.ack=quorum, a
# bounded ingest load that records every acknowledged batch
# (fault_load.mjs), and the closing report: acked events lost (asserted 0),
# seconds without any 201, seconds to recover (reported only).
#
# Every scenario takes --long: the same fault, injected more often and held
# longer (minutes in all). Without it the scenario fits the CI budget
# (about 90 s each).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.bash"
FAULT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOADER="$FAULT_DIR/fault_load.mjs"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs)"

LONG=0
for arg in "$@"; do [ "$arg" = --long ] && LONG=1; done
TICK=${TICK:-200}
LEASE=${LEASE:-2000}
BATCH=${BATCH:-20}          # events per request
CONNECTIONS=${CONNECTIONS:-4}
RATE=${RATE:-40}            # batches per second, all connections together
SCENARIO=$(basename "$0" .sh)

now_ms() { date +%s%3N; }

# Undo steps of a scenario (umount, netns delete), run at exit after every
# process started here is killed, before the work directory is removed.
FAULT_UNDO=()
fault_exit() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  local i
  for ((i = ${#FAULT_UNDO[@]} - 1; i >= 0; i--)); do eval "${FAULT_UNDO[$i]}" >/dev/null 2>&1 || true; done
  [ -n "${PG_DIR:-}" ] && "$CAIRN_SOURCE_DIR/tools/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
  cleanup
}

# ---- PostgreSQL outage: stop and start the throwaway server in place --------
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_LISTEN=127.0.0.1
pg_ctl_as_owner() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@"; }
pg_stop() { pg_ctl_as_owner -m fast -w -t 20 stop >/dev/null; }
# pg_start: same port, socket and settings as tools/pg-test-server.sh, on
# PG_LISTEN (a comma-separated address list).
# Retried (a port briefly held by another socket); the server's own reason
# is printed for each failed start.
pg_start() {
  local attempt
  for attempt in 1 2 3; do
    pg_ctl_as_owner -l "$PG_DIR/server.log" -w -t 30 \
      -o "-p $CAIRN_PG_PORT -k $PG_DIR -c listen_addresses=$PG_LISTEN -c fsync=off -c max_connections=50" \
      start >/dev/null && return 0
    echo "pg_start attempt $attempt failed; server log:" >&2
    tail -5 "$PG_DIR/server.log" >&2
    sleep 2
  done
  return 1
}

# start_fault_cluster: PostgreSQL plus nodes 1..3 (quorum acks), all started;
# sets LEADER to the node that holds the lease with both peers connected.
start_fault_cluster() {
  start_pg_metastore
  trap fault_exit EXIT
  setup_replicated_cluster 0 quorum
  for n in 1 2 3; do launch "$n"; done
  LEADER=$(wait_cluster_leader 0)
}

# write_urls: the node URLs the load generator spreads over (LOAD_URLS or
# all three), rewritten atomically when a node restarts on a new port.
write_urls() {
  [ -n "${LOAD_DIR:-}" ] || return 0
  echo "${LOAD_URLS:-$(all_urls)}" >"$LOAD_DIR/urls.tmp"
  mv "$LOAD_DIR/urls.tmp" "$LOAD_DIR/urls"
}

all_urls() { local u="" n; for n in 1 2 3; do u="$u${u:+,}${URL[$n]}"; done; echo "$u"; }

# start_load: the load generator against all three nodes; returns once it has
# 20 acknowledged batches (bounded: 30 s).
start_load() {
  LOAD_DIR="$WORK/load"
  mkdir -p "$LOAD_DIR"
  : >"$LOAD_DIR/acked"
: >"$LOAD_DIR/timeline"
  write_urls
  node "$LOADER" load "@$LOAD_DIR/urls" "$LOAD_DIR" "$CONNECTIONS" "$BATCH" "$RATE" \
    >"$LOAD_DIR/out" 2>&1 &
  LOAD_PID=$!
  PIDS+=("$LOAD_PID")
  for _ in $(seq 1 600); do
    [ "$(wc -l <"$LOAD_DIR/acked")" -ge 20 ] && return 0
    sleep 0.05
  done
  cat "$LOAD_DIR/out" >&2
  fail "the load generator got no 20 acknowledgements in 30 s"
}

# stop_load: asks the generator to stop and waits for its summary (15 s max:
# a request in flight times out after 10 s).
stop_load() {
  touch "$LOAD_DIR/stop"
  for _ in $(seq 1 300); do kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$LOAD_PID" 2>/dev/null && fail "load generator still running 15 s after stop"
  wait "$LOAD_PID" || true
}

# wait_new_leader EXCEPT: echoes the first node other than EXCEPT that reports
# role leader (bounded: 20 s).
wait_new_leader() {
  local except=$1 n
  for _ in $(seq 1 400); do
    for n in 1 2 3; do
      [ "$n" != "$except" ] && [ "$(role_of "$n")" = leader ] && { echo "$n"; return; }
    done
    sleep 0.05
  done
  fail "no leader other than node $except within 20 s"
}

# wait_role N ROLE: waits (20 s max) until node N reports ROLE.
wait_role() {
  for _ in $(seq 1 400); do
    [ "$(role_of "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  fail "node $1 did not become $2 within 20 s (now: $(role_of "$1"))"
}

# relaunch N: restarts node N on its storage root (same ports from cairn.json).
relaunch() { launch "$1"; write_urls; }

# local_count N: events node N holds itself (its store's counter).
local_count() { metric "${URL[$1]}" cairn_store_next_id; }

# check_caught_up: after the load stopped, every node's store reaches the
# same highest event id (bounded: 30 s); prints the seconds it took.
check_caught_up() {
  local start ids
  start=$(now_ms)
  for _ in $(seq 1 300); do
    ids=$(for n in 1 2 3; do local_count "$n"; done | sort -u)
    [ "$(echo "$ids" | wc -l)" = 1 ] && [ -n "$ids" ] && {
      echo "all three nodes hold events up to id $ids ($(( ($(now_ms) - start) / 1000 )) s after the load stopped)"
      return 0
    }
    sleep 0.1
  done
  for n in 1 2 3; do echo "n$n store_next_id=$(local_count "$n")"; done
  fail "nodes did not converge on one highest event id within 30 s of the load stopping"
}

# finish FAULT_MS HEAL_MS [CHECK_URLS]: stops the load, prints the scenario's
# figures and fails if any acknowledged event is missing.
finish() {
  local fault=$1 heal=$2 urls=${3:-$(all_urls)}
  stop_load
  local timing verdict=0 check
  timing=$(node "$LOADER" report "$LOAD_DIR/timeline" "$fault" "$heal") || true
  check=$(node "$LOADER" check "$urls" "$LOAD_DIR/acked" "$BATCH") || verdict=$?
  echo "$check"
  local acked lost
  acked=$(echo "$check" | grep -o '^acked [0-9]*' | grep -o '[0-9]*' || echo "?")
  lost=$(echo "$check" | grep -o 'lost [0-9]*' | grep -o '[0-9]*' || echo "?")
  echo "RESULT $SCENARIO$([ $LONG = 1 ] && echo ' (long)'): acked_events=$acked lost=$lost $timing" \
    "load=$(cat "$LOAD_DIR/summary.json" 2>/dev/null)"
  [ "$verdict" = 0 ] || fail "$SCENARIO: acknowledged events lost, half-stored or duplicated under ingest.ack=quorum"
  # A fault may cost availability (503, refused connections), never the
  # client's credentials: a valid key answered 401/403 is a bug.
  if grep -qE '"40[13]":' "$LOAD_DIR/summary.json" 2>/dev/null; then
    grep -h '^first 40[13]' "$LOAD_DIR/out" >&2 || true
    fail "$SCENARIO: requests with a valid API key (or none on loopback) were refused with 401/403"
  fi
}
