#!/bin/bash
# The forward path: things -> TCP ingest -> router -> forward worker (sandbox)
# -> the service's stream port, with real sockets (tests/e2e/forward_checks.py),
# tenant isolation included.
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5 -o ingest.max_line=4096
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TA_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
expect_status 201 "create a forward service"
SVC=$(jqb .id)
PORT=$(jqb '.ports[0]')
check "the service has a stream port" test "$PORT" -gt 0
# bootstrap: a thing asks where to send, ECM style on its port and over HTTP
reply=$(printf '%s' "$TA_KEY" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: the key gets the ingest port, ECM style" test "$reply" = "{\"status\":\"OK\",\"body\":\"$INGEST_PORT\"}"
reply=$(printf 'nope\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: an unknown key gets ECM's error" test "$(printf '%s' "$reply" | jq -r .status)" = ERROR
api GET /v1/bootstrap "" "$TA_KEY"
check "GET /v1/bootstrap with the thing key names the TCP endpoint" test "$(jqb '.thing + " " + (.endpoints.tcp.port|tostring)')" = "roof $INGEST_PORT"
api GET /v1/bootstrap "" "$A"
expect_status 401 "GET /v1/bootstrap with a tenant key"
# the stream port answers by the time the creation is acknowledged
refused=0
for i in 1 2 3 4 5 6 7 8; do
	api POST /v1/services '{"kind":"forward","cpu":{"min":0,"max":0.1}}'
	P=$(jqb '.ports[0]')
	(exec 3<>/dev/tcp/127.0.0.1/"$P") 2>/dev/null || refused=$((refused + 1))
	api DELETE "/v1/services/$(jqb .id)"
done
check "a new service's stream port listens when its creation is acknowledged" test "$refused" -eq 0
register beta
B=$KEY
api POST /v1/things '{"name":"cellar"}'
TB_KEY=$(jqb .key)

curl -sN --max-time 10 -H "Authorization: Bearer $A" "$BRINK_URL/v1/services/$SVC/stream" \
	-D "$DATA_DIR/sse.headers" >"$DATA_DIR/sse.txt" &
SSE_PID=$!
sleep 0.3
count_checks < <(/usr/bin/python3 tests/e2e/forward_checks.py "$INGEST_PORT" "$PORT" "$A" roof "$TA_KEY" "$B" cellar "$TB_KEY" 2>&1)

check "SSE: text/event-stream" grep -qi '^content-type: text/event-stream' "$DATA_DIR/sse.headers"
check "SSE: every reading of the tenant arrives as a data event" test "$(grep -c '^data: {"thing":"roof"' "$DATA_DIR/sse.txt")" -eq 6
check "SSE: no line of another tenant" bash -c "! grep -q cellar '$DATA_DIR/sse.txt'"
api GET "/v1/services/$SVC/stream" "" "$B"
expect_status 404 "SSE with another tenant's key"
curl -s "$BRINK_URL/metrics" >"$DATA_DIR/metrics"
check "metrics count readings" grep -q '^brink_ingest_readings_total [1-9]' "$DATA_DIR/metrics"
check "metrics count refused lines" grep -q '^brink_ingest_refused_total{reason="line"} [1-9]' "$DATA_DIR/metrics"
check "metrics count refused authentications" grep -q '^brink_ingest_refused_total{reason="auth"} [1-9]' "$DATA_DIR/metrics"
check "metrics count delivered lines" grep -q '^brink_stream_lines_total [1-9]' "$DATA_DIR/metrics"

KEY=$A
api POST "/v1/services/$SVC/stop"
wait "$SSE_PID"
check "SSE: the stream ends when the service stops" test $? -eq 0
sleep 0.2
check "a stopped service's stream port is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"
api GET "/v1/services/$SVC/stream"
expect_status 409 "SSE of a stopped service"
api POST "/v1/services/$SVC/start"
sleep 0.2
check "started again, it listens on the same port" bash -c "(exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"

# A worker that cannot run for a moment (its CPU cap, here SIGSTOP) while
# readings come: its stream client reads what it writes once it runs again.
api GET "/v1/services/$SVC" "" "$A"
WORKER=$(jqb .worker.pid)
stopped_worker_burst() { # COUNT RATE OUT
	exec 3<>/dev/tcp/127.0.0.1/"$PORT"
	printf '%s\n' "$A" >&3
	sleep 0.3
	kill -STOP "$WORKER"
	"$BRINK" sensor simulate --port "$INGEST_PORT" --thing "roof:$TA_KEY" --count "$1" \
		--rate "$2" >/dev/null 2>&1
	sleep 0.3
	kill -CONT "$WORKER"
	timeout 3 cat <&3 >"$3"
	exec 3<&-
	sleep 0.3
}
# Readings one at a time: brinkd keeps filling one batch while frames wait
# for the worker, so its queue holds 2000 readings, not one frame a reading.
BATCHES0=$(metric brink_router_dropped_batches_total)
stopped_worker_burst 2000 2000 "$DATA_DIR/stopped.txt"
GOT=$(grep -o '"seq":[0-9]*' "$DATA_DIR/stopped.txt" | sort -u | wc -l)
DROPPED=$(($(metric brink_router_dropped_batches_total) - BATCHES0))
check "a worker stopped under 2000 single readings gets every one once it runs ($GOT)" \
	test "$GOT" -eq 2000
check "... and brinkd dropped no batch for it ($DROPPED)" test "$DROPPED" -eq 0
# More than its queue holds (32 frames of 64 KiB): the oldest readings are
# dropped, and every one is either delivered or counted.
READINGS0=$(metric brink_router_dropped_readings_total)
LOST0=$(metric brink_stream_dropped_lines_total)
stopped_worker_burst 60000 0 "$DATA_DIR/overrun.txt"
GOT=$(grep -c '"seq"' "$DATA_DIR/overrun.txt")
DROPPED=$(($(metric brink_router_dropped_readings_total) - READINGS0))
LOST=$(($(metric brink_stream_dropped_lines_total) - LOST0))
check "a worker stopped under 60000 readings loses the oldest ($DROPPED)" test "$DROPPED" -gt 0
check "... and each is delivered or counted ($GOT + $DROPPED + $LOST)" \
	test $((GOT + DROPPED + LOST)) -eq 60000
check "... the newest among the delivered" grep -q '"seq":59999[,}]' "$DATA_DIR/overrun.txt"
finish
