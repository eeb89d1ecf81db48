#!/usr/bin/env bash
# The cluster port admits only peers that prove the shared cluster key by
# challenge-response (the key is never sent): a node with the right key is
# authenticated by both sides; one with a wrong key is refused and logged.
source "$(dirname "$0")/lib.bash"

key="correct-horse-battery-staple-42"
"$CAIRN_BIN" node setup --storage "$WORK/a" --cluster-listen 127.0.0.1:0 --node-name a -k "$key" >/dev/null
start_node "$WORK/a"
A_PID=$NODE_PID
port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'cluster port listening on 127.0.0.1:[0-9]*' "$WORK/a.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "node a did not open its cluster port"

"$CAIRN_BIN" node setup --storage "$WORK/good" --cluster-listen 127.0.0.1:0 --node-name good \
  --peer-cluster "127.0.0.1:$port" -k "$key" >/dev/null
"$CAIRN_BIN" node setup --storage "$WORK/bad" --cluster-listen 127.0.0.1:0 --node-name bad \
  --peer-cluster "127.0.0.1:$port" -k "wrong-key-wrong-key-wrong" >/dev/null
start_node "$WORK/good"
start_node "$WORK/bad"

for _ in $(seq 1 200); do
  grep -q "authenticated with peer" "$WORK/good.log" && grep -q "wrong cluster key" "$WORK/a.log" && break
  sleep 0.05
done
grep -q "cluster: authenticated with peer" "$WORK/good.log" || { cat "$WORK/good.log"; fail "good peer not authenticated"; }
grep -q "cluster: peer .* authenticated" "$WORK/a.log" || fail "node a did not log the good peer"
grep -q "cluster: refused peer .*: wrong cluster key" "$WORK/a.log" || { cat "$WORK/a.log"; fail "wrong key not refused/logged by a"; }
grep -q "refused: wrong cluster key" "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "bad peer not told it was refused"; }
grep -q "authenticated with peer" "$WORK/bad.log" && fail "bad peer was authenticated"
# The key never appears in any log.
grep -q "$key" "$WORK"/*.log && fail "cluster key leaked into a log"
echo "PASS"
