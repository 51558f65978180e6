#!/bin/bash
# MQTT through brinkd's own Mosquitto: things publish (mosquitto_pub, paho,
# brink sensor simulate) -> brink-mqtt-auth.so checks them with brinkd ->
# brinkd's client -> router -> forward worker -> the service's MQTT topic and
# its TCP stream port. Refusals (wrong key, another thing's or tenant's topic,
# wildcards across tenants, the batch topics brinkd and its plugin share),
# key rotation, the broker killed and restarted, no broker left behind by a
# stop or a kill -9.
. "$(dirname "$0")/lib.sh"
PAHO="/usr/bin/python3 tests/e2e/mqtt_client.py"

broker_pids() { pgrep -f "mosquitto -c $DATA_DIR/mosquitto.conf"; }
# The MQTT lines of FILE carry "seq" numbers that follow each other from the
# first on, at least 300 of them: no gap, no duplicate.
every_line_once() {
	/usr/bin/python3 -c '
import json, sys
seqs = [json.loads(l.split(" ", 1)[1])["seq"] for l in open(sys.argv[1]) if l.startswith("brink/")]
assert len(seqs) >= 300, len(seqs)
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a gap or a duplicate"
' "$1"
}
# How many times brinkd handed a service its own broker connection.
handovers() { grep -c 'its broker connection handed to its worker' "$DATA_DIR/brinkd.log"; }
# The pid of service $1's worker (its cgroup is unit-<id in decimal>).
unit_worker() {
	local id p
	id=$(/usr/bin/python3 -c 'import sys; print(int(sys.argv[1], 16))' "$1")
	for p in $(pgrep -P "$BRINKD_PID" -f brink-worker); do
		grep -q "/unit-$id\$" "/proc/$p/cgroup" && echo "$p"
	done
}
sub() { mosquitto_sub -p "$MQTT_PORT" -u "$1" -P "$2" -t "$3" -v -W "${4:-4}"; }
pub() { mosquitto_pub -p "$MQTT_PORT" -u "$1" -P "$2" -t "$3" -m "$4" -q 1 2>/dev/null; }

brinkd_start -o cpu.capacity=1.5
check "brinkd starts its broker and connects to it" wait_metric brink_mqtt_connected 1
check "the broker's plugin and brinkd's client use batches" \
	wait_grep 'plugin batches readings and output' "$DATA_DIR/brinkd.log"
check "the broker runs unprivileged" test "$(ps -o user= -p "$(broker_pids | head -1)")" = mosquitto
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TK=$(jqb .key)
api POST /v1/things '{"name":"door"}'
TD=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SVC=$(jqb .id)
PORT=$(jqb '.ports[0]')
register beta
B=$KEY
api POST /v1/things '{"name":"cellar"}'
TB=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
SVCB=$(jqb .id)
OUT_A="brink/alpha/services/$SVC/out"

# bootstrap names the MQTT endpoint
api GET /v1/bootstrap "" "$TK"
check "GET /v1/bootstrap: the MQTT port, username and topic" test \
	"$(jqb '[.endpoints.mqtt.port, .endpoints.mqtt.username, .endpoints.mqtt.topic] | join(" ")')" = \
	"$MQTT_PORT alpha/roof brink/alpha/things/roof"
reply=$(printf '%s mqtt\n' "$TK" | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BOOTSTRAP_PORT; cat >&3; cat <&3")
check "bootstrap port: '<key> mqtt' gets the MQTT port" test "$reply" = "{\"status\":\"OK\",\"body\":\"$MQTT_PORT\"}"

# no MQTT reader yet: the service's lines are not published (the stream path pays nothing)
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"10"}'
check "a reading in over MQTT" wait_metric brink_stream_lines_total 1
check "no MQTT reader: nothing published" test "$(metric brink_mqtt_published_total)" = 0

