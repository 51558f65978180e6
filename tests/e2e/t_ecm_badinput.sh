#!/bin/bash
# The ECM front end under bad input: requests split byte by byte, empty
# connections, oversize, wrong types, garbage, silence, idle connections; and
# configurations it must refuse. The server keeps serving throughout.
. "$(dirname "$0")/lib.sh"
OFFSET=$(ecm_offset)
# ECM's ports inside the range handed to tenants: refused at start
"$BRINKD" -o data_dir="$DATA_DIR/x" -o api.port="$API_PORT" -o ecm.enabled=true \
	-o ecm.port_offset=0 -o ports.first=4000 -o ports.last=6000 2>"$DATA_DIR/refused.log"
check "ECM's ports inside ports.first..ports.last: brinkd refuses to start" \
	grep -q "lies in ports.first..ports.last" "$DATA_DIR/refused.log"
# brink's bootstrap on ECM's bootstrap port: the ECM front end answers both kinds of key
brinkd_start -o ecm.enabled=true -o ecm.port_offset="$OFFSET" -o ecm.timeout_ms=700 \
	-o bootstrap.port=$((3000 + OFFSET))
register rest-user
api POST /v1/things '{"name":"roof"}'
reply=$(printf '%s' "$(jqb .key)" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((3000 + OFFSET)); cat >&3; cat <&3")
check "one bootstrap port: a brink thing key gets brink's ingest port" \
	test "$reply" = "{\"status\": \"OK\", \"body\": \"$INGEST_PORT\"}"
check "brink's own bootstrap listener stayed off" grep -q "is served by the ECM front end" "$DATA_DIR/brinkd.log"
# a REST tenant's key works on the ECM ports (its block made on first use);
# deleted through REST, its ECM ports close
reply=$(printf '%s' "$KEY" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((3000 + OFFSET)); cat >&3; cat <&3")
DEV=$(printf '%s' "$reply" | jq -r .body)
check "a brink tenant key gets an ECM device port" test "$DEV" -ge "$PORTS_FIRST"
check "which listens" bash -c "exec 3<>/dev/tcp/127.0.0.1/$DEV"
api DELETE /v1/tenant
expect_status 204 "REST unsubscribe of that tenant"
sleep 0.3
check "its ECM device port is closed" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$DEV) 2>/dev/null"
count_checks < <(/usr/bin/python3 tests/e2e/ecm_checks.py "$OFFSET" bad_input "$DATA_DIR/ecm.state" 2>&1)
check "brinkd is still running" alive "$BRINKD_PID"
finish
