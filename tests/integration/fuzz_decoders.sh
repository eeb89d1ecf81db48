#!/usr/bin/env bash
# Builds the ingest decoder fuzzers (tests/fuzz/*_fuzz.cpp) with clang's
# libFuzzer + ASan + UBSan and runs each for a bounded time; fails on any
# crash, leak or sanitizer report. Env: CAIRN_SOURCE_DIR (repo root),
# FUZZ_SECONDS (default 15 per target).
set -euo pipefail
src="${CAIRN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
seconds="${FUZZ_SECONDS:-15}"
if ! command -v clang++ >/dev/null; then
  echo "clang++ not installed: cannot build fuzzers" >&2
  exit 1
fi
work="$(mktemp -d /tmp/cairn-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT

flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I "$src")
# Decoder sources compiled once (without the fuzzer main) and linked into each target.
objs=()
for cpp in "$src"/net/decode/*.cpp "$src"/storage/json_escape.cpp; do
  obj="$work/$(basename "${cpp%.cpp}").o"
  clang++ "${flags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=fuzzer-no-link,address,undefined}" -c "$cpp" -o "$obj"
  objs+=("$obj")
done

status=0
for target in "$src"/tests/fuzz/*_fuzz.cpp; do
  name="$(basename "${target%.cpp}")"
  case "$name" in query_parser_fuzz | http_request_fuzz) continue ;; esac # fuzz_query_http.sh
  clang++ "${flags[@]}" "$target" "${objs[@]}" -lsimdjson -lz -o "$work/$name"
  mkdir -p "$work/corpus-$name"
  echo "== $name (${seconds}s)"
  if ! (cd "$work" && "./$name" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        "corpus-$name" >"$work/$name.log" 2>&1); then
    echo "FAIL: $name" >&2
    tail -50 "$work/$name.log" >&2
    status=1
  else
    tail -1 "$work/$name.log"
  fi
done
exit $status