# subscribers: alpha's client (mosquitto_sub), alpha's TCP stream client, and
# beta trying alpha's topic, a wildcard across tenants and everything
sub alpha "$A" "$OUT_A" 6 >"$DATA_DIR/a.txt" 2>&1 &
SUB_A=$!
timeout 6 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '%s\n' '$A' >&3; cat <&3" >"$DATA_DIR/tcp.txt" 2>/dev/null &
TCP_A=$!
sub beta "$B" "$OUT_A" 6 >"$DATA_DIR/b1.txt" 2>&1 &
B1=$!
sub beta "$B" 'brink/+/services/+/out' 6 >"$DATA_DIR/b2.txt" 2>&1 &
B2=$!
sub beta "$B" '#' 6 >"$DATA_DIR/b3.txt" 2>&1 &
B3=$!
$PAHO sub "$MQTT_PORT" beta "$B" 'brink/alpha/#' 6 >"$DATA_DIR/b4.txt" 2>&1 &
B4=$!
sub beta "$B" '$brink/in' 6 >"$DATA_DIR/b5.txt" 2>&1 &
B5=$!
sub beta "$B" "brink/beta/services/$SVCB/out" 6 >"$DATA_DIR/b6.txt" 2>&1 &
B6=$!
sleep 1
for i in 1 2 3; do pub alpha/roof "$TK" brink/alpha/things/roof "{\"temp\":\"2$i.0\",\"seq\":$i}"; done
$PAHO pub "$MQTT_PORT" alpha/door "$TD" brink/alpha/things/door 2 >"$DATA_DIR/paho-pub.txt" 2>&1
cli sensor simulate --protocol mqtt --port "$MQTT_PORT" --thing "alpha/roof:$TK" --count 4 --rate 50
check "brink sensor simulate --protocol mqtt sends its readings" test "$RC" = 0 -a "${OUT:0:7}" = "sent 4 "
# refusals
pub alpha/roof wrongkeywrongkeywrongkeywrongkey brink/alpha/things/roof '{"temp":"99"}'
check "a wrong key is refused" test $? -ne 0
pub beta/roof "$TK" brink/beta/things/roof '{"temp":"99"}'
check "a thing key under another tenant's name is refused" test $? -ne 0
pub alpha "$TK" brink/alpha/things/roof '{"temp":"99"}'
check "a thing key is no tenant key" test $? -ne 0
pub alpha/roof "$TK" brink/alpha/things/door '{"temp":"98"}'
pub alpha/roof "$TK" brink/beta/things/cellar '{"temp":"97"}'
pub alpha "$A" brink/alpha/things/roof '{"temp":"96"}'
# a batch record (u16 topic length, u32 payload length, topic, payload) aimed
# at beta's output, sent on the topic only brinkd's client may use
batch_to() { # TOPIC PAYLOAD
	/usr/bin/python3 -c 'import struct, sys; t, p = (a.encode() for a in sys.argv[1:3]); sys.stdout.buffer.write(struct.pack(">HI", len(t), len(p)) + t + p)' "$1" "$2"
}
batch_to "brink/beta/services/$SVCB/out" '{"temp":"95"}' >"$DATA_DIR/batch.bin"
mosquitto_pub -p "$MQTT_PORT" -u alpha/roof -P "$TK" -t '$brink/out' -f "$DATA_DIR/batch.bin" -q 1 2>/dev/null
mosquitto_pub -p "$MQTT_PORT" -u alpha -P "$A" -t '$brink/out' -f "$DATA_DIR/batch.bin" -q 1 2>/dev/null
wait $SUB_A $TCP_A $B1 $B2 $B3 $B4 $B5 $B6
check "alpha's MQTT client gets every reading of roof and door" test \
	"$(grep -c "^$OUT_A {\"thing\":\"\(roof\|door\)\",\"received\":" "$DATA_DIR/a.txt")" -eq 9
