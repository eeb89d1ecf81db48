#!/usr/bin/env bash
# Throwaway PostgreSQL 15 server for tests.
#
#   eval "$(tools/pg-test-server.sh start)"   # sets CAIRN_PG_DIR, CAIRN_PG_PORT, CAIRN_TEST_PG
#   ... run tests with CAIRN_TEST_PG ...
#   tools/pg-test-server.sh stop "$CAIRN_PG_DIR"
#
# start: creates a data directory under ${TMPDIR:-/tmp}, runs initdb and
# pg_ctl (as the `postgres` user via runuser when run as root, since initdb
# refuses root; as the current user otherwise), listening on 127.0.0.1 at a
# free port chosen now, with the socket inside the data directory. It
# creates role `cairn` with a random password and database `cairn_test`,
# then prints shell assignments (printf %q quoted) for eval. Nothing is
# written outside the data directory.
# stop DIR: stops that server (pg_ctl fast, then SIGKILL by the postmaster
# PID if it lingers) and deletes DIR. Safe to call twice.
#
# PG_BIN overrides the directory of initdb/pg_ctl/psql
# (default /usr/lib/postgresql/15/bin, else `pg_config --bindir`).
set -euo pipefail

pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    echo "$PG_BIN"
  elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    echo /usr/lib/postgresql/15/bin
  elif command -v pg_config >/dev/null; then
    pg_config --bindir
  else
    echo "pg-test-server: no PostgreSQL binaries (install postgresql-15 or set PG_BIN)" >&2
    return 1
  fi
}

# Runs a command as the server's owner.
as_owner() {
  if [[ $EUID -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now. Below
# the kernel's ephemeral range (32768+): tests/fault/pg_outage.sh restarts
# the server on the same port after 60 s, and meanwhile the nodes' outgoing
# connections (to it, to each other) take ephemeral ports; one landing on
# the server's port made the restart fail ("could not start server").
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 12000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "pg-test-server: no free port found" >&2
  return 1
}

start() {
  local bin dir port password log
  bin=$(pg_bin)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cairn-pg.XXXXXX")
  if [[ $EUID -eq 0 ]]; then
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"
  log="$dir/server.log"
  # Step 1: cluster. Trust on the local socket (used only to create the role),
  # passwords on TCP (what the tests use).
  if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    return 1
  fi
  # Step 2: server. A port can be taken between the probe and the bind, so retry.
  local started=0
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" \
        start >/dev/null 2>&1; then
      started=1
      break
    fi
  done
  if [[ $started -ne 1 ]]; then
    echo "pg-test-server: server did not start:" >&2
    tail -20 "$log" >&2 || true
    stop "$dir"
    return 1
  fi
  # Step 3: role and database.
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  if ! as_owner "$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE cairn LOGIN PASSWORD '$password'" \
      -c "CREATE DATABASE cairn_test OWNER cairn" >"$dir/psql.log" 2>&1; then
    cat "$dir/psql.log" >&2
    stop "$dir"
    return 1
  fi
  local conn="host=127.0.0.1 port=$port dbname=cairn_test user=cairn password=$password"
  printf 'CAIRN_PG_DIR=%q\nCAIRN_PG_PORT=%q\nCAIRN_TEST_PG=%q\n' "$dir" "$port" "$conn"
}

stop() {
  local dir=${1:?usage: pg-test-server.sh stop DIR}
  [[ -d "$dir" ]] || return 0
  # Refuse anything that is not one of our directories.
  if [[ "$(basename "$dir")" != cairn-pg.* ]]; then
    echo "pg-test-server: refusing to remove $dir" >&2
    return 1
  fi
  local bin pid
  bin=$(pg_bin) || true
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    pid=$(head -1 "$dir/data/postmaster.pid")
    if [[ -n "$bin" ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
