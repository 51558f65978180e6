#!/bin/bash
# The Node-based checks against the real brinkd: GraphQL conformance with the
# reference implementation (npm graphql) and the web console in headless
# Chromium (playwright-core). Packages come from tests/web/package-lock.json
# (npm ci); screenshots are kept in $BUILD/test-output/console.
. "$(dirname "$0")/lib.sh"
WEB=tests/web
OUT_DIR=${OUT_DIR:-$BUILD/test-output/console}

check "node and npm are installed (scripts/deps.sh)" command -v node npm
check "Debian's chromium is installed (scripts/deps.sh)" test -x /usr/bin/chromium
if ! (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) >"$DATA_DIR/npm.log" 2>&1; then
	check "npm ci in tests/web" false
	tail -5 "$DATA_DIR/npm.log"
	finish
	exit 1
fi
check "npm ci in tests/web" true

brinkd_start
api POST /v1/tenants '{"name":"webuser","password":"web-pass-1"}' ""
KEY=$(jqb .key)
api POST /v1/things '{"name":"roof","info":"north side"}'
THING_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
expect_status 201 "a forward service for the console's chart"

# run_node NAME SCRIPT ARGS...: adds the script's own counts to this test's
run_node() {
	local name=$1
	shift
	(cd "$WEB" && timeout 300 node "$@") >"$DATA_DIR/$name.log" 2>&1
	local rc=$? line p f
	grep -v '^ok ' "$DATA_DIR/$name.log" | head -40
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$DATA_DIR/$name.log" | tail -1)
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")
	E2E_PASSED=$((E2E_PASSED + ${p:-0}))
	E2E_FAILED=$((E2E_FAILED + ${f:-0}))
	check "$name ran to its end (exit $rc)" test -n "$line" -a "$rc" -eq "$([ "${f:-1}" -eq 0 ] && echo 0 || echo 1)"
}

run_node conformance conformance.mjs "$BRINK_URL" "$KEY"
BRINK_URL=$BRINK_URL TENANT=webuser PASSWORD=web-pass-1 INGEST_PORT=$INGEST_PORT THING=roof \
	THING_KEY=$THING_KEY OUT_DIR=$(realpath -m "$OUT_DIR") run_node console console.mjs
check "screenshots kept in $OUT_DIR" test "$(ls "$OUT_DIR"/*.png 2>/dev/null | wc -l)" -ge 7
finish