check "... with the gateway's receive time and the reading's fields" grep -q '"temp":"21.0","seq":1}$' "$DATA_DIR/a.txt"
check "paho's readings (QoS 1, MQTT 5) arrive" test "$(grep -c '"thing":"door"' "$DATA_DIR/a.txt")" -eq 2
check "the same readings reach the service's TCP stream" test "$(grep -c '^{"thing":"\(roof\|door\)"' "$DATA_DIR/tcp.txt")" -eq 9
check "a thing cannot publish on another thing's topic" bash -c "! grep -q '\"98\"' '$DATA_DIR/a.txt' '$DATA_DIR/tcp.txt'"
check "a tenant's client cannot publish readings" bash -c "! grep -q '\"96\"' '$DATA_DIR/a.txt'"
check "beta cannot subscribe to alpha's output" grep -q 'denied' "$DATA_DIR/b1.txt"
check "beta cannot subscribe across tenants (brink/+/...)" grep -q 'denied' "$DATA_DIR/b2.txt"
check "beta cannot subscribe to #" grep -q 'denied' "$DATA_DIR/b3.txt"
check "paho: beta's subscription to brink/alpha/# is refused (128)" grep -qx 'SUBACK 128' "$DATA_DIR/b4.txt"
check "beta cannot subscribe to \$brink/in (every tenant's readings)" grep -q 'denied' "$DATA_DIR/b5.txt"
check "beta receives nothing at all" bash -c "! grep -q -e '^brink' -e '^MSG' -e '^\\\$' '$DATA_DIR'/b[1-6].txt"
check "neither a thing nor a tenant's client can publish on \$brink/out" \
	bash -c "! grep -q '\"95\"' '$DATA_DIR'/b6.txt"
check "alpha's thing reaches none of beta's services" bash -c "! grep -q '\"97\"' '$DATA_DIR/a.txt' '$DATA_DIR/tcp.txt'"
check "refused logins are counted" test "$(metric 'brink_mqtt_refused_total{reason="auth"}')" -ge 3
check "refused publishes and subscriptions are counted" wait_metric 'brink_mqtt_refused_total{reason="acl"}' 10
check "refusals are logged" grep -q 'refused by the access rules' "$DATA_DIR/brinkd.log"
check "the service's lines are counted as published" test "$(metric brink_mqtt_published_total)" -ge 9

# while alpha has a reader, the service's worker publishes its lines on its
# own broker connection; a reader that comes mid-stream gets every line once
# from its first on, across the switch from brinkd publishing to the worker
"$BRINK" sensor simulate --protocol mqtt --port "$MQTT_PORT" --thing "alpha/roof:$TK" \
	--count 1200 --rate 400 >/dev/null 2>&1 &
SIM=$!
sleep 0.5
sub alpha "$A" "$OUT_A" 3 >"$DATA_DIR/switch.txt" 2>&1 &
SUB_S=$!
check "with a reader, the service's worker gets its own broker connection" \
	wait_metric brink_mqtt_service_connections 1
mosquitto_pub -p "$MQTT_PORT" -u ":service/alpha/$SVC" -P wrong-secret -t '$brink/out' -m x 2>/dev/null
check "a service's login with another secret is refused" test $? -ne 0
wait $SUB_S $SIM
check "a reader coming mid-stream gets every line once from its first on" \
	every_line_once "$DATA_DIR/switch.txt"
check "the last reader gone, the worker's connection ends" \
	wait_metric_is brink_mqtt_service_connections 0

# the same switch, its lines racing: an HTTP stream keeps brinkd asking
# the worker for its lines (TAP); the worker is stopped (SIGSTOP) before a
# reader comes and until brinkd has handed it the connection, so the
# readings queued for it meanwhile come back as lines for brinkd to publish;
# then brinkd is stopped while the worker catches up. Had the worker
# published its lines after the hand-over at once, the reader would get
# them before those brinkd publishes when it runs again. At 500 readings/s
# the worker's channel holds what queues while it is stopped (no readings
# dropped, which would show as a gap).
WPID=$(unit_worker "$SVC")
HANDED=$(handovers)
curl -sN --max-time 5 -H "Authorization: Bearer $A" "$BRINK_URL/v1/services/$SVC/stream" \
	>/dev/null &
