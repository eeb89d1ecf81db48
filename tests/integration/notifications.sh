#!/usr/bin/env bash
# Cairn's own notifications (issue 8 item 4), one node: with
# notifications.diskUsagePercent=1 the leader raises DiskUsage once (a
# Warning event with NotificationKind/Node/Value/Threshold/Active, listed
# under "Notifications" on the leader's /api/cluster entry) and never
# repeats it while it holds; restarted with the threshold at 100 (env
# override) it clears it: one Information event, the list is empty. The
# active set survives the restart in the metastore, so the clear comes from
# a process that never raised it.
source "$(dirname "$0")/lib.bash"

storage="$WORK/node"
mkdir -p "$storage"
"$CAIRN_BIN" config set --storage "$storage" -k notifications.diskUsagePercent -v 1
"$CAIRN_BIN" config set --storage "$storage" -k notifications.checkIntervalMs -v 200
# Validation: out of range is refused.
"$CAIRN_BIN" config set --storage "$storage" -k notifications.diskUsagePercent -v 101 2>/dev/null &&
  fail "diskUsagePercent 101 accepted"
start_node "$storage"
wait_healthy "$NODE_URL"

# events FILTER: the events matching FILTER (URL-encoded by curl).
events() { curl -s -m 5 -G "$NODE_URL/api/events" --data-urlencode "filter=$1" --data-urlencode count=100; }
# count_of JSON: the number of events in a /api/events answer.
count_of() { grep -o '"Id":"event-[^"]*"' | wc -l; }

t0=$(date +%s%N)
for _ in $(seq 1 200); do
  [ "$(events "NotificationKind = 'DiskUsage' and Active = true" | count_of)" -ge 1 ] && break
  sleep 0.05
done
raised=$(events "NotificationKind = 'DiskUsage' and Active = true")
[ "$(echo "$raised" | count_of)" = 1 ] || fail "no DiskUsage Warning event: $raised"
echo "DiskUsage raised after $((($(date +%s%N) - t0) / 1000000)) ms"
echo "$raised" | grep -q '"Level":"Warning"' || fail "the start is not a Warning: $raised"
echo "$raised" | grep -q 'Cairn notification: disk usage' || fail "no rendered message: $raised"
for p in '"Name":"Node"' '"Name":"Value"' '"Name":"Threshold","Value":1' '"Name":"Active","Value":true'; do
  echo "$raised" | grep -q "$p" || fail "property $p missing: $raised"
done
cluster=$(curl -s -m 5 "$NODE_URL/api/cluster")
echo "$cluster" | grep -q '"Notifications":\[{"Kind":"DiskUsage"' ||
  fail "/api/cluster lists no DiskUsage notification: $cluster"
echo "$cluster" | grep -q '^\[{"Id"' || fail "/api/cluster is no longer an array of nodes: $cluster"

# Held for ten more checks: still one event.
sleep 2
[ "$(events "NotificationKind = 'DiskUsage'" | count_of)" = 1 ] ||
  fail "DiskUsage repeated while it held: $(events "NotificationKind = 'DiskUsage'")"

# Restart with the threshold raised: the new process clears what it did not raise.
stop_node "$NODE_PID" >/dev/null
CAIRN_NOTIFICATIONS_DISKUSAGEPERCENT=100 start_node "$storage"
wait_healthy "$NODE_URL"
for _ in $(seq 1 200); do
  [ "$(events "NotificationKind = 'DiskUsage' and Active = false" | count_of)" -ge 1 ] && break
  sleep 0.05
done
cleared=$(events "NotificationKind = 'DiskUsage' and Active = false")
[ "$(echo "$cleared" | count_of)" = 1 ] || fail "no DiskUsage clear event: $cleared"
echo "$cleared" | grep -q '"Level":"Information"' || fail "the clear is not Information: $cleared"
echo "$cleared" | grep -q 'Cairn notification cleared: disk usage' || fail "no cleared message: $cleared"
cluster=$(curl -s -m 5 "$NODE_URL/api/cluster")
echo "$cluster" | grep -q '"Notifications":\[\]' || fail "/api/cluster still lists notifications: $cluster"
sleep 1
[ "$(events "NotificationKind = 'DiskUsage'" | count_of)" = 2 ] ||
  fail "expected exactly one start and one clear: $(events "NotificationKind = 'DiskUsage'")"
# A single node has no follower to miss.
[ "$(events "NotificationKind is not null and NotificationKind <> 'DiskUsage'" | count_of)" = 0 ] ||
  fail "unexpected notifications on a single node"
stop_node "$NODE_PID" >/dev/null
echo "PASS"
