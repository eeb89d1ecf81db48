#!/usr/bin/env bash
# Large ingest bodies over plain TCP take the whole-body read path
# (net/http_server.cpp read_whole_body): two large requests pipelined in one
# write, then a small one in the same write; a body trickled in pieces; a body
# cut off mid-way by the client (nothing of it stored, the node keeps
# serving); a 2 MB body sent by curl after "Expect: 100-continue". Every
# stored event is counted by cairn_ingest_events_total.
source "$(dirname "$0")/lib.bash"

start_node "$WORK/node"
wait_healthy "$NODE_URL"

python3 - "${NODE_URL##*:}" <<'PY' || fail "raw large-body exchanges"
import socket, sys, time

port = int(sys.argv[1])

def clef(n, tag):
    lines = []
    for i in range(n):
        lines.append('{"@t":"2024-05-01T10:00:%02d.%06dZ","@mt":"Large body {Tag} event {N} padded %s","Tag":"%s","N":%d}'
                     % (i % 60, i, "x" * 40, tag, i))
    return ("\n".join(lines) + "\n").encode()

def request(body, extra=b""):
    return (b"POST /ingest/clef HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.serilog.clef\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body + extra)

def read_responses(s, count, deadline=10):
    """Reads `count` responses (status line, headers, Content-Length body); returns statuses."""
    s.settimeout(deadline)
    data, statuses = b"", []
    while len(statuses) < count:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return statuses
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        statuses.append(int(head.split(b" ")[1]))
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(data) < length:
            chunk = s.recv(65536)
            if not chunk:
                return statuses
            data += chunk
        data = data[length:]
    return statuses

N = 400  # ~40 KB per body: above the 16 KiB whole-body threshold
a, b = clef(N, "a"), clef(N, "b")
assert len(a) > 16 * 1024

# 1. Two large requests and a small GET, all in one write.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(request(a) + request(b) + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
got = read_responses(s, 3)
if got != [201, 201, 200]:
    sys.exit("pipelined: got %r, want [201, 201, 200]" % got)
print("ok: two pipelined large bodies and a small request -> %r" % got)

# 2. The same connection: a large body trickled in four pieces.
c = clef(N, "c")
msg = request(c)
step = len(msg) // 4 + 1
for i in range(0, len(msg), step):
    s.sendall(msg[i:i + step])
    time.sleep(0.2)
got = read_responses(s, 1)
if got != [201]:
    sys.exit("trickled: got %r, want [201]" % got)
print("ok: trickled large body -> 201")
s.close()

# 3. A body cut off mid-way: the client closes; nothing is stored.
d = clef(N, "d")
msg = request(d)
t = socket.create_connection(("127.0.0.1", port), timeout=10)
t.sendall(msg[: len(msg) // 2])
time.sleep(0.3)
t.close()
print("ok: truncated body sent and closed")
PY

# 4. curl sends "Expect: 100-continue" for bodies over 1 MB.
python3 - >"$WORK/big.clef" <<'PY'
for i in range(12000):
    print('{"@t":"2024-05-01T11:00:%02d.%06dZ","@mt":"Big body event {N} %s","N":%d}' % (i % 60, i, "y" * 120, i))
PY
size=$(stat -c %s "$WORK/big.clef")
[ "$size" -gt 1100000 ] || fail "big body is only $size bytes"
code=$(curl -s -o "$WORK/resp" -m 30 -w '%{http_code}' -X POST -H 'Content-Type: application/vnd.serilog.clef' \
  --data-binary @"$WORK/big.clef" "$NODE_URL/ingest/clef")
[ "$code" = 201 ] || fail "2 MB body with 100-continue: $code $(head -c 300 "$WORK/resp")"
echo "ok: $size-byte body after 100-continue -> 201"

# Every acknowledged event is counted, none of the truncated body.
want=$((3 * 400 + 12000))
got=$(metric "$NODE_URL" cairn_ingest_events_total)
[ "$got" = "$want" ] || fail "cairn_ingest_events_total is $got, want $want"
curl -s -m 5 "$NODE_URL/health" -o /dev/null -w '%{http_code}' | grep -q 200 || fail "node stopped serving"
echo "PASS: large bodies pipelined, trickled, truncated and after 100-continue"
