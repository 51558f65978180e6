#!/bin/bash
# The service's stream-port clients, written to by its worker itself
# (src/router/stream.c hands their sockets over, src/worker/clients.c
# writes): tests/e2e/handover_checks.py, then the end of the stream.
. "$(dirname "$0")/lib.sh"
brinkd_start
register alpha
api POST /v1/things '{"name":"roof"}'
T_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SVC=$(jqb .id)
PORT=$(jqb '.ports[0]')
api GET "/v1/services/$SVC"
WORKER=$(jqb .worker.pid)
LIMIT=$(sed -n 's/^#define BRINK_WIRE_MAX_CLIENTS \([0-9]*\).*/\1/p' include/brink/wire.h)
check "the forward worker runs" alive "$WORKER"
count_checks < <(cd tests/e2e && /usr/bin/python3 handover_checks.py "$INGEST_PORT" "$PORT" "$KEY" roof "$T_KEY" "$WORKER" "$LIMIT" "$BRINK_URL/metrics" 2>&1)
check "the worker logged the stalled client it dropped lines for" grep -q 'is too slow: dropping lines' "$DATA_DIR/brinkd.log"

# brinkd takes the worker's RESULTS only while it has someone to give them
# to (TAP): with a handed-over client alone the worker sends brinkd only its
# counts (OUTPUT); an SSE reader brings the RESULTS back, one frame per
# batch. Counted with strace: RESULTS frames (magic 0xb1, version 1, type 6)
# sent on the data channel while 100 readings arrive 5 ms apart.
DATA_FD=$(tr '\0' '\n' </proc/"$WORKER"/cmdline | sed -n '/^--data-fd$/{n;p}')
exec 4<>/dev/tcp/127.0.0.1/"$INGEST_PORT"
printf '{"thing":"roof","key":"%s"}\n' "$T_KEY" >&4
exec 3<>/dev/tcp/127.0.0.1/"$PORT"
printf '%s\n' "$KEY" >&3
data_sends() { # -> RESULTS frames sent to brinkd during 100 readings
	timeout 3 strace -qq -p "$WORKER" -e trace=sendto,sendmsg -o "$DATA_DIR/strace.txt" 2>/dev/null &
	local sp=$!
	sleep 0.5
	for i in $(seq 100); do printf '{"temp":"1","seq":%d}\n' "$i" >&4; sleep 0.005; done
	wait "$sp"
	grep -c "^send[a-z]*($DATA_FD, \"\\\\261\\\\1\\\\6" "$DATA_DIR/strace.txt"
}
sleep 0.3
quiet=$(data_sends)
check "with only the worker's own client, brinkd is not sent the results ($quiet RESULTS frames)" test "$quiet" -eq 0
curl -sN --max-time 6 -H "Authorization: Bearer $KEY" "$BRINK_URL/v1/services/$SVC/stream" >"$DATA_DIR/sse.txt" &
SSE=$!
sleep 0.3
tapped=$(data_sends)
check "an SSE reader brings the results back to brinkd ($tapped RESULTS frames)" test "$tapped" -ge 50
check "... and it receives the readings" test "$(grep -c '"seq"' "$DATA_DIR/sse.txt")" -ge 90
kill "$SSE" 2>/dev/null
wait "$SSE" 2>/dev/null
sleep 0.3
again=$(data_sends)
# (brinkd notices an SSE reader left when a write to it fails: a batch or two still go)
check "once it left, they stop again ($again RESULTS frames)" test "$again" -le 5
check "the worker's client got every reading" test "$(timeout 1 cat <&3 | grep -c '"seq"')" -ge 300
exec 3<&- 4<&-

# When the service stops, the stream ends for a client the worker wrote to.
exec 3<>/dev/tcp/127.0.0.1/"$PORT"
printf '%s\n' "$KEY" >&3
sleep 0.3
api POST "/v1/services/$SVC/stop"
check "a worker's client sees the stream end when the service stops" timeout 5 cat <&3
exec 3<&-
check "the worker is gone" all_dead "$WORKER"
finish