SSE=$!
"$BRINK" sensor simulate --port "$INGEST_PORT" --thing "roof:$TK" \
	--count 2000 --rate 500 >/dev/null 2>&1 &
SIM=$!
sleep 0.3
kill -STOP "$WPID"
sleep 0.1
sub alpha "$A" "$OUT_A" 3 >"$DATA_DIR/switch-stopped.txt" 2>&1 &
SUB_S=$!
for i in $(seq 500); do [ "$(handovers)" -gt "$HANDED" ] && break; sleep 0.01; done
kill -STOP "$BRINKD_PID"
kill -CONT "$WPID"
sleep 0.2
kill -CONT "$BRINKD_PID"
check "the worker stopped across the switch publishes once it runs again" \
	wait_metric brink_mqtt_service_connections 1
wait $SUB_S $SIM $SSE
check "... and its reader gets every line once and in order, those queued meanwhile too" \
	every_line_once "$DATA_DIR/switch-stopped.txt"
check "... until that reader is gone" wait_metric_is brink_mqtt_service_connections 0

# key rotation: a connected client loses access within mqtt.auth_cache_ms
$PAHO sub "$MQTT_PORT" alpha "$A" "$OUT_A" 5 >"$DATA_DIR/rot.txt" 2>&1 &
ROT=$!
sleep 0.5
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"41"}'
sleep 0.3
api POST /v1/tenant/key "" "$A"
A2=$(jqb .key)
sleep 1.5
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"42"}'
wait $ROT
check "before the rotation the client receives" grep -q '"temp":"41"' "$DATA_DIR/rot.txt"
check "after it, the connected client with the old key receives nothing" bash -c "! grep -q '\"temp\":\"42\"' '$DATA_DIR/rot.txt'"
sub alpha "$A" "$OUT_A" 1 >"$DATA_DIR/old.txt" 2>&1
check "the old key cannot log in" grep -qi 'not authori' "$DATA_DIR/old.txt"
sub alpha "$A2" "$OUT_A" 3 >"$DATA_DIR/new.txt" 2>&1 &
NEW=$!
sleep 0.5
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"43"}'
wait $NEW
check "the new key receives" grep -q '"temp":"43"' "$DATA_DIR/new.txt"

# brinkd paused: the broker does not wait for it; readings beyond what the
# plugin holds for brinkd (1 MiB) are dropped and counted, then flow again
mkfifo "$DATA_DIR/flood"
mosquitto_pub -p "$MQTT_PORT" -u alpha/roof -P "$TK" -t brink/alpha/things/roof -l \
	<"$DATA_DIR/flood" 2>/dev/null &
FLOOD=$!
exec 7>"$DATA_DIR/flood"
sleep 0.5
broker=$(broker_pids)
kill -STOP "$BRINKD_PID"
pad=$(printf '%080d' 0)
for i in $(seq 30000); do printf '{"temp":"%d","pad":"%s"}\n' "$i" "$pad"; done >&7
sleep 1
# (a client's cached verdict may expire meanwhile: asking again, the broker
# waits for brinkd up to its 2 s timeout, then refuses; so up to 8 s here)
check "brinkd paused: the broker still answers (a login it refuses without brinkd)" \
	bash -c "mosquitto_sub -p $MQTT_PORT -u 'not a brink name' -P x -t a -W 8 2>&1 | grep -qi 'not authori'"
check "... from the same process" test "$(broker_pids)" = "$broker"
kill -CONT "$BRINKD_PID"
exec 7>&-
wait $FLOOD
check "... the readings brinkd could not take are counted as dropped" \
	wait_metric brink_mqtt_dropped_readings_total 1
