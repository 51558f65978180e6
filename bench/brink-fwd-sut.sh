#!/bin/bash
# The brink side of bench-forward.sh (its BRINK_FWD): a forward path through
# the real brinkd, from its TCP ingest through a sandboxed forward worker to
# the service's stream port; with MQTT=1, brink's MQTT path instead: things
# publish to brinkd's own Mosquitto, subscribers read the service's topic
# (sut.env then also has MQTT_PORT, MQTT_AUTH (one "USER KEY TOPIC" line per
# thing) and MQTT_SUB ("USER KEY TOPIC"), and SUT_PIDS includes the broker;
# BROKER_NODELAY=false turns the broker's set_tcp_nodelay off).
#   brink-fwd-sut.sh up DIR THINGS SUBS   starts brinkd (under $SUT_PREFIX, the
#                                         bench's pinning), a tenant, THINGS
#                                         things and a forward service; writes
#                                         DIR/sut.env (see bench-forward.sh)
#   brink-fwd-sut.sh down DIR             stops it
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmd=$1 dir=$2
D=$dir/brink

api() { # METHOD PATH [BODY]
	curl -sf -X "$1" -H "Authorization: Bearer ${KEY:-}" ${3:+-d "$3"} "http://127.0.0.1:$API$2"
}

up() {
	local things=$1 i pid svc
	rm -rf "$D" && mkdir -p "$D"
	API=$((21000 + RANDOM % 5000))
	# shellcheck disable=SC2086
	${SUT_PREFIX:-} "$BUILD/brinkd" -o data_dir="$D" -o api.port=$API -o api.bind=127.0.0.1 \
		-o ingest.tcp.port=$((API + 1)) -o ingest.bind=127.0.0.1 -o bootstrap.port=0 \
		-o coap.port=$((API + 2)) -o coap.dtls_port=0 -o ports.first=$((API + 3)) -o ports.last=$((API + 20)) \
		-o log.level=warn -o cpu.capacity=2 -o cpu.reserve=0 \
		-o mqtt.enabled="$([ "${MQTT:-0}${MQTT_OUT:-0}" != 00 ] && echo true || echo false)" \
		-o mqtt.port=$((API + 21)) -o mqtt.bind=127.0.0.1 -o mqtt.tcp_nodelay="${BROKER_NODELAY:-true}" \
		2>"$D/brinkd.log" &
	pid=$!
	echo "$pid" >"$D/pid"
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$API/healthz" >/dev/null && break; sleep 0.05; done
	KEY=$(curl -sf -X POST -d '{"name":"bench"}' "http://127.0.0.1:$API/v1/tenants" | jq -r .key)
	local tk
	: >"$D/mqtt-auth"
	for i in $(seq 0 $((things - 1))); do
		tk=$(api POST /v1/things "{\"name\":\"thing-$i\"}" | jq -r .key)
		printf '{"thing":"thing-%d","key":"%s"}\n' "$i" "$tk"
		printf 'bench/thing-%d %s brink/bench/things/thing-%d\n' "$i" "$tk" "$i" >>"$D/mqtt-auth"
	done >"$D/auth"
	svc=$(api POST /v1/services '{"kind":"forward","cpu":{"min":1,"max":2}}')
	local worker broker=""
	worker=$(api GET "/v1/services/$(jq -r .id <<<"$svc")" | jq -r .worker.pid)
	if [ "${MQTT:-0}" = 1 ]; then
		for _ in $(seq 100); do
			curl -s "http://127.0.0.1:$API/metrics" | grep -q '^brink_mqtt_connected 1' && break
			sleep 0.05
		done
		broker=$(cat "$D/mosquitto.pid")
	fi
	printf 'INGEST_PORT=%s\nSUB_PORT=%s\nSUB_LINE=%q\nAUTH_FILE=%s\nSUT_PIDS="%s %s %s"\n' \
		$((API + 1)) "$(jq -r '.ports[0]' <<<"$svc")" "$KEY" "$D/auth" "$pid" "$worker" "$broker" \
		>"$dir/sut.env"
	printf 'MQTT_PORT=%s\nMQTT_AUTH=%s\nMQTT_SUB=%q\n' $((API + 21)) "$D/mqtt-auth" \
		"bench $KEY brink/bench/services/$(jq -r .id <<<"$svc")/out" >>"$dir/sut.env"
}

down() {
	local pid
	pid=$(cat "$D/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 200); do # until it is gone (or a zombie nobody reaps)
		grep -qs '^State:.*[^Z] ' "/proc/$pid/status" || break
		grep -qs '^State:.*Z' "/proc/$pid/status" && break
		sleep 0.05
	done
}

case $cmd in
up) up "$3" ;;
down) down ;;
*) echo "usage: $0 up DIR THINGS SUBS | down DIR" >&2; exit 2 ;;
esac
