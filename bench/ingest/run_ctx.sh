#!/bin/bash
# Starts a fresh node from BIN, runs ingest_load (built at /tmp/ingest_load, see README) for CLEF
# then OTLP protobuf with 2 connections (CONNECTIONS=N for more) and 1000 events per request, and
# prints events/s, server cpu-s per million events and the server's context switches (all threads,
# from /proc) per run.
# With a 4th argument, records a perf profile of each run in /tmp/ib/node-LABEL/perf-FORMAT.data.
# usage: bench/ingest/run_ctx.sh BIN LABEL [seconds] [perf]
BIN=$1; LABEL=$2; SECS=${3:-8}; PERF=$4
D=/tmp/ib/node-$LABEL; rm -rf $D; mkdir -p $D
$BIN run --storage $D/s --listen http://127.0.0.1:0 >$D/log 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null' EXIT
for i in $(seq 50); do sleep 0.2; grep -q 'listening on' $D/log && break; done
PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' $D/log | grep -o '[0-9]*$')
switches() { awk '/ctxt_switches/{s+=$2} END{print s}' /proc/$PID/task/*/status 2>/dev/null; }
# Server CPU seconds (utime + stime) from /proc/PID/stat.
cpu() { awk -v hz=$(getconf CLK_TCK) '{print ($14 + $15) / hz}' /proc/$PID/stat; }
metric() { curl -s http://127.0.0.1:$PORT/metrics | awk -v n="$1" '$1 == n {print $2}'; }
# Waits (at most 60 s) until the server used < 20 ms CPU in 0.5 s: the
# indexer may still be folding the buffered tail of the run into blocks.
settle() { local a b; a=$(cpu); for i in $(seq 120); do sleep 0.5; b=$(cpu)
  awk -v a=$a -v b=$b 'BEGIN{exit !(b - a < 0.02)}' && break; a=$b; done; }
for fmt in clef otlp; do
  PP=
  if [ -n "$PERF" ]; then
    perf record -F 999 -g -p $PID -o $D/perf-$fmt.data -- sleep $((SECS-1)) >/dev/null 2>&1 &
    PP=$!
  fi
  settle
  CS0=$(switches); C0=$(cpu); GC0=$(metric cairn_ingest_commits_total); RQ0=$(metric cairn_ingest_requests_total)
  echo "== $LABEL $fmt $(uptime | grep -o 'load.*')"
  /tmp/ingest_load --url http://127.0.0.1:$PORT --format $fmt --connections ${CONNECTIONS:-2} --events 1000 \
    --seconds $SECS --pid $PID >$D/out-$fmt
  grep -Ei 'events/s|cpu|fail|requests' $D/out-$fmt
  echo "context switches: $(( $(switches) - CS0 ))"
  awk -v c=$(( $(metric cairn_ingest_commits_total) - GC0 )) -v r=$(( $(metric cairn_ingest_requests_total) - RQ0 )) \
    'BEGIN{printf "group commits: %d for %d requests (%.2f requests per commit)\n", c, r, r / (c ? c : 1)}'
  # The full cost of the run: including the index work left when the load stopped.
  settle
  EV=$(grep -o 'events [0-9]*' $D/out-$fmt | head -1 | grep -o '[0-9]*')
  awk -v a=$C0 -v b=$(cpu) -v n=$EV 'BEGIN{printf "server cpu incl. indexing backlog: %.2f s, %.2f cpu-s per million events\n", b - a, (b - a) * 1e6 / n}'
  [ -n "$PP" ] && wait $PP
done
kill -TERM $PID; wait $PID
trap - EXIT
