#!/usr/bin/env bash
# A three-node Cairn cluster behind HAProxy, all on 127.0.0.1, for demos and
# tests. Every port is chosen free at run time.
#
#   deploy/local-cluster.sh run   [DIR]   start, print the URLs, stay in the
#                                         foreground; Ctrl-C stops everything
#   deploy/local-cluster.sh start [DIR]   start in the background, print the URLs
#   deploy/local-cluster.sh stop DIR      stop everything by PID, remove DIR
#   deploy/local-cluster.sh status DIR    URLs and each node's role
#   deploy/local-cluster.sh restart DIR nN    graceful restart of one node
#                                         (SIGTERM, then the same storage/ports)
#   deploy/local-cluster.sh stop-node DIR nN / start-node DIR nN
#
# DIR (default: a new /tmp/cairn-cluster.XXXXXX) holds one storage root per
# node (DIR/n1 ...), their logs (DIR/n1.log), haproxy.cfg and haproxy.log,
# the PID files, and cluster.env (shell assignments: HAPROXY_URL, STATS_URL,
# NODE_URL_n1..., PG_DIR). The PostgreSQL metastore is a throwaway server
# from tools/pg-test-server.sh (its own directory, removed by `stop`).
#
# Environment: CAIRN_BIN (default build/tools/cairn of this checkout, then
# `cairn` on PATH), HAPROXY_BIN (default haproxy), CAIRN_NODES (3),
# CAIRN_TICK_MS (200) and CAIRN_LEASE_MS (2000): short lease timings so a
# hand-over is quick to watch.
#
# Needs: PostgreSQL 15 server binaries and haproxy (tools/install-deps.sh
# installs both); run as root or as a user that may run initdb.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
marker=.cairn-local-cluster

die() { echo "local-cluster: $*" >&2; exit 1; }

find_cairn() {
  if [[ -n "${CAIRN_BIN:-}" ]]; then
    echo "$CAIRN_BIN"
  elif [[ -x "$repo/build/tools/cairn" ]]; then
    echo "$repo/build/tools/cairn"
  elif command -v cairn >/dev/null; then
    command -v cairn
  else
    die "no cairn binary: build it (bash tools/setup.sh) or set CAIRN_BIN"
  fi
}

find_haproxy() {
  local h=${HAPROXY_BIN:-haproxy}
  command -v "$h" >/dev/null || die "haproxy not found (install it: bash tools/install-deps.sh, or set HAPROXY_BIN)"
  command -v "$h"
}

# ---- ports -----------------------------------------------------------------

taken_ports=()

# free_port VAR: sets VAR to a TCP port on 127.0.0.1 that nothing listens on
# now and that this script has not handed out yet. It assigns instead of
# printing because `$(free_port)` would run in a subshell, whose additions to
# taken_ports are lost (two nodes once drew the same port that way). Ports
# stay below the kernel's ephemeral range (32768+), where outgoing peer
# connections and port-0 binds land. (A port can still be taken between this
# probe and the bind; the start then fails with the process's log.)
free_port() {
  local -n chosen=$1
  local port p dup
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    dup=0
    for p in "${taken_ports[@]:-}"; do [[ "$p" == "$port" ]] && dup=1; done
    ((dup)) && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      taken_ports+=("$port")
      chosen=$port
      return 0
    fi
  done
  die "no free port found"
}

# ---- processes ---------------------------------------------------------------

# is_ours PID WORD: PID is alive and its command line mentions WORD (our
# storage dir or config file), so a recycled PID is never signalled.
is_ours() {
  local pid=$1 word=$2
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$word"
}

# wait_gone PID SECONDS: waits until PID has exited; 1 if it is still there.
wait_gone() {
  local pid=$1 tenths=$(($2 * 10))
  for _ in $(seq 1 "$tenths"); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  ! kill -0 "$pid" 2>/dev/null
}

# http_code URL: the status code of GET URL, 000 when nothing answers.
http_code() { curl -s -m 2 -o /dev/null -w '%{http_code}' "$1" || true; }

load_env() {
  local dir=$1
  [[ -f "$dir/$marker" && -f "$dir/cluster.env" ]] || die "$dir is not a local-cluster directory"
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
}

check_node_name() {
  [[ "$1" =~ ^n[0-9]+$ && -d "$2/$1" ]] || die "unknown node '$1' (expected n1..n$NODES)"
}

