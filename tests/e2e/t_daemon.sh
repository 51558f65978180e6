#!/bin/bash
# brinkd itself: configuration sources, the data-directory lock, SIGHUP reload,
# clean shutdown, health and metrics.
. "$(dirname "$0")/lib.sh"

OUT=$("$BRINKD" --print-config)
check "--print-config prints every contract key" bash -c "for k in data_dir api.port ingest.tcp.port coap.port mqtt.port ecm.enabled ecm.port_offset cpu.capacity runtime.default; do grep -q \"^\$k = \" <<<'$OUT' || exit 1; done"
check "defaults: api.port 8080, runtime sandbox" bash -c "grep -q '^api.port = 8080$' <<<'$OUT' && grep -q '^runtime.default = sandbox$' <<<'$OUT'"
cat >"$DATA_DIR/brink.ini" <<INI
# a comment
[api]
port = 9999
[cpu]
capacity = 1.25
INI
OUT=$("$BRINKD" -c "$DATA_DIR/brink.ini" -o api.port=9998 --print-config)
check "-c sets keys, -o wins over the file" bash -c "grep -q '^api.port = 9998$' <<<'$OUT' && grep -q '^cpu.capacity = 1.25$' <<<'$OUT'"
"$BRINKD" -o api.port=70000 --print-config >/dev/null 2>"$DATA_DIR/err"
check "an out-of-range value is refused with exit 2" test $? -eq 2
check "... and a message naming the key" grep -q api.port "$DATA_DIR/err"
"$BRINKD" -o no.such.key=1 --print-config >/dev/null 2>&1
check "an unknown key is refused" test $? -eq 2
printf '[api\nport=1\n' >"$DATA_DIR/bad.ini"
"$BRINKD" -c "$DATA_DIR/bad.ini" --print-config >/dev/null 2>"$DATA_DIR/err"
check "a malformed file is refused with its line" bash -c "grep -q 'line 1' '$DATA_DIR/err'"

echo "[cpu]" >"$DATA_DIR/reload.ini"
echo "capacity = 1.5" >>"$DATA_DIR/reload.ini"
brinkd_start -c "$DATA_DIR/reload.ini"
register alpha
api GET /v1/system
check "system shows capacity 1.5" test "$(jqb .capacity)" = 1.5
check "system lists the sandbox runtime as available" test "$(jqb .runtimes.sandbox)" = available

"$BRINKD" -o data_dir="$DATA_DIR" -o api.port="$(free_port)" 2>"$DATA_DIR/second.log"
check "a second brinkd on the same data dir refuses to start" test $? -ne 0
check "... saying why" grep -q "another brinkd" "$DATA_DIR/second.log"

echo "[cpu]" >"$DATA_DIR/reload.ini"
echo "capacity = 1.0" >>"$DATA_DIR/reload.ini"
kill -HUP "$BRINKD_PID"
sleep 0.3
api GET /v1/system
check "SIGHUP reloads cpu.capacity" test "$(jqb .capacity)" = 1
check "brinkd still runs after SIGHUP" kill -0 "$BRINKD_PID"

api GET /healthz ""
expect_status 200 "healthz"
curl -s "$BRINK_URL/metrics" >"$DATA_DIR/metrics"
check "metrics: tenants gauge" grep -q '^brink_tenants 1$' "$DATA_DIR/metrics"
check "metrics: services by state" grep -q '^brink_services{state="running"} 0$' "$DATA_DIR/metrics"
check "metrics: cpu assigned" grep -q '^brink_cpu_assigned_cores ' "$DATA_DIR/metrics"
check "metrics: latency histogram" grep -q '^brink_http_request_duration_seconds_bucket{le="+Inf"} [1-9]' "$DATA_DIR/metrics"

brinkd_stop
check "SIGTERM: clean exit 0" test $? -eq 0
check "shutdown logged" grep -q "shutting down" "$DATA_DIR/brinkd.log"
finish
