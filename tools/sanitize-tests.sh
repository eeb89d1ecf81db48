#!/usr/bin/env bash
# Builds the unit-test executables (<room>_tests) with ASan + UBSan
# (CMake option CAIRN_SANITIZE) and runs them; any sanitizer report fails.
# The long integration scripts are not run here.
#
# Usage: tools/sanitize-tests.sh [BUILD_DIR]   (default /build-asan)
# Env: JOBS (default 2), ROOMS (default "storage query net actors").
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-/build-asan}"
jobs="${JOBS:-2}"
rooms=(${ROOMS:-storage query net actors})

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON \
  -DCAIRN_NATIVE=OFF "${launcher[@]}" >/dev/null

targets=()
for room in "${rooms[@]}"; do targets+=("${room}_tests"); done
cmake --build "$build" --target "${targets[@]}" -j"$jobs"

# halt_on_error + abort: the first report stops the executable with a
# non-zero status; detect_leaks covers LSan too.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for room in "${rooms[@]}"; do
  exe=$(find "$build/tests" -maxdepth 2 -name "${room}_tests" -type f | head -1)
  [ -n "$exe" ] || { echo "no ${room}_tests in $build" >&2; status=1; continue; }
  echo "== $room"
  log="$build/${room}_tests.sanitize.log"
  if ! (cd "$build" && CAIRN_BIN="$build/tools/cairn" "$exe" >"$log" 2>&1); then
    echo "FAIL: $room (log: $log)" >&2
    grep -m 5 -A 25 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' "$log" >&2 ||
      tail -40 "$log" >&2
    status=1
  else
    tail -2 "$log"
  fi
done
exit $status
