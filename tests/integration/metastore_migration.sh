#!/usr/bin/env bash
# `cairn metastore to-postgresql` moves a single node's metadata (here: an
# API key) into PostgreSQL with progress; the node then runs on PostgreSQL
# and still accepts that key.
source "$(dirname "$0")/lib.bash"
start_pg_metastore
S="$WORK/node"
mkdir -p "$S"
token=$("$CAIRN_BIN" apikey create --storage "$S" --title migrated --permissions Ingest,Read 2>/dev/null)
[ -n "$token" ] || fail "no token"
"$CAIRN_BIN" metastore to-postgresql --storage "$S" --connection-string="$CAIRN_TEST_PG" 2>"$WORK/progress"
grep -q "api_keys" "$WORK/progress" || fail "no progress shown: $(cat "$WORK/progress")"
grep -q "this node now uses PostgreSQL" "$WORK/progress" || fail "no final message"
grep -q "$CAIRN_TEST_PG" "$S/cairn.json" && fail "connection string stored in clear"
start_node "$S"
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Seq-ApiKey: $token" "$NODE_URL/api/events")
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] || fail "migrated key refused ($code): $(curl -s -H "X-Seq-ApiKey: $token" "$NODE_URL/api/events")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_URL/api/events")" = 401 ] || fail "keys not required after migration"
grep -q "postgresql\|host=" "$S.log" || true
echo "PASS"
