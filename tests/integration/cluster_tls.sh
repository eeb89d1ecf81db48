#!/usr/bin/env bash
# TLS on the cluster port: a three-node replicated cluster whose cluster ports
# use certificates signed by a test CA (cluster.certificatePath /
# privateKeyPath / caPath) elects a leader, authenticates both peers,
# replicates quorum-acked ingest to every node and answers a distributed query
# with all three nodes taking part. On the wire: a plain-TCP client gets no
# CAF handshake from a TLS cluster port (it does from a plain one), an
# openssl client with a CA-signed certificate completes a TLS handshake, and
# one without a client certificate is refused. Hostile clients on the TLS
# port (silent, garbage, hanging up mid-handshake) drop no peer connection.
source "$(dirname "$0")/lib.bash"
command -v openssl >/dev/null || fail "openssl is not installed"
TICK=200
LEASE=2000
EVENTS=3000
start_pg_metastore

# Step 1: a CA and one certificate per node (and one for the probe client).
pki="$WORK/pki"
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cairn test CA" \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
for name in n1 n2 n3 client; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 2 -out "$pki/$name.pem" 2>/dev/null
done

# cluster_port N: the host:port of node N's cluster port.
cluster_port() { grep -o 'cluster port listening on [0-9.:]*' "$WORK/n$1.log" | head -1 | awk '{print $NF}'; }
# first_bytes HOST:PORT: how many bytes a plain TCP client receives within 1 s
# of connecting without sending anything.
first_bytes() {
  python3 - "$1" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=2)
s.settimeout(1.0)
got = b""
try:
    while len(got) < 4096:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
except socket.timeout:
    pass
print(len(got))
PY
}

# Step 2: a plain cluster first, for contrast: its port greets with BASP.
setup_replicated_cluster 0 quorum
launch 1
for _ in $(seq 1 100); do [ -n "$(cluster_port 1)" ] && break; sleep 0.05; done
plain=$(first_bytes "$(cluster_port 1)")
echo "plain cluster port: a silent TCP client received $plain bytes"
[ "$plain" -gt 0 ] || fail "the plain cluster port sent no handshake (the contrast below would prove nothing)"
kill -KILL "${PID[1]}"
wait "${PID[1]}" 2>/dev/null || true

# Step 3: the TLS cluster.
setup_replicated_cluster 10 quorum
for n in 1 2 3; do
  s="$WORK/n1$n"
  "$CAIRN_BIN" config set --storage "$s" -k cluster.certificatePath -v "$pki/n$n.pem"
  "$CAIRN_BIN" config set --storage "$s" -k cluster.privateKeyPath -v "$pki/n$n.key"
  "$CAIRN_BIN" config set --storage "$s" -k cluster.caPath -v "$pki/ca.pem"
  "$CAIRN_BIN" config set --storage "$s" -k storage.indexIntervalMs -v 200
done
for n in 1 2 3; do launch "1$n"; done
leader=$(wait_cluster_leader 10)
grep -q 'cluster port listening on .* (TLS)' "$WORK/n$leader.log" || fail "the leader's cluster port is not TLS"
echo "TLS cluster: n$leader leads with both peers authenticated"

# Step 4: quorum-acked ingest replicates to every node.
python3 - "$WORK/events" "$EVENTS" <<'PY'
import sys, time, datetime
path, n = sys.argv[1], int(sys.argv[2])
now = time.time()
with open(path, "w") as f:
    for i in range(n):
        ts = datetime.datetime.fromtimestamp(now - 600 + 600 * i / n, datetime.timezone.utc)
        f.write('{"@t":"%s","@mt":"TLS {N}","N":%d}\n' % (ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), i))
PY
# Right after the election the followers may still be connecting: a quorum
# cannot form yet and the answer is 503 + Retry-After, which clients retry.
for _ in $(seq 1 40); do
  code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" --data-binary "@$WORK/events")
  [ "$code" = 503 ] || break
  sleep 0.5
done
[ "$code" = 201 ] || fail "quorum ingest over the TLS cluster answered $code"
want=$(metric "${URL[$leader]}" cairn_store_next_id)
for n in 11 12 13; do
  got=""
  for _ in $(seq 1 100); do
    got=$(metric "${URL[$n]}" cairn_store_next_id)
    [ "$got" = "$want" ] && break
    sleep 0.1
  done
  [ "$got" = "$want" ] || fail "n$n holds events up to id $got, the leader up to $want"
done
echo "replicated: every node holds events up to id $want"

# Step 5: a distributed query with all three nodes taking part.
ok=""
for _ in $(seq 1 100); do
  body=$(curl -s -m 30 -G "${URL[$leader]}/api/data" --data-urlencode "q=select count(*) from stream")
  if echo "$body" | python3 -c '
import json, sys
d = json.load(sys.stdin)
nodes = d["Statistics"].get("Nodes", [])
sys.exit(0 if len(nodes) == 3 and all("Failure" not in n for n in nodes) and d["Rows"][0][0] == '"$EVENTS"' else 1)' 2>/dev/null; then
    ok=1; break
  fi
  sleep 0.2
