#!/usr/bin/env bash
# Slowloris: one client address (127.0.0.2) opens 300 connections and
# trickles header bytes forever, reopening whatever the node closes. The
# node has api.maxConnections=200, so without a per-address limit the
# attacker would hold every slot. Meanwhile another client (127.0.0.1)
# must get /health and ingest answered promptly, and the trickling
# connections must be cut off by api.headerTimeoutMs even though bytes
# keep arriving.
source "$(dirname "$0")/lib.bash"

CAIRN_API_MAXCONNECTIONS=200 CAIRN_API_MAXCONNECTIONSPERIP=100 CAIRN_API_HEADERTIMEOUTMS=2000 \
  start_node "$WORK/node"
wait_healthy "$NODE_URL"
port=${NODE_URL##*:}
seconds=8

python3 - "$port" "$seconds" >"$WORK/attack.txt" 2>&1 <<'PY' &
import socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
target, socks = 300, []
opened = cut = refused = timed_out = 0
longest = 0.0  # longest time one trickling connection stayed open

def open_one():
    global opened, refused
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(1)
    try:
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        opened += 1
        socks.append((s, time.time()))
    except OSError:
        refused += 1
        s.close()

end = time.time() + seconds
while time.time() < end:
    while len(socks) < target and time.time() < end:
        open_one()
    alive = []
    for s, t0 in socks:
        try:
            s.sendall(b"X-a: b\r\n")  # never the blank line that ends the header
            alive.append((s, t0))
        except OSError:
            cut += 1
            age = time.time() - t0
            if age >= 1.5:  # admitted, then cut by the header timeout
                timed_out += 1
            longest = max(longest, age)
            s.close()
    socks = alive
    time.sleep(0.25)
now = time.time()
for s, t0 in socks:
    s.close()
print(f"opened={opened} cut={cut} timed_out={timed_out} refused={refused} "
      f"longest_cut_s={longest:.1f}")
PY
attacker=$!
PIDS+=("$attacker")
sleep 1.5 # let the attacker take its slots

# The other client: /health and a small ingest, sequentially, while the
# attack runs; every answer must come within 1 s.
worst=0 n=0 errors=0
deadline=$(($(date +%s) + seconds - 2))
while [ "$(date +%s)" -lt "$deadline" ]; do
  for what in health ingest; do
    if [ $what = health ]; then
      out=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$NODE_URL/health" || true)
      want=200
    else
      out=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' -X POST "$NODE_URL/ingest/clef" \
        --data-binary '{"@t":"2024-01-01T00:00:00Z","@mt":"during slowloris"}' || true)
      want=201
    fi
    n=$((n + 1))
    code=${out%% *}
    ms=$(awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }')
    [ "$code" = "$want" ] || { errors=$((errors + 1)); echo "  $what answered '$code'" >&2; }
    [ "$ms" -gt "$worst" ] && worst=$ms
  done
  sleep 0.1
done
wait "$attacker" || true
cat "$WORK/attack.txt"
echo "other client: $n requests, $errors errors, slowest ${worst} ms"

[ "$errors" = 0 ] || fail "$errors requests of the other client failed during the attack"
[ "$worst" -lt 1000 ] || fail "the other client waited ${worst} ms (limit 1000)"
grep -q 'opened=' "$WORK/attack.txt" || fail "the attacker did not run"
timed_out=$(grep -o 'timed_out=[0-9]*' "$WORK/attack.txt" | cut -d= -f2)
longest=$(grep -o 'longest_cut_s=[0-9.]*' "$WORK/attack.txt" | cut -d= -f2)
# 100 admitted connections, each cut after 2 s of trickling (header timeout).
[ "$timed_out" -ge 100 ] ||
  fail "only $timed_out trickling connections were cut off by the header timeout"
awk -v l="$longest" 'BEGIN { exit !(l < 4.5) }' ||
  fail "a trickling connection stayed open ${longest} s (api.headerTimeoutMs=2000)"
curl -s -m 2 "$NODE_URL/health" | grep -q '"status":"ok"' || fail "node unhealthy after the attack"
echo "PASS: slowloris from one address left the node answering others"
