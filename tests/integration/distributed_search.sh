#!/usr/bin/env bash
# Searches in a sharded cluster (issue 5): four nodes, PostgreSQL metastore,
# cluster.replication=3, cluster.shards=12. The first leader is SIGKILLed;
# the new leader holds only 9 of the 12 shards below its activation
# position, so GET /api/events and /api/events/{id} must ask the holders of
# the other three. On EVERY live node (followers proxy to the leader):
#  1. the unfiltered listing, filtered searches (count), a time window
#     (fromDateUtc/toDateUtc) and afterId paging return exactly the events
#     expected from what was sent, newest first;
#  2. /api/events/{id} finds every sampled id (ids of every shard);
#  3. with one holder of the missing shards frozen (SIGSTOP) all of it is
#     still exact (its part goes to the other holder);
#  4. with every live holder of those shards frozen the leader answers 503
#     naming the shards, never a short page; ids it holds are still found.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/lib_sharded.bash"
start_sharded_cluster
ingest_replicated
fail_over

# check NODE LABEL: every search of this test through NODE is exact.
check() {
  python3 - "${URL[$1]}" "$WORK/all" "$SHARDS" "${MISSING[*]}" "$2" "$EVENTS" <<'PY'
import json, sys, urllib.request, urllib.parse, urllib.error
url, path, shards, missing, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
before = int(sys.argv[6])  # events with a smaller Seq were stored before the fail-over
missing = {int(s) for s in missing.split()}
events = [json.loads(l) for l in open(path)]
newest = sorted(events, key=lambda e: e["@t"], reverse=True)  # distinct timestamps

def get(path, **params):
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen(url + path + ("?" + q if q else ""), timeout=60) as r:
        return json.loads(r.read())

def seqs(body):
    out = []
    for ev in body:
        props = {p["Name"]: p["Value"] for p in ev["Properties"]}
        out.append(props["Seq"])
    return out

def expect(got, want, what):
    if got != want:
        raise SystemExit("%s: %s: got %d events %s..., want %d %s..." % (label, what, len(got), got[:8], len(want), want[:8]))

# 1. Unfiltered listing, everything and a short page.
body = get("/api/events", count=100000)
expect(seqs(body), [e["Seq"] for e in newest], "unfiltered listing")
ids = {p["Value"]: ev["Id"] for ev in body for p in ev["Properties"] if p["Name"] == "Seq"}
json.dump(ids, open(path + ".ids", "w"))
expect(seqs(get("/api/events", count=45)), [e["Seq"] for e in newest[:45]], "unfiltered count=45")
# Filtered with counts.
for flt, pred in [("Kind = 'k3'", lambda e: e["Kind"] == "k3"),
                  ("@Level = 'Warning' and Seq < 4000", lambda e: e["@l"] == "Warning" and e["Seq"] < 4000),
                  ("Seq = 1234", lambda e: e["Seq"] == 1234)]:
    want = [e["Seq"] for e in newest if pred(e)]
    for count in (1, 30, 100000):
        expect(seqs(get("/api/events", filter=flt, count=count)), want[:count], "filter %r count %d" % (flt, count))
# A time window: [from, to).
lo, hi = newest[4000]["@t"], newest[1000]["@t"]
want = [e["Seq"] for e in newest if lo <= e["@t"] < hi]
expect(seqs(get("/api/events", fromDateUtc=lo, toDateUtc=hi, count=100000)), want, "time window")
expect(seqs(get("/api/events", filter="Kind <> 'k1'", fromDateUtc=lo, toDateUtc=hi, count=50)),
       [e["Seq"] for e in newest if lo <= e["@t"] < hi and e["Kind"] != "k1"][:50], "filtered time window")
# 2. afterId paging through a filter and through the unfiltered listing.
for flt, pred, page in [("Seq >= 1000 and Seq < 5200", lambda e: 1000 <= e["Seq"] < 5200, 137),
                        ("", lambda e: True, 997)]:
    want = [e["Seq"] for e in newest if pred(e)]
    got, after, pages = [], None, 0
    while pages < 200:
        params = {"count": page}
        if flt:
            params["filter"] = flt
        if after:
            params["afterId"] = after
        body = get("/api/events", **params)
        pages += 1
        if not body:
            break
        got += seqs(body)
        after = body[-1]["Id"]
    expect(got, want, "afterId paging of %r by %d (%d pages)" % (flt, page, pages))
# afterId of an event in each missing shard.
for s in sorted(missing):
    # An event from before the fail-over (below the new leader's cut).
    e = next(e for e in newest[100:] if e["Seq"] < before and (int(ids[e["Seq"]][6:], 16) >> 10) % shards == s)
    at = newest.index(e)
    expect(seqs(get("/api/events", afterId=ids[e["Seq"]], count=20)),
           [x["Seq"] for x in newest[at + 1:at + 21]], "afterId in shard %d" % s)
# 3. Events by id: a sample from every shard.
by_shard = {}
for seq, i in ids.items():
    by_shard.setdefault((int(i[6:], 16) >> 10) % shards, []).append((seq, i))
sample = [x for s in sorted(by_shard) for x in by_shard[s][::max(1, len(by_shard[s]) // 15)]]
for seq, i in sample:
    ev = get("/api/events/" + i)
    assert ev["Id"] == i and seqs([ev]) == [seq], "%s: /api/events/%s -> %s" % (label, i, ev)
try:
    get("/api/events/event-00000000000003ff")  # shard 0, long before any id
    raise SystemExit("%s: a missing id was found" % label)
except urllib.error.HTTPError as e:
    assert e.code == 404, "%s: missing id answered %d" % (label, e.code)
print("  %s: listing %d, filters, window, paging, %d ids by id (shards %s) exact"
      % (label, len(events), len(sample), ",".join(str(s) for s in sorted(by_shard))))
PY
}

echo "1-2. every live node, every holder up"
for n in "${LIVE[@]}"; do
  t0=$(date +%s%N)
  for _ in $(seq 1 50); do
    check "$n" "via d$n" >"$WORK/check.out" 2>&1 && break
    sleep 0.2 # the new leader's placement view may arrive a tick later
  done
  cat "$WORK/check.out"
  grep -q "exact" "$WORK/check.out" || fail "searches through d$n"
  echo "  (d$n: $((($(date +%s%N) - t0) / 1000000)) ms)"
done

F="" G=""
for n in "${LIVE[@]}"; do [ "$n" != "$new" ] && { [ -z "$F" ] && F=$n || G=$n; }; done
echo "3. d$F (a holder of the missing shards) frozen"
kill -STOP "${PID[$F]}"
FROZEN=("${PID[$F]}")
for n in "$new" "$G"; do
  t0=$(date +%s%N)
  check "$n" "via d$n, d$F frozen" || fail "searches through d$n with d$F frozen"
  echo "  (d$n: $((($(date +%s%N) - t0) / 1000000)) ms)"
done

echo "4. d$F and d$G frozen: the missing shards have no live holder"
kill -STOP "${PID[$G]}"
FROZEN=("${PID[$F]}" "${PID[$G]}")
for q in "count=10" "filter=Kind%20%3D%20'k2'&count=10"; do
  code=$(curl -s -m 60 -o "$WORK/frozen" -w '%{http_code}' "${URL[$new]}/api/events?$q")
  echo "  /api/events?$q: $code $(head -c 200 "$WORK/frozen")"
  [ "$code" = 503 ] || fail "with every holder frozen /api/events?$q answered $code"
  grep -q "shard" "$WORK/frozen" || fail "the 503 does not name the shards"
done
# An id in a missing shard: 503; an id the leader stores: 200.
python3 - "${URL[$new]}" "$SHARDS" "${MISSING[*]}" "$WORK/all.ids" "$EVENTS" <<'PY' || fail "ids with every holder frozen"
import json, sys, urllib.request, urllib.error
url, shards, missing = sys.argv[1], int(sys.argv[2]), {int(s) for s in sys.argv[3].split()}
ids, before = json.load(open(sys.argv[4])), int(sys.argv[5])
def code(i):
    try:
        urllib.request.urlopen(url + "/api/events/" + i, timeout=60).read()
        return 200
    except urllib.error.HTTPError as e:
        return e.code
seen = {}
for seq, i in sorted(ids.items(), key=lambda kv: int(kv[0])):
    s = (int(i[6:], 16) >> 10) % shards
    key = (s, int(seq) >= before)  # (shard, stored after the fail-over)
    if key not in seen:
        seen[key] = code(i)
want = {k: 503 if k[0] in missing and not k[1] else 200 for k in seen}
print("  /api/events/{id}, (shard, after fail-over): code:",
      " ".join("(%d,%d):%d" % (k[0], k[1], c) for k, c in sorted(seen.items())))
sys.exit(0 if seen == want and any(c == 503 for c in seen.values()) else 1)
PY
thaw_all
FROZEN=()
echo "PASS"
