#!/usr/bin/env bash
# Alerts on a two-node PostgreSQL cluster: an alert fires once per window
# into a local webhook receiver; an alert whose condition never holds never
# fires; after SIGKILL of the leader the survivor continues the same window
# schedule with no duplicate and no missed window (checked from the
# receiver's log). An app (a shell script run by the leader) receives exactly
# the notifications of its alert as CLEF on stdin, across the fail-over too,
# and its stdout lines become events. Also checks /api/alerts CRUD, `cairn alert list` and the
# signal= query parameter.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=2000
INTERVAL=1000
start_pg_metastore

# The receiver: one line per POST body, in arrival order.
HOOKS="$WORK/hooks.log"
: >"$HOOKS"
cat >"$WORK/receiver.js" <<'JS'
const http = require('http'), fs = require('fs');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', c => body += c);
  req.on('end', () => { fs.appendFileSync(process.argv[2], body.replace(/\n/g, ' ') + '\n'); res.end('ok'); });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
JS
node "$WORK/receiver.js" "$HOOKS" >"$WORK/receiver.port" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/receiver.port" ] && break; sleep 0.05; done
HOOK_URL="http://127.0.0.1:$(cat "$WORK/receiver.port")/hook"

leader_of() { for n in "$@"; do [ "$(role_of "$n")" = leader ] && { echo "$n"; return 0; }; done; return 1; }
wait_leader() {
  for _ in $(seq 1 300); do l=$(leader_of "$@") && { echo "$l"; return 0; }; sleep 0.05; done
  fail "no leader among $*"
}

for n in 1 2; do setup_node $n; done
for n in 1 2; do launch $n; done
leader=$(wait_leader 1 2)
other=$((3 - leader))
echo "leader: n$leader"

# Signals in queries.
post() { curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$1/ingest/clef" --data-binary "$2"; }
[ "$(post "${URL[$leader]}" $'{"@t":"2024-01-01T00:00:00Z","@m":"a","@l":"Error","App":"web"}\n{"@t":"2024-01-01T00:00:01Z","@m":"b","@l":"Error","App":"db"}\n{"@t":"2024-01-01T00:00:02Z","@m":"c","App":"web"}')" = 201 ] || fail "ingest"
sig() { curl -s -X POST "${URL[$leader]}/api/signals" -d "{\"Title\":\"$1\",\"Filter\":\"$2\"}" | grep -o '"Id":"signal-[0-9a-f]*"' | cut -d'"' -f4; }
errors=$(sig errors "@Level = 'Error'"); web=$(sig web "App = 'web'"); db=$(sig db "App = 'db'")
[ -n "$errors" ] && [ -n "$web" ] && [ -n "$db" ] || fail "signals not created"
count_events() { curl -s "${URL[$leader]}/api/events?signal=$1&count=100" | grep -o '"Id":' | wc -l; }
[ "$(count_events "$errors,$web")" = 1 ] || fail "signal errors,web: $(count_events "$errors,$web") events"
[ "$(count_events "$web~$db")" = 3 ] || fail "signal web~db: $(count_events "$web~$db") events"
[ "$(count_events "$errors,$web~$db")" = 2 ] || fail "signal errors,(web~db)"
data=$(curl -s -G "${URL[$leader]}/api/data" --data-urlencode "q=select count(*) as n from stream" \
  --data-urlencode "signal=$errors,$web")
echo "$data" | grep -q '"Rows":\[\[1\]\]' || fail "/api/data with signal: $data"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${URL[$leader]}/api/events?signal=signal-nope")" = 400 ] ||
  fail "an unknown signal is not a 400"
echo "signals: and/or combinations select the expected events"

# Alerts: one that always fires, one that never does.
create_alert() {
  curl -s -X POST "${URL[$leader]}/api/alerts" -d "{\"Title\":\"$1\",\"Query\":\"$2\",\"WindowMs\":$INTERVAL,\"IntervalMs\":$INTERVAL,\"Notify\":{\"webhook\":\"$HOOK_URL\"}}"
}
always=$(create_alert always "select count(*) as n from stream" | grep -o '"Id":"alert-[0-9a-f]*"' | cut -d'"' -f4)
never=$(create_alert never "select count(*) as n from stream where @Level = 'Fatal' having n > 0" | grep -o '"Id":"alert-[0-9a-f]*"' | cut -d'"' -f4)
# The app appends each stdin line to a file and answers with one CLEF event.
APP_LOG="$WORK/app.log"
: >"$APP_LOG"
cat >"$WORK/app.sh" <<SH
#!/bin/sh
while IFS= read -r line; do
  printf '%s\\n' "\$line" >>"$APP_LOG"
  echo '{"@t":"2024-01-02T00:00:00Z","@mt":"app handled a notification","Kind":"appout"}'
