#!/usr/bin/env bash
# The web UI in a real browser: Debian's chromium driven by playwright-core
# (tests/ui/ui_test.mjs) against one node loaded with generated events and
# a trace. Screenshots go to <build>/test-artifacts/ui/*.png. Fails, never
# skips, when chromium or node is missing (tools/install-deps.sh installs them).
source "$(dirname "$0")/lib.bash"

UI_TESTS="${CAIRN_SOURCE_DIR:?CAIRN_SOURCE_DIR must point at the source tree}/tests/ui"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing (apt-get install chromium; tools/install-deps.sh does)"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs npm)"
if [ ! -d "$UI_TESTS/node_modules/playwright-core" ]; then
  (cd "$UI_TESTS" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $UI_TESTS failed"
fi
ARTIFACTS=$(cd "$(dirname "$CAIRN_BIN")/.." && pwd)/test-artifacts/ui
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

start_node "$WORK/node"
wait_healthy "$NODE_URL"
set +e
CHROMIUM="$CHROMIUM" timeout 300 node "$UI_TESTS/ui_test.mjs" "$NODE_URL" "$ARTIFACTS"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -30 "$WORK/node.log" >&2; fail "browser test exited with $rc (screenshots: $ARTIFACTS)"; }
ls "$ARTIFACTS"/*.png >/dev/null 2>&1 || fail "no screenshots in $ARTIFACTS"
stop_node "$NODE_PID" >/dev/null
echo "PASS (screenshots: $ARTIFACTS)"