got=$(metric brink_ingest_readings_total)
check "... and thousands that waited for it were not ($got)" test "$got" -ge 5000
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"40"}'
check "... then readings flow again" wait_metric brink_ingest_readings_total $((got + 1))

# the broker dies: brinkd starts it again and ingest resumes
old=$(broker_pids)
kill -KILL $old
check "brinkd starts a killed broker again" wait_metric brink_mqtt_broker_starts_total 2
check "... and its client reconnects" wait_metric brink_mqtt_connected 1
check "the new broker is another process" test "$(broker_pids)" != "$old"
check "... and no service keeps a connection to the old one" \
	test "$(metric brink_mqtt_service_connections)" = 0
sub alpha "$A2" "$OUT_A" 3 >"$DATA_DIR/again.txt" 2>&1 &
AGAIN=$!
sleep 0.5
check "... where the service's worker gets a connection of its own again" \
	wait_metric brink_mqtt_service_connections 1
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"44"}'
wait $AGAIN
check "readings flow through the new broker" grep -q '"temp":"44"' "$DATA_DIR/again.txt"

# no broker outlives brinkd: stop, and kill -9 (the plugin sees brinkd's end close)
brinkd_stop
check "brinkd stops cleanly" test $? -eq 0
check "brinkd's stop stops its broker" test -z "$(broker_pids)"
brinkd_start -o cpu.capacity=1.5
check "after a restart the broker is back" wait_metric brink_mqtt_connected 1
brinkd_kill9
sleep 2.5
check "a brinkd killed with -9 leaves no broker" test -z "$(broker_pids)"
brinkd_start -o cpu.capacity=1.5 -o mqtt.enabled=false
sleep 0.5
check "mqtt.enabled=false: no broker" test -z "$(broker_pids)"
api GET /v1/bootstrap "" "$TK"
check "mqtt.enabled=false: bootstrap names no MQTT endpoint" test "$(jqb '.endpoints.mqtt')" = null
brinkd_stop
# an existing broker (mqtt.broker = external) that loads brink's plugin by path
brinkd_start -o cpu.capacity=1.5 -o mqtt.broker=external -o mqtt.password=s3cret-ext
check "external: brinkd starts no broker" test -z "$(broker_pids)"
printf '%s\n' "listener $MQTT_PORT 127.0.0.1" "allow_anonymous false" "user root" \
	"plugin $(realpath "$BUILD/brink-mqtt-auth.so")" "plugin_opt_socket $DATA_DIR/mqtt-auth.sock" \
	>"$DATA_DIR/ext.conf"
mosquitto -c "$DATA_DIR/ext.conf" 2>"$DATA_DIR/ext.log" &
EXT_PID=$!
check "external: brinkd's client logs in with mqtt.password" wait_metric brink_mqtt_connected 1
sub alpha "$A2" "$OUT_A" 3 >"$DATA_DIR/ext.txt" 2>&1 &
EXT_SUB=$!
sleep 0.5
pub alpha/roof "$TK" brink/alpha/things/roof '{"temp":"45"}'
pub alpha/roof "$TD" brink/alpha/things/roof '{"temp":"46"}'
wait $EXT_SUB
check "external: readings in and service lines out" grep -q '"temp":"45"' "$DATA_DIR/ext.txt"
check "external: the plugin asks brinkd (another thing's key refused)" bash -c "! grep -q '\"temp\":\"46\"' '$DATA_DIR/ext.txt'"
kill "$EXT_PID"
wait "$EXT_PID" 2>/dev/null
brinkd_stop
brinkd_start -o cpu.capacity=1.5 -o mqtt.mosquitto=/nonexistent/mosquitto
check "without mosquitto brinkd runs, without MQTT" grep -q 'running without MQTT' "$DATA_DIR/brinkd.log"
finish