done
SH
chmod +x "$WORK/app.sh"
app_alert=$(curl -s -X POST "${URL[$leader]}/api/alerts" -d "{\"Title\":\"app\",\"Query\":\"select count(*) as n from stream\",\"WindowMs\":$INTERVAL,\"IntervalMs\":$INTERVAL,\"Notify\":{\"app\":\"$WORK/app.sh\"}}" | grep -o '"Id":"alert-[0-9a-f]*"' | cut -d'"' -f4)
[ -n "$always" ] && [ -n "$never" ] || fail "alerts not created"
[ -n "$app_alert" ] || fail "app alert not created"
# A feed: its app gets the events matching Notify.events, each exactly once.
FEED_LOG="$WORK/feed.log"
: >"$FEED_LOG"
printf '#!/bin/sh\nexec cat >>"%s"\n' "$FEED_LOG" >"$WORK/feed.sh"
chmod +x "$WORK/feed.sh"
feed=$(curl -s -X POST "${URL[$leader]}/api/alerts" -d "{\"Title\":\"feed\",\"Query\":\"select count(*) from stream\",\"WindowMs\":$INTERVAL,\"IntervalMs\":$INTERVAL,\"Notify\":{\"app\":\"$WORK/feed.sh\",\"events\":\"Kind = 'feedme'\"}}" | grep -o '"Id":"alert-[0-9a-f]*"' | cut -d'"' -f4)
[ -n "$feed" ] || fail "feed alert not created"
for i in 1 2 3 4 5 6; do
  kind=other; [ $((i % 2)) = 1 ] && kind=feedme
  [ "$(post "${URL[$leader]}" "{\"@t\":\"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\",\"@m\":\"feed $i\",\"Kind\":\"$kind\"}")" = 201 ] || fail "ingest feed $i"
  sleep 0.3
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/api/alerts" -d '{"Title":"bad","Query":"select count(* from stream"}')" = 400 ] ||
  fail "a bad alert query is not a 400"
"$CAIRN_BIN" alert list --storage "$WORK/n$other" | grep -q "$always" || fail "cairn alert list misses $always"

windows() { grep -o "\"AlertId\":\"$1\"[^}]*\"WindowEndMs\":[0-9]*" "$HOOKS" | grep -o '[0-9]*$' || true; }
for _ in $(seq 1 100); do [ "$(windows "$always" | wc -l)" -ge 4 ] && break; sleep 0.1; done
[ "$(windows "$always" | wc -l)" -ge 4 ] || fail "alert fired $(windows "$always" | wc -l) times in 10 s"

# SIGKILL of the leader mid-schedule.
kill_ms=$(($(date +%s%N) / 1000000))
kill -KILL "${PID[$leader]}"
new=$(wait_leader "$other")
echo "n$leader killed; n$new leads"
for _ in $(seq 1 150); do
  last=$(windows "$always" | tail -1)
  [ -n "$last" ] && [ "$last" -ge $((kill_ms + 4 * INTERVAL)) ] && break
  sleep 0.1
done
[ "$last" -ge $((kill_ms + 4 * INTERVAL)) ] || fail "no window decided after the fail-over (last $last, kill $kill_ms)"

# Exactly once per window: consecutive multiples of the interval.
windows "$always" >"$WORK/always.txt"
dups=$(sort "$WORK/always.txt" | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "duplicate windows: $(sort "$WORK/always.txt" | uniq -d | tr '\n' ' ')"
awk -v i=$INTERVAL 'NR > 1 && $1 != prev + i { print "gap: " prev " -> " $1; bad = 1 }
                    $1 % i != 0 { print "unaligned " $1; bad = 1 } { prev = $1 } END { exit bad }' \
  "$WORK/always.txt" || fail "missed windows: $(tr '\n' ' ' <"$WORK/always.txt")"
[ "$(windows "$never" | wc -l)" = 0 ] || fail "the never-alert fired"
# The app saw exactly its alert's windows, each once, in order.
grep -c '"@t"' "$APP_LOG" >/dev/null || fail "the app received nothing"
grep -v "\"AlertId\":\"$app_alert\"" "$APP_LOG" | grep -q . && fail "the app received other alerts' notifications"
grep -o '"WindowEndMs":[0-9]*' "$APP_LOG" | grep -o '[0-9]*$' >"$WORK/app.txt"
[ "$(sort "$WORK/app.txt" | uniq -d | wc -l)" = 0 ] || fail "app got duplicates: $(tr '\n' ' ' <"$WORK/app.txt")"
awk -v i=$INTERVAL 'NR > 1 && $1 != prev + i { bad = 1 } { prev = $1 } END { exit bad }' "$WORK/app.txt" ||
  fail "app missed windows: $(tr '\n' ' ' <"$WORK/app.txt")"
[ "$(tail -1 "$WORK/app.txt")" -ge $((kill_ms + 2 * INTERVAL)) ] || fail "the app was not fed after the fail-over"
for _ in $(seq 1 50); do
  got=$(curl -s "${URL[$new]}/api/events?filter=Kind%20%3D%20'appout'&count=1000" | grep -o '"Id":' | wc -l)
  [ "$got" -ge 2 ] && break; sleep 0.1
done
[ "$got" -ge 2 ] || fail "app output did not become events ($got)"
[ "$(grep -o '"@m":"feed [0-9]*"' "$FEED_LOG" | sort | tr '\n' ' ')" = '"@m":"feed 1" "@m":"feed 3" "@m":"feed 5" ' ] ||
  fail "the feed app got: $(cat "$FEED_LOG")"
[ "$(wc -l <"$FEED_LOG")" = 3 ] || fail "the feed app got $(wc -l <"$FEED_LOG") lines"
echo "apps: $(wc -l <"$WORK/app.txt") notifications reached the app exactly once; its output is ingested ($got events)"
n=$(wc -l <"$WORK/always.txt")
echo "alerts: $n consecutive windows notified exactly once across the fail-over ($(head -1 "$WORK/always.txt")..$(tail -1 "$WORK/always.txt"))"

state=$(curl -s "${URL[$new]}/api/alerts")
echo "$state" | grep -q "\"Id\":\"$always\"" || fail "/api/alerts: $state"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "${URL[$new]}/api/alerts/$never")" = 200 ] || fail "DELETE"
curl -s "${URL[$new]}/api/alerts" | grep -q "$never" && fail "deleted alert still listed"
echo "PASS"
