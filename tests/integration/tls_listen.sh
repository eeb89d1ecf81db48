#!/usr/bin/env bash
# TLS for HTTP: a node listening on http:// and https:// at once, with a
# self-signed certificate from api.certificatePath / api.privateKeyPath.
# Over https: /health, ingest and a query work and the certificate is the
# configured one; TLS 1.1 is refused; plain HTTP sent to the TLS port gets no
# HTTP answer; a missing key file stops the node at start with a clear error.
source "$(dirname "$0")/lib.bash"
command -v openssl >/dev/null || fail "openssl not installed"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cairn-test" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null || fail "openssl req failed"

storage="$WORK/node"
mkdir -p "$storage"
log="$storage.log"
CAIRN_API_CERTIFICATEPATH="$WORK/cert.pem" CAIRN_API_PRIVATEKEYPATH="$WORK/key.pem" \
  "$CAIRN_BIN" run --storage "$storage" --listen "http://127.0.0.1:0,https://127.0.0.1:0" \
  >"$log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do
  grep -q 'listening on https://' "$log" && break
  sleep 0.05
done
http_url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | head -1 | cut -d' ' -f3)
https_url=$(grep -o 'listening on https://127.0.0.1:[0-9]*' "$log" | head -1 | cut -d' ' -f3)
[ -n "$https_url" ] || { cat "$log" >&2; fail "no https listener reported"; }
wait_healthy "$http_url"

tls=(--cacert "$WORK/cert.pem")
code=$(curl -s -o "$WORK/h.json" -w '%{http_code}' "${tls[@]}" "$https_url/health")
[ "$code" = 200 ] || fail "https /health answered $code"
echo "ok: https /health 200 (certificate verified against the test CA)"

code=$(curl -s -o /dev/null -w '%{http_code}' "${tls[@]}" -X POST "$https_url/ingest/clef" \
  --data-binary $'{"@t":"2024-01-01T00:00:00Z","@mt":"over tls {N}","N":1}\n{"@t":"2024-01-01T00:00:01Z","@mt":"over tls {N}","N":2}')
[ "$code" = 201 ] || fail "https ingest answered $code"
ok=""
for _ in $(seq 1 50); do
  body=$(curl -s "${tls[@]}" -G "$https_url/api/data" --data-urlencode "q=select count(*) from stream")
  echo "$body" | grep -q '\b2\b' && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "https query did not count the 2 events: $body"
echo "ok: ingest and query over https"

# Keep-alive: two requests over one TLS connection.
n=$(curl -s -v "${tls[@]}" "$https_url/health" "$https_url/health" 2>&1 | grep -c 'Re-using existing connection' || true)
[ "$n" -ge 1 ] || fail "the TLS connection was not reused for the second request"
echo "ok: keep-alive over TLS"

subject=$(openssl s_client -connect "${https_url#https://}" -servername localhost </dev/null 2>/dev/null |
  openssl x509 -noout -subject 2>/dev/null || true)
echo "$subject" | grep -q 'cairn-test' || fail "served certificate is not the configured one: '$subject'"
if openssl s_client -connect "${https_url#https://}" -tls1_1 </dev/null >/dev/null 2>&1; then
  fail "TLS 1.1 handshake accepted"
fi
echo "ok: served certificate CN=cairn-test; TLS 1.1 refused"

# Plain HTTP to the TLS port is not answered as HTTP (and does not crash it).
reply=$(curl -s -m 3 "http://${https_url#https://}/health" || true)
echo "$reply" | grep -q '"status"' && fail "plain HTTP on the TLS port was served"
code=$(curl -s -o /dev/null -w '%{http_code}' "${tls[@]}" "$https_url/health")
[ "$code" = 200 ] || fail "https /health after plain-HTTP probe answered $code"
echo "ok: plain HTTP on the TLS port refused"

# A wrong key path stops a node at start, naming the setting.
bad="$WORK/bad"
mkdir -p "$bad"
set +e
CAIRN_API_CERTIFICATEPATH="$WORK/cert.pem" CAIRN_API_PRIVATEKEYPATH="$WORK/missing.pem" \
  timeout 20 "$CAIRN_BIN" run --storage "$bad" --listen "https://127.0.0.1:0" >"$bad.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "node with a missing key file exited $rc"
grep -q 'api.privateKeyPath' "$bad.log" || fail "unclear error: $(tail -3 "$bad.log")"
echo "ok: missing private key -> exit $rc naming api.privateKeyPath"
echo "PASS: https listener"
