#!/bin/bash
# CoAP ingest with the real coap-client: things -> CoAP (UDP) -> router ->
# forward worker -> the service's stream port (tests/e2e/coap_checks.py),
# refusals (4.01 4.00 4.04 4.13 4.15) counted in /metrics, keys never logged.
. "$(dirname "$0")/lib.sh"
COAP_CLIENT=${COAP_CLIENT:-coap-client-notls}

free_udp_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Hulan "sport = :$p" | grep -q . || ss -Htln "sport = :$p" | grep -q . ||
			{ echo "$p"; return; }
	done
}
COAP_PORT=$(free_udp_port)
STREAM_PORT=$(free_port)

brinkd_start -o cpu.capacity=1.5 -o ingest.max_line=1024 -o coap.port="$COAP_PORT" \
	-o ports.first="$STREAM_PORT" -o ports.last="$STREAM_PORT"
check "brinkd listens on the CoAP port" bash -c "ss -Hulan 'sport = :$COAP_PORT' | grep -q ."
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TA_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
expect_status 201 "create a forward service"
PORT=$(jqb '.ports[0]')
check "the service has its stream port" test "$PORT" = "$STREAM_PORT"
register beta
api POST /v1/things '{"name":"cellar"}'
TB_KEY=$(jqb .key)

EXP_AUTH=-1
EXP_LINE=-1
while read -r word ok rest; do
	case $word in
	CHECK)
		if [ "$ok" = 1 ]; then
			E2E_PASSED=$((E2E_PASSED + 1)); echo "ok   $TEST_NAME: $rest"
		else
			E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL $TEST_NAME: $rest"
		fi ;;
	EXPECT) [ "$ok" = auth ] && EXP_AUTH=$rest; [ "$ok" = line ] && EXP_LINE=$rest ;;
	*) echo "$word $ok $rest" ;;
	esac
done < <(/usr/bin/python3 tests/e2e/coap_checks.py "$COAP_CLIENT" "$COAP_PORT" "$PORT" "$A" \
	roof "$TA_KEY" cellar "$TB_KEY" 2>&1)

curl -s "$BRINK_URL/metrics" >"$DATA_DIR/metrics"
check "metrics count the refused keys ($EXP_AUTH)" \
	grep -qx "brink_ingest_refused_total{reason=\"auth\"} $EXP_AUTH" "$DATA_DIR/metrics"
check "metrics count the other refused requests ($EXP_LINE)" \
	grep -qx "brink_ingest_refused_total{reason=\"line\"} $EXP_LINE" "$DATA_DIR/metrics"
check "metrics count the malformed datagrams libcoap dropped (3 or more)" \
	bash -c "grep -q '^brink_ingest_refused_total{reason=\"malformed\"} \([3-9]\|[1-9][0-9]\)$' '$DATA_DIR/metrics'"
check "metrics count the accepted readings (6)" \
	grep -qx 'brink_ingest_readings_total 6' "$DATA_DIR/metrics"
check "malformed datagrams are logged at most 3 times" \
	test "$(grep -c 'coap: discard' "$DATA_DIR/brinkd.log")" = 3
check "refusals are logged" grep -q 'coap 127.0.0.1: 4\.' "$DATA_DIR/brinkd.log"
check "... at most once per peer in 10 s" \
	test "$(grep -c 'coap 127.0.0.1: 4\.' "$DATA_DIR/brinkd.log")" = 1
check "no thing key is ever logged" \
	bash -c "! grep -q -e '$TA_KEY' -e '$TB_KEY' -e AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA '$DATA_DIR/brinkd.log'"
finish
