#!/usr/bin/env bash
# Fault: the leader cut off from the network under continuous quorum-acked
# ingest. Each node runs in its own network namespace, joined to a bridge by
# a veth pair (PostgreSQL listens on the bridge's address); the cut takes the
# leader's veth down, so its packets vanish silently, both ways, as in a real
# partition (no RST). The majority elects a new leader; the isolated node
# must stop acting as leader (lease windows of different nodes never
# overlap: no split brain), and after the link comes back it rejoins as a
# follower and catches up; no acknowledged event is lost.
# Short: cut for 10 s. --long: three cuts of 60 s.
source "$(dirname "$0")/lib_fault.bash"
rounds=1; cut=10; settle=4
[ "$LONG" = 1 ] && { rounds=3; cut=60; settle=30; }

# Step 1: bridge + one namespace per node. Names carry our PID (<= 15 chars).
trap fault_exit EXIT # undo mounts / namespaces even if a later step fails
tag=$$
net="10.213.$(( tag % 200 + 20 ))"
br="cfb$tag"
err=$(ip link add "$br" type bridge 2>&1) || { echo "SKIP: ip link add $br type bridge: $err"; exit 77; }
FAULT_UNDO+=("ip link del $br")
ip addr add "$net.1/24" dev "$br"
ip link set "$br" up
declare -A NS IP VETH
for n in 1 2 3; do
  NS[$n]="cf$tag-$n"; IP[$n]="$net.$(( 10 + n ))"; VETH[$n]="cf${tag}h$n"
  err=$(ip netns add "${NS[$n]}" 2>&1) || { echo "SKIP: ip netns add ${NS[$n]}: $err"; exit 77; }
  FAULT_UNDO+=("ip netns del ${NS[$n]}")
  ip link add "${VETH[$n]}" type veth peer name "cf${tag}n$n"
  ip link set "cf${tag}n$n" netns "${NS[$n]}"
  ip link set "${VETH[$n]}" master "$br" up
  ip netns exec "${NS[$n]}" ip addr add "${IP[$n]}/24" dev "cf${tag}n$n"
  ip netns exec "${NS[$n]}" ip link set "cf${tag}n$n" up
  ip netns exec "${NS[$n]}" ip link set lo up
done

# Step 2: PostgreSQL reachable on the bridge, password auth from its subnet.
start_pg_metastore
trap fault_exit EXIT
echo "host all all $net.0/24 scram-sha-256" >>"$PG_DIR/data/pg_hba.conf"
pg_stop
PG_LISTEN="127.0.0.1,$net.1"
pg_start
CAIRN_TEST_PG=${CAIRN_TEST_PG/host=127.0.0.1/host=$net.1}

# Step 3: nodes, each in its namespace, cluster and HTTP on its own address.
cport=$(free_port)
for n in 1 2 3; do
  peers=""
  for m in 1 2 3; do [ "$m" != "$n" ] && peers="$peers${peers:+,}${IP[$m]}:$cport"; done
  setup_node "$n"
  "$CAIRN_BIN" node setup --storage "$WORK/n$n" --cluster-listen "${IP[$n]}:$cport" \
    --peer-cluster "$peers" --node-name "p-n$n" -k "partition-test-key-0123456789" >/dev/null 2>&1
  "$CAIRN_BIN" config set --storage "$WORK/n$n" -k ingest.ack -v quorum
done
launch_ns() {
  local n=$1 log="$WORK/n$1.log" port=""
  : >"$log"
  ip netns exec "${NS[$n]}" "$CAIRN_BIN" run --storage "$WORK/n$n" --listen "http://${IP[$n]}:0" >"$log" 2>&1 &
  PID[$n]=$!
  PIDS+=("${PID[$n]}")
  for _ in $(seq 1 200); do
    port=$(grep -o "listening on http://${IP[$n]}:[0-9]*" "$log" | head -1 | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    kill -0 "${PID[$n]}" 2>/dev/null || { cat "$log" >&2; fail "n$n exited at start"; }
    sleep 0.05
  done
  [ -n "$port" ] || fail "n$n did not report its port"
  URL[$n]="http://${IP[$n]}:$port"
}
for n in 1 2 3; do launch_ns "$n"; done
LEADER=$(wait_cluster_leader 0)
# Off loopback every request needs an API key.
CAIRN_API_KEY=$("$CAIRN_BIN" apikey create --storage "$WORK/n1" --title fault --permissions Ingest,Read 2>/dev/null | tail -1)
[ -n "$CAIRN_API_KEY" ] || fail "apikey create printed no token"
export CAIRN_API_KEY
start_load

first_fault=""; heal=""
for round in $(seq 1 "$rounds"); do
  sleep "$settle"
  old=$LEADER
  fault=$(now_ms)
  first_fault=${first_fault:-$fault}
  ip link set "${VETH[$old]}" down
  # The isolated node cannot be asked (its link is down), so the new leader
  # is whoever of the other two says so.
  LEADER=$(wait_new_leader "$old")
  echo "round $round: cut off leader n$old, n$LEADER leads after $(( $(now_ms) - fault )) ms"
  sleep $(( cut - ($(now_ms) - fault) / 1000 )) 2>/dev/null || true
  ip link set "${VETH[$old]}" up
  heal=$(now_ms)
  wait_role "$old" follower
  echo "round $round: link of n$old back after ${cut} s; it is a follower after $(( $(now_ms) - heal )) ms"
done
sleep "$settle"
finish "$first_fault" "$heal"
check_caught_up
check_lease_windows "$WORK"/n[123].log
echo PASS
