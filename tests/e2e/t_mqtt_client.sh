#!/bin/bash
# brinkd's own MQTT client (src/ingest/mqtt.c, src/mqtt/codec.c) against a
# real Mosquitto: readings too long are refused and counted while the
# connection goes on for the other things (without brink's plugin, a publish
# larger than the client's largest packet is skipped as it arrives); a burst of
# output lines arrives whole (publishes batched into few writes); an external
# broker without brink's plugin, logged in with mqtt.username/mqtt.password,
# killed and started again (the client reconnects), and refusing a wrong
# password, and stopped (SIGSTOP) while output waits: bounded, counted drops.
. "$(dirname "$0")/lib.sh"

pub() { mosquitto_pub -p "$MQTT_PORT" -u "$1" -P "$2" -t "$3" -q 1 -s 2>/dev/null; }
# tcp_readings THING KEY COUNT: COUNT readings over the TCP ingest port at once
tcp_readings() {
	/usr/bin/python3 - "$INGEST_PORT" "$1" "$2" "$3" <<'PY'
import json, socket, sys, time
port, thing, key, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(json.dumps({"thing": thing, "key": key}).encode() + b"\n")
s.recv(4096)
s.sendall(b"".join(json.dumps({"temp": "1.5", "seq": i}).encode() + b"\n" for i in range(n)))
time.sleep(0.5)
s.close()
PY
}
REFUSED='brink_ingest_refused_total{reason="line"}'

brinkd_start -o cpu.capacity=1.5
check "brinkd's client connects to its broker" wait_metric brink_mqtt_connected 1
register alpha
A=$KEY
api POST /v1/things '{"name":"roof"}'
TK=$(jqb .key)
api POST /v1/things '{"name":"door"}'
TD=$(jqb .key)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
OUT_A="brink/alpha/services/$(jqb .id)/out"

# ingest.max_line is 4096: the client's largest packet 4608 bytes
mosquitto_sub -p "$MQTT_PORT" -u alpha -P "$A" -t "$OUT_A" -W 6 >"$DATA_DIR/big.txt" 2>&1 &
SUB=$!
sleep 0.5
before=$(metric "$REFUSED")
head -c 300000 /dev/zero | tr '\0' x | pub alpha/roof "$TK" brink/alpha/things/roof
printf '{"pad":"%s"}' "$(head -c 4400 /dev/zero | tr '\0' y)" | pub alpha/roof "$TK" brink/alpha/things/roof
printf '{"temp":"7.5"}' | pub alpha/door "$TD" brink/alpha/things/door
check "a 300 kB publish and a 4.4 kB one are refused and counted" wait_metric "$REFUSED" $((before + 2))
check "... no more than those two" test "$(metric "$REFUSED")" -eq $((before + 2))
check "... the first as too long (the plugin passes on its first 64 kB)" grep -q 'refused: reading too long' "$DATA_DIR/brinkd.log"
wait $SUB
check "another thing's reading right after them arrives" grep -q '"thing":"door".*"temp":"7.5"' "$DATA_DIR/big.txt"
check "the client kept its connection" bash -c "! grep -q 'lost the broker' '$DATA_DIR/brinkd.log'"
check "... and is connected" test "$(metric brink_mqtt_connected)" = 1

# a burst of output: 3000 lines, every one published, none dropped
mosquitto_sub -p "$MQTT_PORT" -u alpha -P "$A" -t "$OUT_A" -C 3000 -W 10 >"$DATA_DIR/burst.txt" 2>&1 &
SUB=$!
sleep 0.5
pubs=$(metric brink_mqtt_published_total)
tcp_readings roof "$TK" 3000
wait $SUB
check "a burst of 3000 output lines reaches the MQTT subscriber" test "$(grep -c '"seq":' "$DATA_DIR/burst.txt")" -eq 3000
check "... in order" bash -c "grep -o '\"seq\":[0-9]*' '$DATA_DIR/burst.txt' | cut -d: -f2 | sort -n -c"
check "... counted as published" wait_metric brink_mqtt_published_total $((pubs + 3000))
check "... none dropped" test "$(metric brink_mqtt_dropped_total)" = 0
brinkd_stop
check "brinkd stops cleanly" test $? -eq 0

# an external broker without brink's plugin: a password file for brinkd's user
mosquitto_passwd -c -b "$DATA_DIR/passwd" brinkd-ext 'ext pass' 2>/dev/null
printf '%s\n' "listener $MQTT_PORT 127.0.0.1" "allow_anonymous false" "user root" \
	"password_file $DATA_DIR/passwd" >"$DATA_DIR/ext.conf"
start_ext() {
	mosquitto -c "$DATA_DIR/ext.conf" 2>>"$DATA_DIR/ext.log" &
	EXT_PID=$!
}
start_ext
brinkd_start -o cpu.capacity=1.5 -o mqtt.broker=external -o mqtt.username=brinkd-ext \
	-o "mqtt.password=ext pass"
