#!/usr/bin/env bash
# ASan + UBSan run: builds the unit-test executables (<room>_tests) and the
# cairn server with -fsanitize=address,undefined at -O1 (CMake option
# CAIRN_SANITIZE) in their own build directory, runs every unit test and a
# handful of fast integration scripts against the sanitized server. Any
# sanitizer report fails the run, including reports from server processes
# that a script killed or whose exit status it ignores: every process writes
# its reports to BUILD_DIR/sanitizer-logs/ (ASAN_OPTIONS log_path), and any
# file there is a finding.
#
# Usage: tools/sanitize-tests.sh [BUILD_DIR]   (default $REPO/build-asan)
# Env: JOBS (default: nproc), ROOMS (default "storage query net actors"),
#      INTEGRATION (default "node_lifecycle http_limits permissions
#      kill_durability replication_quorum"; "" = none, and then the server
#      itself is not built: the net room's Beast translation units dominate
#      the build time).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build-asan}"
jobs="${JOBS:-$(nproc)}"
rooms=(${ROOMS:-storage query net actors})
integration=(${INTEGRATION-node_lifecycle http_limits permissions kill_durability replication_quorum})
started=$(date +%s)

# Step 1: build. -O1 keeps the run fast; -g1 gives file:line in reports.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DCAIRN_SANITIZE=ON -DCAIRN_NATIVE=OFF "${launcher[@]}" >/dev/null
targets=()
[ ${#integration[@]} -gt 0 ] && targets+=(cairn)
for room in "${rooms[@]}"; do targets+=("${room}_tests"); done
cmake --build "$build" --target "${targets[@]}" -j"$jobs"
built=$(date +%s)

# Step 2: sanitizer settings for every process below. halt_on_error: the
# first report ends the process; detect_leaks covers LSan. Suppressions:
# benign UBSan reports inside CAF headers (docs: shared/notes/toolchain.md).
logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
supp="$build/ubsan.supp"
printf '%s\n' 'null:init_fun_factory.hpp' 'null:shared_ptr_base.h' >"$supp"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$src/tools/lsan.supp"
status=0

# Step 3: unit tests.
for room in "${rooms[@]}"; do
  exe="$build/tests/${room}_tests"
  [ -x "$exe" ] || { echo "no $exe" >&2; status=1; continue; }
  log="$build/${room}_tests.sanitize.log"
  if (cd "$build" && CAIRN_BIN="$build/tools/cairn" "$exe" >"$log" 2>&1); then
    echo "== $room: $(grep -E '^\[doctest\] (test cases|assertions)' "$log" | tr '\n' ' ')"
  else
    echo "FAIL: ${room}_tests (log: $log)" >&2
    tail -30 "$log" >&2
    status=1
  fi
done

# Step 4: integration scripts against the sanitized server.
for name in "${integration[@]}"; do
  script="$src/tests/integration/$name.sh"
  [ -f "$script" ] || { echo "no $script" >&2; status=1; continue; }
  log="$build/integration-$name.sanitize.log"
  t0=$(date +%s)
  if CAIRN_BIN="$build/tools/cairn" CAIRN_SOURCE_DIR="$src" timeout 600 bash "$script" >"$log" 2>&1; then
    echo "== integration $name: PASS ($(( $(date +%s) - t0 )) s)"
  else
    echo "FAIL: integration $name (log: $log)" >&2
    tail -30 "$log" >&2
    status=1
  fi
done

# Step 5: any report from any process is a failure.
if compgen -G "$logs/*" >/dev/null; then
  echo "FAIL: sanitizer reports:" >&2
  for f in "$logs"/*; do
    echo "--- $f" >&2
    head -40 "$f" >&2
  done
  status=1
fi
echo "sanitizer run: build $(( built - started )) s, tests $(( $(date +%s) - built )) s, status $status"
exit $status
