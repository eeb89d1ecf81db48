#!/bin/bash
# Starts a fresh node from BIN and runs ingest_load (built at /tmp/ingest_load, see README)
# for CLEF and OTLP with 1, 2 and 4 connections; prints events/s and server cpu-s per million.
# usage: bench/ingest/run_matrix.sh BIN LABEL [seconds]
BIN=$1; LABEL=$2; SECS=${3:-6}
D=/tmp/ib/node-$LABEL; rm -rf $D; mkdir -p $D
$BIN run --storage $D/s --listen http://127.0.0.1:0 >$D/log 2>&1 &
PID=$!
for i in $(seq 50); do sleep 0.2; grep -q 'listening on' $D/log && break; done
PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' $D/log | grep -o '[0-9]*$')
for fmt in clef otlp; do for c in 1 2 4; do
  echo "== $LABEL $fmt c=$c"
  /tmp/ingest_load --url http://127.0.0.1:$PORT --format $fmt --connections $c --events 1000 --seconds $SECS --pid $PID | grep -Ei 'events/s|cpu|fail'
done; done
kill -TERM $PID; wait $PID
