#!/usr/bin/env bash
# Manual (DR) mode: `cairn node lead` makes a node hold the lease permanently,
# so another node never takes over by election, even when the manual leader
# dies; `cairn node demote` hands leadership back to automatic election.
source "$(dirname "$0")/lib.bash"
TICK=200
LEASE=1000
start_pg_metastore
setup_node 1
setup_node 2
"$CAIRN_BIN" node lead --storage "$WORK/n1" | grep -q "holds the lease permanently" || fail "node lead"
launch 1
launch 2
wait_healthy "${URL[1]}"
[ "$(role_of 1)" = leader ] || fail "manual leader n1 is not leading"
kill -KILL "${PID[1]}"
sleep $(((LEASE + 4 * TICK) / 1000 + 1))
[ "$(role_of 2)" = leader ] && fail "n2 took over although n1 holds a manual lease"
echo "n2 stayed follower while the manual leader was down"
"$CAIRN_BIN" node demote --storage "$WORK/n1" | grep -q "lease released" || fail "node demote"
for _ in $(seq 1 100); do [ "$(role_of 2)" = leader ] && break; sleep 0.05; done
[ "$(role_of 2)" = leader ] || fail "n2 did not take over after demote"
grep -q '"manualLeader": false' "$WORK/n1/cairn.json" || fail "demote did not clear node.manualLeader"
echo "PASS"
