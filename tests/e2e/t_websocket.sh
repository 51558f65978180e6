#!/bin/bash
# GET /v1/services/{id}/stream as a WebSocket (RFC 6455), with a hand-written
# client (tests/e2e/ws_checks.py): handshake, readings as text messages, ping,
# close, tenant isolation, the end of the stream when the service stops, and
# brinkd stopping cleanly with a client still connected.
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TA_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.4}}'
expect_status 201 "create a forward service"
SVC=$(jqb .id)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.4}}'
expect_status 201 "create a second forward service"
SVC2=$(jqb .id)
register beta
B=$KEY

ws() {
	local word ok rest
	count_checks < <(/usr/bin/python3 tests/e2e/ws_checks.py "$@" 2>&1)
}

ws checks "$API_PORT" "$INGEST_PORT" "$SVC" "$A" roof "$TA_KEY" "$B"
ws stopped "$API_PORT" "$SVC" "$A"
KEY=$A
api GET "/v1/services/$SVC/stream"
expect_status 409 "plain GET of a stopped service's stream"

# a client still connected when brinkd stops gets "going away"
/usr/bin/python3 tests/e2e/ws_checks.py hold "$API_PORT" "$SVC2" "$A" "$DATA_DIR/hold.txt" &
HOLD_PID=$!
for _ in $(seq 1 50); do grep -q status "$DATA_DIR/hold.txt" 2>/dev/null && break; sleep 0.1; done
check "a client holds a WebSocket" grep -q '^status 101' "$DATA_DIR/hold.txt"
sleep 0.3
brinkd_stop
check "brinkd exits cleanly with a WebSocket client connected (status 0)" test $? -eq 0
wait "$HOLD_PID"
check "... which got close 1001 (going away)" grep -q '^close 1001' "$DATA_DIR/hold.txt"
finish