# start_node DIR nN: starts the node on its configured storage and ports and
# waits (max 20 s) until its HTTP port answers.
start_node() {
  local dir=$1 n=$2 pid url_var url
  url_var=NODE_URL_$n
  url=${!url_var}
  if [[ -f "$dir/$n.pid" ]] && is_ours "$(cat "$dir/$n.pid")" "$dir/$n "; then
    die "$n is already running (PID $(cat "$dir/$n.pid"))"
  fi
  "$CAIRN" run --storage "$dir/$n" </dev/null >>"$dir/$n.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/$n.pid"
  for _ in $(seq 1 200); do
    [[ "$(http_code "$url/health")" != 000 ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$dir/$n.log" >&2
      die "$n exited at start (log: $dir/$n.log)"
    fi
    sleep 0.1
  done
  die "$n did not answer on $url within 20 s (log: $dir/$n.log)"
}

# stop_node DIR nN: SIGTERM (the node steps down and releases the lease),
# then SIGKILL if it is still there after 15 s.
stop_node() {
  local dir=$1 n=$2 pid
  [[ -f "$dir/$n.pid" ]] || return 0
  pid=$(cat "$dir/$n.pid")
  if is_ours "$pid" "$dir/$n "; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 15; then
      echo "local-cluster: $n (PID $pid) still running 15 s after SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 5 || true
    fi
  fi
  rm -f "$dir/$n.pid"
}

role_of() { curl -s -m 2 "$1/health" | grep -o '"role":"[a-z]*"' | cut -d'"' -f4 || true; }

print_status() {
  local dir=$1 n url_var role
  echo "work dir: $dir"
  echo "haproxy:  $HAPROXY_URL   (statistics: $STATS_URL/)"
  for i in $(seq 1 "$NODES"); do
    n=n$i
    url_var=NODE_URL_$n
    role=$(role_of "${!url_var}")
    printf '%-9s %s   %s\n' "$n:" "${!url_var}" "${role:-(not answering)}"
  done
}

# ---- commands ----------------------------------------------------------------

cmd_start() {
  local dir=${1:-}
  CAIRN=$(find_cairn)
  HAPROXY=$(find_haproxy)
  [[ -x "$CAIRN" ]] || die "$CAIRN is not executable"
  NODES=${CAIRN_NODES:-3}
  local tick=${CAIRN_TICK_MS:-200} lease=${CAIRN_LEASE_MS:-2000}

  # Step 1: the work directory (never reuse one with content in it).
  if [[ -z "$dir" ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cluster.XXXXXX")
  else
    [[ ! -e "$dir" || -z "$(ls -A "$dir")" ]] || die "$dir exists and is not empty"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
  fi
  : >"$dir/$marker"
  # From here on any failure (set -e, die) tears down whatever was started.
  STARTING_DIR=$dir
  trap start_failed EXIT

  # Step 2: PostgreSQL metastore.
  local pg_env
  pg_env=$("$repo/tools/pg-test-server.sh" start) || die "PostgreSQL did not start"
  eval "$pg_env"
  {
    printf 'PG_DIR=%q\n' "$CAIRN_PG_DIR"
    printf 'NODES=%q\n' "$NODES"
    printf 'CAIRN=%q\n' "$CAIRN"
    printf 'HAPROXY=%q\n' "$HAPROXY"
  } >"$dir/cluster.env"

  # Step 3: ports (API and cluster port per node, haproxy, statistics).
  local -a api cport
  for i in $(seq 1 "$NODES"); do
    free_port "api[i]"
    free_port "cport[i]"
  done
  local hport sport
  free_port hport
  free_port sport

  # Step 4: configure each node: cluster port, peers, shared key, name,
  # lease timings, and the metastore connection string as an encrypted secret.
  local key
  key=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  for i in $(seq 1 "$NODES"); do
    local n=n$i peers=""
    for j in $(seq 1 "$NODES"); do
      ((j == i)) || peers="${peers:+$peers,}127.0.0.1:${cport[j]}"
    done
    "$CAIRN" node setup --storage "$dir/$n" --listen "http://127.0.0.1:${api[i]}" \
      --cluster-listen "127.0.0.1:${cport[i]}" --internal-api "http://127.0.0.1:${api[i]}" \
      --peer-cluster "$peers" -k "$key" --node-name "$n" >>"$dir/setup.log" 2>&1
    "$CAIRN" config set --storage "$dir/$n" -k cluster.tickMs -v "$tick" >>"$dir/setup.log" 2>&1
    "$CAIRN" config set --storage "$dir/$n" -k cluster.leaseMs -v "$lease" >>"$dir/setup.log" 2>&1
    "$CAIRN" secret set --storage "$dir/$n" -k metastore.connectionString -v "$CAIRN_TEST_PG" \
      >>"$dir/setup.log" 2>&1
    printf 'NODE_URL_%s=%q\n' "$n" "http://127.0.0.1:${api[i]}" >>"$dir/cluster.env"
  done
  unset key CAIRN_TEST_PG
  printf 'HAPROXY_URL=%q\nSTATS_URL=%q\n' "http://127.0.0.1:$hport" "http://127.0.0.1:$sport" \
    >>"$dir/cluster.env"
  load_env "$dir"

  # Step 5: the nodes.
  for i in $(seq 1 "$NODES"); do start_node "$dir" "n$i"; done

  # Step 6: haproxy, from the template with this run's addresses.
  local tpl servers=""
  tpl=$(<"$here/haproxy/haproxy.cfg.template")
  for i in $(seq 1 "$NODES"); do
    servers+="    server n$i 127.0.0.1:${api[i]} check"$'\n'
  done
  tpl=${tpl//@BIND@/127.0.0.1:$hport}
  tpl=${tpl//@STATS_BIND@/127.0.0.1:$sport}
  tpl=${tpl//@SERVERS@/${servers%$'\n'}}
  printf '%s\n' "$tpl" >"$dir/haproxy.cfg"
  "$HAPROXY" -c -q -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 ||
    die "haproxy rejected $dir/haproxy.cfg: $(cat "$dir/haproxy.log")"
  # -db: stay in the foreground (of this background job) so $! is haproxy.
  "$HAPROXY" -db -f "$dir/haproxy.cfg" </dev/null >>"$dir/haproxy.log" 2>&1 &
  echo $! >"$dir/haproxy.pid"

  # Step 7: wait (max 30 s) until every node is healthy and haproxy serves.
  local ok=0
  for _ in $(seq 1 300); do
    ok=1
    for i in $(seq 1 "$NODES"); do
      local u=NODE_URL_n$i
      [[ "$(http_code "${!u}/health")" == 200 ]] || { ok=0; break; }
    done
    ((ok)) && [[ "$(http_code "$HAPROXY_URL/health")" == 200 ]] && break
    ok=0
    sleep 0.1
  done
  ((ok)) || die "the cluster did not become healthy within 30 s (logs in $dir)"
  trap - EXIT
  print_status "$dir"
  LAST_DIR=$dir
}

# EXIT trap while starting: show the last log lines, then stop and remove.
start_failed() {
  local f
  echo "local-cluster: start failed; cleaning up $STARTING_DIR" >&2
  for f in "$STARTING_DIR"/*.log; do
    [[ -f "$f" ]] && { echo "--- $f" >&2; tail -5 "$f" >&2; }
  done
  cmd_stop "$STARTING_DIR" >/dev/null 2>&1 || true
}

cmd_stop() {
  local dir=${1:?usage: local-cluster.sh stop DIR}
  [[ -d "$dir" ]] || return 0
  [[ -f "$dir/$marker" ]] || die "refusing to touch $dir: not a local-cluster directory"
  NODES=0
  PG_DIR=""
  # shellcheck disable=SC1091
  [[ -f "$dir/cluster.env" ]] && source "$dir/cluster.env"
  # haproxy first, so no client is sent to a node that is going away.
  if [[ -f "$dir/haproxy.pid" ]]; then
    local hp
    hp=$(cat "$dir/haproxy.pid")
    if is_ours "$hp" "$dir/haproxy.cfg"; then
      kill -TERM "$hp" 2>/dev/null || true
      wait_gone "$hp" 5 || kill -KILL "$hp" 2>/dev/null || true
    fi
  fi
  for i in $(seq 1 "$NODES"); do stop_node "$dir" "n$i"; done
  [[ -n "$PG_DIR" ]] && "$repo/tools/pg-test-server.sh" stop "$PG_DIR"
  rm -rf "$dir"
  echo "stopped and removed $dir"
}

cmd_run() {
  cmd_start "${1:-}"
  local dir=$LAST_DIR
  trap 'echo; cmd_stop "$dir"; exit 0' INT TERM
  echo "Ctrl-C stops the cluster and removes $dir"
  # Stay until interrupted (or until haproxy dies).
  while kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; do sleep 1; done
  echo "local-cluster: haproxy exited (see $dir/haproxy.log); stopping" >&2
  cmd_stop "$dir"
  exit 1
}

cmd_restart() {
  local dir=${1:?usage: local-cluster.sh restart DIR nN} n=${2:?usage: local-cluster.sh restart DIR nN}
  load_env "$dir"
  check_node_name "$n" "$dir"
  local t0
  t0=$(date +%s%N)
  stop_node "$dir" "$n"
  local t1
  t1=$(date +%s%N)
  start_node "$dir" "$n"
  echo "$n: stopped in $(((t1 - t0) / 1000000)) ms, answering again $((($(date +%s%N) - t1) / 1000000)) ms later"
}

case "${1:-}" in
  start) cmd_start "${2:-}" && echo "stop with: $0 stop $LAST_DIR" ;;
  run) cmd_run "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  status) load_env "${2:?usage: local-cluster.sh status DIR}" && print_status "$2" ;;
  restart) cmd_restart "${2:-}" "${3:-}" ;;
  stop-node)
    load_env "${2:?usage: local-cluster.sh stop-node DIR nN}"
    check_node_name "${3:-}" "$2"
    stop_node "$2" "$3"
    ;;
  start-node)
    load_env "${2:?usage: local-cluster.sh start-node DIR nN}"
    check_node_name "${3:-}" "$2"
    start_node "$2" "$3"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
