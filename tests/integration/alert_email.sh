#!/usr/bin/env bash
# Alert email output against a real SMTP server (npm smtp-server, tests/smtp):
# an alert mails every fired window exactly once, with the alert title in the
# subject and the result rows in the body, to every recipient; a second
# alert goes over STARTTLS with AUTH, its password read from an encrypted
# secret. API keys are required on this node (a key exists), and an app's
# output lines still become events: they go through the committer, not HTTP.
source "$(dirname "$0")/lib.bash"

SMTP="${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must point at the source tree}/tests/smtp"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
if [ ! -d "$SMTP/node_modules" ]; then
  (cd "$SMTP" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $SMTP failed"
fi

# A certificate for 127.0.0.1 that Cairn verifies through Notify.email.caFile.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/smtp.key" -out "$WORK/smtp.crt" 2>/dev/null ||
  fail "openssl could not make a certificate"

start_sink() { # LOG PORTFILE [USER PASSWORD]
  SMTP_TLS_KEY="$WORK/smtp.key" SMTP_TLS_CERT="$WORK/smtp.crt" \
    node "$SMTP/smtp_sink.mjs" "$1" "${@:3}" >"$2" 2>"$2.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$2" ] && break; sleep 0.05; done
  [ -s "$2" ] || fail "SMTP sink did not start: $(cat "$2.err")"
}
PLAIN_LOG="$WORK/plain.jsonl"; TLS_LOG="$WORK/tls.jsonl"
: >"$PLAIN_LOG"; : >"$TLS_LOG"
start_sink "$PLAIN_LOG" "$WORK/plain.port"
start_sink "$TLS_LOG" "$WORK/tls.port" cairn 's3cret pass'
PLAIN_PORT=$(cat "$WORK/plain.port"); TLS_PORT=$(cat "$WORK/tls.port")

storage="$WORK/node"
mkdir -p "$storage"
"$CAIRN_BIN" config set --storage "$storage" -k storage.secretKey -v "$("$CAIRN_BIN" show-key --generate)"
"$CAIRN_BIN" secret set --storage "$storage" -k smtp.password -v 's3cret pass'
KEY=$("$CAIRN_BIN" apikey create --storage "$storage" --title admin --permissions Ingest,Read,Write,Setup 2>/dev/null | tail -1)
[ -n "$KEY" ] || fail "apikey create printed no token"
start_node "$storage"
wait_healthy "$NODE_URL"
H=(-H "X-Seq-ApiKey: $KEY")
[ "$(curl -s -o /dev/null -w '%{http_code}' "$NODE_URL/api/alerts")" = 401 ] ||
  fail "keys are not required"

post_alert() { curl -s -m 5 "${H[@]}" -X POST "$NODE_URL/api/alerts" -d "$1"; }
id_of() { grep -o '"Id":"alert-[0-9a-f]*"' | cut -d'"' -f4; }