check "external: brinkd logs in with mqtt.username and mqtt.password" wait_metric brink_mqtt_connected 1
ext_flow() { # NAME: a reading over TCP comes out on the service's topic
	mosquitto_sub -p "$MQTT_PORT" -u brinkd-ext -P 'ext pass' -t "$OUT_A" -C 1 -W 5 >"$DATA_DIR/$1.txt" 2>&1 &
	local sub=$!
	sleep 0.5
	tcp_readings roof "$TK" 1
	wait $sub
	grep -q '"thing":"roof"' "$DATA_DIR/$1.txt"
}
check "external: service lines out (no plugin: every tenant's output is published)" ext_flow ext1
# without the plugin, readings come one PUBLISH each: one larger than the
# client's largest packet (ingest.max_line and a topic) is skipped as it arrives
head -c 300000 /dev/zero | tr '\0' x |
	mosquitto_pub -p "$MQTT_PORT" -u brinkd-ext -P 'ext pass' -t brink/alpha/things/roof -s
check "external: a 300 kB publish is skipped as larger than the maximum packet size" \
	wait_grep 'refused: larger than the maximum packet size' "$DATA_DIR/brinkd.log"
check "... and the client keeps its connection" test "$(metric brink_mqtt_connected)" = 1
kill -KILL "$EXT_PID"
wait "$EXT_PID" 2>/dev/null
check "external broker killed: the client notices" wait_metric_is brink_mqtt_connected 0
start_ext
check "external broker back: the client reconnects" wait_metric brink_mqtt_connected 1
check "external: lines flow again" ext_flow ext2
# a broker that takes nothing (stopped): output is bounded, the rest dropped and counted
rss() { awk '/^VmRSS:/{print $2}' "/proc/$BRINKD_PID/status"; }
rss0=$(rss)
lines0=$(metric brink_stream_lines_total)
readings0=$(metric brink_router_dropped_readings_total)
pub0=$(metric brink_mqtt_published_total)
drop0=$(metric brink_mqtt_dropped_total)
kill -STOP "$EXT_PID"
PAD=$(head -c 250 /dev/zero | tr '\0' p)
/usr/bin/python3 - "$INGEST_PORT" roof "$TK" "$PAD" <<'PY'
import json, socket, sys, time
port, thing, key, pad = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(json.dumps({"thing": thing, "key": key}).encode() + b"\n")
s.recv(4096)
for i in range(10):
    fields = {f"p{k}": pad for k in range(12)}  # ~3 kB a reading, ~16 MB in all
    s.sendall(b"".join(json.dumps({**fields, "seq": i * 500 + j}).encode() + b"\n" for j in range(500)))
    time.sleep(0.2)  # ~7.5 MB/s: a worker at half a CPU keeps up, mostly
time.sleep(0.5)
s.close()
PY
check "a stopped broker: output beyond the bound is dropped and counted" wait_metric brink_mqtt_dropped_total 1
grown=$(($(rss) - rss0))
echo "brinkd's RSS grew by $grown kB" >&2
if ldd "$BRINKD" | grep -q libasan; then
	echo "skip $TEST_NAME: RSS bound (ASan keeps freed memory in quarantine)"
else
	check "... brinkd's memory stays bounded (< 6 MB more)" test "$grown" -lt 6144
fi
check "... and brinkd answers" curl -sf "$BRINK_URL/healthz"
# (a worker behind at its CPU cap may lose readings before it: brinkd counts those)
burst_read() { # -> lines the worker made of the burst, readings dropped before it
	echo $(($(metric brink_stream_lines_total) - lines0)) \
		$(($(metric brink_router_dropped_readings_total) - readings0))
}
for i in $(seq 100); do
	read -r LINES DROPPED < <(burst_read)
	[ $((LINES + DROPPED)) -eq 5000 ] && break
	sleep 0.1
done
check "... every reading of the burst became a line ($LINES) or was counted as dropped ($DROPPED)" \
	test $((LINES + DROPPED)) -eq 5000
# killed while stopped: the lines brinkd still held for it were never published
drop1=$(metric brink_mqtt_dropped_total)
kill -KILL "$EXT_PID"
wait "$EXT_PID" 2>/dev/null
check "the stopped broker killed: the client notices" wait_metric_is brink_mqtt_connected 0
check "... the lines it still held for the broker count as dropped" test "$(metric brink_mqtt_dropped_total)" -gt "$drop1"
burst_counted() {
	local pub drop
	pub=$(metric brink_mqtt_published_total)
	drop=$(metric brink_mqtt_dropped_total)
	echo "burst: $((pub - pub0)) lines published, $((drop - drop0)) dropped" >&2
	test $((pub - pub0 + drop - drop0)) -eq $(($(metric brink_stream_lines_total) - lines0))
}
check "... every line of the burst counted once, as published or as dropped" burst_counted
start_ext
check "the broker back: the client reconnects" wait_metric brink_mqtt_connected 1
check "... and lines flow again" ext_flow ext3
brinkd_stop
brinkd_start -o cpu.capacity=1.5 -o mqtt.broker=external -o mqtt.username=brinkd-ext \
	-o mqtt.password=wrong
sleep 1.5
check "external: a wrong password is refused (CONNACK), and logged" grep -q "refused brinkd's client: not authorized\|refused brinkd's client: bad user name" "$DATA_DIR/brinkd.log"
check "... and the client is not connected" test "$(metric brink_mqtt_connected)" = 0
brinkd_stop
check "brinkd stops cleanly while retrying" test $? -eq 0
kill "$EXT_PID"
wait "$EXT_PID" 2>/dev/null
finish
