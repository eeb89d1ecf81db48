#!/bin/bash
# Starts a fresh node from BIN, runs ingest_load (built at /tmp/ingest_load, see README) for CLEF
# then OTLP protobuf with 2 connections and 1000 events per request, and prints events/s, server
# cpu-s per million events and the server's context switches (all threads, from /proc) per run.
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
for fmt in clef otlp; do
  PP=
  if [ -n "$PERF" ]; then
    perf record -F 999 -g -p $PID -o $D/perf-$fmt.data -- sleep $((SECS-1)) >/dev/null 2>&1 &
    PP=$!
  fi
  CS0=$(switches)
  echo "== $LABEL $fmt $(uptime | grep -o 'load.*')"
  /tmp/ingest_load --url http://127.0.0.1:$PORT --format $fmt --connections 2 --events 1000 \
    --seconds $SECS --pid $PID | grep -Ei 'events/s|cpu|fail|requests'
  echo "context switches: $(( $(switches) - CS0 ))"
  [ -n "$PP" ] && wait $PP
done
kill -TERM $PID; wait $PID
trap - EXIT