# Invalid email settings are refused at once.
bad() { [ "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" -X POST "$NODE_URL/api/alerts" -d "$1")" = 400 ] || fail "accepted: $1"; }
bad '{"Title":"x","Query":"select count(*) from stream","WindowMs":1000,"IntervalMs":1000,"Notify":{"email":{"host":"127.0.0.1","from":"a@b.c"}}}'
bad '{"Title":"x","Query":"select count(*) from stream","WindowMs":1000,"IntervalMs":1000,"Notify":{"email":{"host":"127.0.0.1","from":"a@b.c","to":"d@e.f","password":"plain"}}}'
bad '{"Title":"x","Query":"select count(*) from stream","WindowMs":1000,"IntervalMs":1000,"Notify":{"email":{"host":"127.0.0.1","from":"a@b.c","to":"d@e.f","tls":"sometimes"}}}'

# The app answers each notification with one CLEF event.
cat >"$WORK/app.sh" <<'SH'
#!/bin/sh
while IFS= read -r line; do
  echo "{\"@t\":\"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)\",\"@mt\":\"app handled {Alert}\",\"Alert\":\"mail\",\"Kind\":\"appout\"}"
  echo 'a plain line from the app'
done
SH
chmod +x "$WORK/app.sh"

curl -s -m 5 "${H[@]}" -X POST "$NODE_URL/ingest/clef" --data-binary \
  $'{"@t":"2024-01-01T00:00:00Z","@m":"a","App":"web"}\n{"@t":"2024-01-01T00:00:01Z","@m":"b","App":"db"}' >/dev/null
plain=$(post_alert "{\"Title\":\"Errors spiked\",\"Query\":\"select count(*) as n from stream\",\"WindowMs\":1000,\"IntervalMs\":1000,\"Notify\":{\"email\":{\"host\":\"127.0.0.1\",\"port\":$PLAIN_PORT,\"from\":\"cairn@example.test\",\"to\":[\"ops@example.test\",\"dev@example.test\"],\"subject\":\"[Cairn] {Title} until {WindowEnd}\"}}}" | id_of)
[ -n "$plain" ] || fail "plain email alert not created"
secure=$(post_alert "{\"Title\":\"Über secure\",\"Query\":\"select count(*) as total from stream\",\"WindowMs\":1000,\"IntervalMs\":1000,\"Notify\":{\"app\":\"$WORK/app.sh\",\"email\":{\"host\":\"127.0.0.1\",\"port\":$TLS_PORT,\"from\":\"cairn@example.test\",\"to\":\"ops@example.test\",\"tls\":\"starttls\",\"caFile\":\"$WORK/smtp.crt\",\"username\":\"cairn\",\"passwordSecret\":\"smtp.password\"}}}" | id_of)
[ -n "$secure" ] || fail "STARTTLS email alert not created"

for _ in $(seq 1 150); do
  [ "$(wc -l <"$PLAIN_LOG")" -ge 5 ] && [ "$(wc -l <"$TLS_LOG")" -ge 3 ] && break
  sleep 0.1
done
[ "$(wc -l <"$PLAIN_LOG")" -ge 5 ] || { tail -20 "$storage.log" >&2; fail "plain SMTP got $(wc -l <"$PLAIN_LOG") mails in 15 s"; }
[ "$(wc -l <"$TLS_LOG")" -ge 3 ] || { tail -20 "$storage.log" >&2; fail "STARTTLS SMTP got $(wc -l <"$TLS_LOG") mails in 15 s"; }

# Exactly once per window: Message-IDs carry the window end; consecutive.
node -e '
const fs = require("fs");
const [log, id, want] = process.argv.slice(1);
const mails = fs.readFileSync(log, "utf8").trim().split("\n").map(JSON.parse);
const ends = mails.map(m => { const r = new RegExp("^<?" + id + "\\.(\\d+)@cairn>?$").exec(m.messageId);
                              if (!r) throw new Error("foreign message id " + m.messageId); return Number(r[1]); });
for (let i = 1; i < ends.length; i++)
  if (ends[i] !== ends[i - 1] + 1000) throw new Error("windows not consecutive once each: " + ends.join(" "));
for (const m of mails) {
  if (!m.subject.includes(want)) throw new Error("subject without the title: " + m.subject);
  if (!/Query: select count\(\*\)/.test(m.text)) throw new Error("body without the query: " + m.text);
  if (!/\n\s*(n|total)\s*\r?\n\s*-+\s*\r?\n\s*\d+/.test(m.text)) throw new Error("body without the result rows: " + m.text);
}
console.log(log.replace(/.*\//, "") + ": " + mails.length + " windows mailed once each, " + ends[0] + ".." + ends[ends.length - 1]);
' "$PLAIN_LOG" "$plain" "Errors spiked" || fail "plain mails wrong"
node -e '
const fs = require("fs");
const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8").split("\n")[0]);
if (m.to.join(",") !== "ops@example.test,dev@example.test") throw new Error("recipients " + m.to);
if (!/^\[Cairn\] Errors spiked until \d{4}-\d\d-\d\dT/.test(m.subject)) throw new Error("subject " + m.subject);
' "$PLAIN_LOG" || fail "recipients or subject template wrong"
node -e '
const fs = require("fs");
const mails = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
for (const m of mails) {
  if (!m.secure) throw new Error("not sent over STARTTLS");
  if (m.user !== "cairn") throw new Error("not authenticated: " + m.user);
  if (m.subject !== "[Cairn] Über secure") throw new Error("subject " + m.subject);
}
' "$TLS_LOG" || fail "STARTTLS mails wrong"
echo "STARTTLS + AUTH (password from the secret store): $(wc -l <"$TLS_LOG") mails"

# The board lists what was sent.
curl -s "${H[@]}" "$NODE_URL/api/alerts/notifications" | grep -q "\"AlertId\":\"$plain\"[^}]*\"Outputs\":\"email\"" ||
  fail "/api/alerts/notifications: $(curl -s "${H[@]}" "$NODE_URL/api/alerts/notifications" | head -c 400)"
curl -s "${H[@]}" "$NODE_URL/api/alerts" | grep -q '"LastError":null' || fail "/api/alerts has no LastError"

# App output became events although every HTTP request needs a key.
# Newest events, one per line, then counted by content (no filter needed).
count_events() { curl -s "${H[@]}" "$NODE_URL/api/events?count=1000" | sed 's/},{"Id"/}\n{"Id"/g' | { grep -c "$1" || true; }; }
for _ in $(seq 1 50); do
  got=$(count_events '"Name":"Kind","Value":"appout"')
  plainlines=$(count_events '"RenderedMessage":"a plain line from the app","Properties":\[{"Name":"App","Value":"'"$WORK"'/app.sh"}')
  [ "$got" -ge 2 ] && [ "$plainlines" -ge 2 ] && break; sleep 0.1
done
[ "$got" -ge 2 ] || { grep -i 'apps' "$storage.log" | tail -5 >&2; fail "app output did not become events with keys required ($got)"; }
[ "$plainlines" -ge 2 ] || fail "the app's plain lines did not become events ($plainlines)"
echo "apps: $got CLEF + $plainlines plain output lines stored with API keys required"

# A mail server that is down: the error shows on /api/alerts, then delivery resumes.
last_error() {
  curl -s "${H[@]}" "$NODE_URL/api/alerts" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s).find(a=>a.Id===process.argv[1]);console.log(a&&a.LastError||"")})' "$1"
}
kill -STOP "${PIDS[0]}"
for _ in $(seq 1 150); do
  last_error "$plain" | grep -q '^smtp: ' && break
  sleep 0.1
done
last_error "$plain" | grep -q '^smtp: ' || fail "no LastError while the SMTP server hangs: $(last_error "$plain")"
echo "while the SMTP server hangs: LastError = $(last_error "$plain")"
kill -CONT "${PIDS[0]}"
before=$(wc -l <"$PLAIN_LOG")
for _ in $(seq 1 200); do [ "$(wc -l <"$PLAIN_LOG")" -ge $((before + 3)) ] && break; sleep 0.1; done
[ "$(wc -l <"$PLAIN_LOG")" -ge $((before + 3)) ] || fail "delivery did not resume after the SMTP server came back"
node -e '
const fs = require("fs");
const ids = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => JSON.parse(l).messageId);
const seen = new Set();
for (const id of ids) { if (seen.has(id)) throw new Error("duplicate " + id); seen.add(id); }
' "$PLAIN_LOG" || fail "a window was mailed twice after the outage"
echo "outage: LastError shown, $(( $(wc -l <"$PLAIN_LOG") - before )) more mails after recovery, no duplicate"
echo "PASS"