done
[ -n "$ok" ] || fail "no distributed query over the TLS cluster with three nodes and $EVENTS events: $body"
echo "distributed query: count $EVENTS from three nodes: $(echo "$body" | python3 -c '
import json, sys; print(", ".join("%s %s events" % (n.get("Name"), n.get("Events")) for n in json.load(sys.stdin)["Statistics"]["Nodes"]))')"

# Step 6: on the wire.
port=$(cluster_port "$leader")
tls=$(first_bytes "$port")
echo "TLS cluster port: a silent TCP client received $tls bytes"
[ "$tls" = 0 ] || fail "the TLS cluster port sent $tls bytes in the clear"
hs=$(echo | timeout 10 openssl s_client -connect "$port" -CAfile "$pki/ca.pem" \
  -cert "$pki/client.pem" -key "$pki/client.key" 2>&1 || true)
echo "$hs" | grep -q 'Verify return code: 0 (ok)' || { echo "$hs" | tail -20; fail "no verified TLS handshake on $port"; }
echo "openssl client with a CA-signed certificate: $(echo "$hs" | grep -o 'New, TLSv[0-9.]*, Cipher is [A-Z0-9_-]*' | head -1)"
# TLS 1.3 refuses a missing client certificate with an alert after the
# handshake: keep the client's stdin open long enough for it to read it.
nocert=$( (sleep 2; echo) | timeout 10 openssl s_client -connect "$port" -CAfile "$pki/ca.pem" 2>&1 || true)
if echo "$nocert" | grep -qi 'alert\|error\|errno'; then
  echo "openssl client without a certificate: refused ($(echo "$nocert" | grep -io '[a-z ]*alert[a-z ]*' | head -1))"
else
  echo "$nocert" | tail -20
  fail "a client without a certificate was not refused"
fi

# Step 7: hostile clients on the TLS cluster port leave the peers alone. A
# client that connects and stays silent, one that sends garbage instead of a
# ClientHello and one that hangs up mid-handshake used to make the node drop
# every peer connection (caf_openssl left the failed handshake's error in the
# multiplexer thread's OpenSSL error queue, and the next would-block read on a
# healthy peer was taken for a fatal error): net/tls_guard.cpp. The silent one
# is also cut off at the handshake deadline (5 s) instead of being polled for
# as long as it stays.
declare -A lines_before
for n in 11 12 13; do lines_before[$n]=$(wc -l <"$WORK/n$n.log"); done
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu0=$(cpu_ticks "${PID[$leader]}")
python3 - "$port" >"$WORK/hostile.out" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
start = time.time()
s = socket.create_connection((host, int(port)), timeout=2)
s.settimeout(12.0)
try:
    got = s.recv(4096)
    print("silent client: closed by the node after %.1f s (%d bytes)" % (time.time() - start, len(got)))
except socket.timeout:
    print("silent client: still open after %.1f s" % (time.time() - start))
except ConnectionResetError:
    print("silent client: closed by the node after %.1f s (reset)" % (time.time() - start))
PY
silent_pid=$!
sleep 1
for i in 1 2 3; do
  python3 - "$port" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=2)
s.sendall(b"GET / HTTP/1.1\r\nHost: cairn\r\n\r\n" + bytes(range(256)) * 4)
s.settimeout(2.0)
try:
    s.recv(4096)
except OSError:
    pass
s.close()
PY
  # A TLS client that gives up after its ClientHello.
  timeout 0.3 openssl s_client -connect "$port" -CAfile "$pki/ca.pem" </dev/null >/dev/null 2>&1 || true
  sleep 0.5
done
wait "$silent_pid" || true
cat "$WORK/hostile.out"
cpu1=$(cpu_ticks "${PID[$leader]}")
echo "leader CPU while the hostile clients ran: $(( (cpu1 - cpu0) * 1000 / $(getconf CLK_TCK) )) ms"
# Let a peer's heartbeat timeout (1.5 s) pass before looking.
sleep 2
for n in 11 12 13; do
  tail -n +"$(( ${lines_before[$n]} + 1 ))" "$WORK/n$n.log" >"$WORK/n$n.step7"
  if grep -q "lost peer" "$WORK/n$n.step7"; then
    grep "lost peer\|authenticated peer" "$WORK/n$n.step7" | head -5
    fail "n$n lost a peer connection while hostile clients used n$leader's TLS cluster port"
  fi
done
grep -q "replication: [01] authenticated peer" "$WORK/n$leader.step7" &&
  fail "the leader's authenticated peer count dropped: $(grep 'authenticated peer' "$WORK/n$leader.step7" | head -3)"
grep -q "closed by the node after" "$WORK/hostile.out" || fail "the silent client was never cut off"
hold=$(grep -o 'after [0-9.]*' "$WORK/hostile.out" | awk '{print $2}')
awk -v h="$hold" 'BEGIN { exit !(h >= 3 && h < 10) }' ||
  fail "the silent client was cut off after $hold s (want the 5 s handshake deadline)"
# Quorum ingest still works (it needs both peers).
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "${URL[$leader]}/ingest/clef" \
  --data-binary '{"@t":"2026-01-01T00:00:00Z","@mt":"after the hostile clients"}')
[ "$code" = 201 ] || fail "quorum ingest after the hostile clients answered $code"
echo "hostile clients: no peer connection lost on any node; quorum ingest 201"
echo "PASS"
