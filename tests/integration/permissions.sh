#!/usr/bin/env bash
# Route x permission table: once API keys exist, every protected route
# answers 401 without a key (or with an unknown one), 403 for a key holding
# only some other permission, and neither for a key holding the route's
# permission. Public routes (/health, /metrics, the UI) need no key.
# The table is checked against the routes registered in net/*_routes.cpp, so
# a new route without a row here fails the test.
source "$(dirname "$0")/lib.bash"
src=${CAIRN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# METHOD  PATTERN(as registered)       CONCRETE PATH                 PERMISSION
table=$(cat <<'EOF'
POST    /ingest/clef                 /ingest/clef                  Ingest
POST    /api/events/raw              /api/events/raw               Ingest
POST    /v1/logs                     /ingest/otlp/v1/logs          Ingest
POST    /v1/traces                   /ingest/otlp/v1/traces        Ingest
POST    /v1/logs                     /v1/logs                      Ingest
POST    /v1/traces                   /v1/traces                    Ingest
GET     /api/events                  /api/events                   Read
GET     /api/events/*                /api/events/event-1           Read
GET     /api/events/stream           /api/events/stream            Read
GET     /api/data                    /api/data?q=select%20count(*)%20from%20stream Read
GET     /api/cluster                 /api/cluster                  Read
DELETE  /api/cluster/nodes/*         /api/cluster/nodes/node-x     Setup
GET     /api/storage                 /api/storage                  Read
GET     /api/signals                 /api/signals                  Read
POST    /api/signals                 /api/signals                  Write
PUT     /api/signals/*               /api/signals/signal-x         Write
DELETE  /api/signals/*               /api/signals/signal-x         Write
GET     /api/alerts                  /api/alerts                   Read
POST    /api/alerts                  /api/alerts                   Write
DELETE  /api/alerts/*                /api/alerts/alert-x           Write
PUT     /api/alerts/*                /api/alerts/alert-x           Write
GET     /api/alerts/notifications    /api/alerts/notifications     Read
GET     /api/retentionpolicies       /api/retentionpolicies        Read
POST    /api/retentionpolicies       /api/retentionpolicies        Setup
DELETE  /api/retentionpolicies/*     /api/retentionpolicies/rp-x   Setup
GET     /api/apikeys                 /api/apikeys                  Setup
POST    /api/apikeys                 /api/apikeys                  Setup
DELETE  /api/apikeys/*               /api/apikeys/key-x            Setup
GET     /health                      /health                       Public
GET     /metrics                     /metrics                      Public
GET     /                            /                             Public
GET     /ui/*                        /ui/app.css                    Public
EOF
)

# Every registered (method, path literal) must have a row. Registrations
# look like `r.add(http::verb::get, "/path", ...` or, for prefixed ingest
# routes, `std::string{prefix} + "/v1/logs"`.
registered=$(grep -ho 'r\.add(http::verb::[a-z_]*, [^,]*' "$src"/net/*_routes.cpp |
  sed -E 's/r\.add\(http::verb::([a-z_]*), .*"([^"]*)"$/\1 \2/' | sort -u)
[ -n "$registered" ] || fail "found no route registrations in net/*_routes.cpp"
while read -r verb path; do
  method=$(echo "${verb%_}" | tr a-z A-Z)
  echo "$table" | awk -v m="$method" -v p="$path" '$1 == m && $2 == p { found = 1 } END { exit !found }' ||
    fail "route $method $path (net/*_routes.cpp) has no row in the permission table"
done <<<"$registered"
echo "$(echo "$registered" | wc -l) registered routes all covered"

storage="$WORK/node"
declare -A KEY
for p in Ingest Read Write Setup; do
  KEY[$p]=$("$CAIRN_BIN" apikey create --storage "$storage" --title "only-$p" --permissions "$p" 2>/dev/null | tail -1)
  [ -n "${KEY[$p]}" ] || fail "apikey create --permissions $p printed no token"
done
start_node "$storage"
wait_healthy "$NODE_URL"

body_for() {
  case "$1" in
    /ingest/clef | /api/events/raw) echo '{"@t":"2024-01-01T00:00:00Z","@mt":"permission probe"}' ;;
    */v1/logs | */v1/traces) echo '{}' ;;
    /api/signals* | /api/alerts*) echo '{"Title":"probe","Filters":[]}' ;;
    /api/retentionpolicies) echo '{"RetentionTime":"1.00:00:00"}' ;;
    /api/apikeys) echo '{"Title":"probe","AssignedPermissions":["Read"]}' ;;
    *) echo '' ;;
  esac
}

# code METHOD PATH [TOKEN]: the status; -m bounds the endless SSE stream
# (its head carries the status before the timeout).
code() {
  local method=$1 path=$2 token=${3:-} args=()
  [ -n "$token" ] && args+=(-H "X-Seq-ApiKey: $token")
  if [ "$method" != GET ]; then
    local content_type=application/json
    [ "$path" = /ingest/clef ] && content_type=application/vnd.serilog.clef
    args+=(-H "Content-Type: $content_type" --data-binary "$(body_for "$path")")
  fi
  curl -s -o /dev/null -m 3 -w '%{http_code}' -X "$method" "${args[@]}" "$NODE_URL$path" || true
}

checked=0
bad=()
while read -r method _ path needed; do
  if [ "$needed" = Public ]; then
    c=$(code "$method" "$path")
    [ "$c" = 200 ] || bad+=("$method $path without a key: $c (public: want 200)")
    checked=$((checked + 1))
    continue
  fi
  c=$(code "$method" "$path")
  [ "$c" = 401 ] || bad+=("$method $path without a key: $c (want 401)")
  c=$(code "$method" "$path" "not-a-real-key-0123456789")
  [ "$c" = 401 ] || bad+=("$method $path with an unknown key: $c (want 401)")
  for p in Ingest Read Write Setup; do
    c=$(code "$method" "$path" "${KEY[$p]}")
    if [ "$p" = "$needed" ]; then
      case "$c" in
        401 | 403 | 000) bad+=("$method $path with a $p key: $c (want it served)") ;;
      esac
    else
      [ "$c" = 403 ] || bad+=("$method $path with a $p-only key (needs $needed): $c (want 403)")
    fi
  done
  checked=$((checked + 1))
done <<<"$table"

# The key may also come as ?apiKey= (Seq clients use it for EventSource).
c=$(curl -s -o /dev/null -w '%{http_code}' "$NODE_URL/api/events?apiKey=${KEY[Read]}" || true)
[ "$c" = 200 ] || bad+=("GET /api/events?apiKey=<Read key>: $c (want 200)")
c=$(curl -s -o /dev/null -w '%{http_code}' "$NODE_URL/api/events?apiKey=${KEY[Ingest]}" || true)
[ "$c" = 403 ] || bad+=("GET /api/events?apiKey=<Ingest key>: $c (want 403)")

if [ ${#bad[@]} -gt 0 ]; then
  printf '  %s\n' "${bad[@]}" >&2
  fail "${#bad[@]} route/permission checks failed"
fi
echo "PASS: $checked routes x (none, unknown, Ingest, Read, Write, Setup) enforced"
