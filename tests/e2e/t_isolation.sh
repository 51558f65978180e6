#!/bin/bash
# The isolation matrix between two tenants: no ingest (TCP, CoAP, CoAP over
# DTLS) and no stream path (stream port, SSE, WebSocket) lets tenant B
# receive tenant A's readings (tests/e2e/isolation_checks.py), and B cannot
# learn A's thing names or ids: another tenant's id answers exactly as an id
# that does not exist, and no error message echoes a name.
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5
register alpha
A=$KEY
api POST /v1/things '{"name":"attic"}'
TA=$(jqb .key)
TA_ID=$(jqb .id)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SA=$(jqb .id)
PA=$(jqb '.ports[0]')
register beta
B=$KEY
api POST /v1/things '{"name":"roof"}'
TB=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SB=$(jqb .id)
PB=$(jqb '.ports[0]')

ENDED=0
while read -r word ok rest; do
	[ "$word" = END ] && ENDED=1
	[ "$word" = CHECK ] || { echo "$word $ok $rest"; continue; }
	if [ "$ok" = 1 ]; then
		E2E_PASSED=$((E2E_PASSED + 1)); echo "ok   $TEST_NAME: $rest"
	else
		E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL $TEST_NAME: $rest"
	fi
done < <(cd tests/e2e && /usr/bin/python3 isolation_checks.py "$API_PORT" "$INGEST_PORT" "$COAP_PORT" \
	"$COAPS_PORT" "$A" "$SA" "$PA" alpha attic "$TA" "$B" "$SB" "$PB" beta roof "$TB" 2>&1)
check "isolation_checks.py ran to its end" test "$ENDED" = 1

# B asks about A's ids: the same answer as for ids that do not exist
MISSING=0123456789abcdef
KEY=$B
same_as_missing() { # METHOD PATH-WITH-ID ID
	api "$1" "$2"
	local s1=$STATUS b1=${BODY//$3/ID}
	api "$1" "${2//$3/$MISSING}"
	local s2=$STATUS b2=${BODY//$MISSING/ID}
	[ "$s1" = 404 ] && [ "$s1" = "$s2" ] && [ "$b1" = "$b2" ] && ! grep -q attic <<<"$b1"
}
check "GET another tenant's thing answers as a missing one" same_as_missing GET "/v1/things/$TA_ID" "$TA_ID"
check "DELETE another tenant's thing answers as a missing one" same_as_missing DELETE "/v1/things/$TA_ID" "$TA_ID"
check "rotating another tenant's thing key answers as a missing one" same_as_missing POST "/v1/things/$TA_ID/key" "$TA_ID"
check "GET another tenant's service answers as a missing one" same_as_missing GET "/v1/services/$SA" "$SA"
check "another tenant's service stream answers as a missing one" same_as_missing GET "/v1/services/$SA/stream" "$SA"
api GET /v1/things
check "B's thing list does not show A's things" bash -c "! grep -q -e attic -e '$TA_ID' <<<'$BODY'"
api GET /v1/bootstrap "" "$TA"
check "A's thing key still works after all that (nothing was changed)" test "$(jqb .thing)" = attic
finish
