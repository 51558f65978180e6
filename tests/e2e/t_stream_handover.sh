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

# When the service stops, the stream ends for a client the worker wrote to.
exec 3<>/dev/tcp/127.0.0.1/"$PORT"
printf '%s\n' "$KEY" >&3
sleep 0.3
api POST "/v1/services/$SVC/stop"
check "a worker's client sees the stream end when the service stops" timeout 5 cat <&3
exec 3<&-
check "the worker is gone" all_dead "$WORKER"
finish
