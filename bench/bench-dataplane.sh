#!/bin/bash
# Data-plane benchmarks against the real brinkd (build/brinkd; `make all` first),
# client side in bench/conn_bench.c:
#  - creating 10,000 things with POST /v1/things over one kept-alive connection
#    (the time it takes, per-request p50/p99), beside GET /healthz on the same
#    connection (the HTTP round trip alone);
#  - 10,000 thing connections held open on the TCP ingest, each authenticated
#    with its thing key: brinkd's RSS before, held and after release, memory per
#    connection; the reference, same run: 10,000 MQTT connections (CONNECT,
#    anonymous) held open on Debian's mosquitto (a config of our own on a
#    loopback port), its RSS per connection; and the ratio;
#  - forward service start, POST /v1/services -> the first reading received by a
#    client that connects to the new service's stream port as soon as the reply
#    arrives (a thing sends one reading every 1 ms), p50/p99 over 50 starts (each
#    deleted after), beside the start alone (POST -> reply) of the same starts.
# Everything on 127.0.0.1; every process started here is stopped on exit.
# CONNS=N and STARTS=N change the sizes.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${CONNS:-10000}
STARTS=${STARTS:-50}
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
[ -x "$BUILD/brinkd" ] || { echo "bench-dataplane: $BUILD/brinkd missing (make all)" >&2; exit 1; }
[ -x "$MOSQUITTO" ] || { echo "bench-dataplane: mosquitto missing (apt-get install mosquitto)" >&2; exit 1; }
mkdir -p "$BUILD/bench"
CFL="-std=gnu11 -O2 -Wall -Wextra -Werror"
# shellcheck disable=SC2046,SC2086
cc $CFL -o "$BUILD/bench/conn_bench" bench/conn_bench.c $(pkg-config --cflags --libs libcurl) -lpthread
CB="$BUILD/bench/conn_bench"

# Open files: our helper holds N sockets, and so does the server (it inherits
# the limit). Raise the soft limit as far as the hard one allows.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((N + 200)) ]; then
	echo "bench-dataplane: $N connections need ulimit -n >= $((N + 200)); the hard limit is $(ulimit -Hn)" >&2
	exit 1
fi

DATA=$(mktemp -d /tmp/brink-bench-dp.XXXXXX)
PID=""
MPID=""
HPID=""
stop() { # stop PID: SIGTERM, then SIGKILL after 5 s
	local p=$1
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
cleanup() {
	stop "$HPID"
	stop "$MPID"
	stop "$PID"
	rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Listening ports below the ephemeral range, so our N client sockets (whose
# local ports come from that range) never hold a port a server wants to bind.
read -r EPH_LOW _ </proc/sys/net/ipv4/ip_local_port_range
PBASE=$((EPH_LOW > 12000 ? EPH_LOW - 12000 : 1024))
free_port() {
	local p
	while :; do
		p=$((PBASE + RANDOM % 9000))
		ss -Htlnu "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
API_PORT=$(free_port)
INGEST_PORT=$(free_port)
BOOT_PORT=$(free_port)
COAP_PORT=$(free_port)
MQTT_PORT=$(free_port)
PORTS_FIRST=$((PBASE + 9000 + (RANDOM % 20) * 100)) # the services' stream ports
URL="http://127.0.0.1:$API_PORT"

"$BUILD/brinkd" -o data_dir="$DATA" -o api.port="$API_PORT" -o api.bind=127.0.0.1 \
	-o ingest.tcp.port="$INGEST_PORT" -o ingest.bind=127.0.0.1 \
	-o bootstrap.port="$BOOT_PORT" -o coap.port="$COAP_PORT" -o coap.dtls_port=0 -o mqtt.enabled=false \
	-o ports.first="$PORTS_FIRST" -o ports.last=$((PORTS_FIRST + 99)) \
	-o log.level=warn -o cpu.capacity=1.75 2>"$DATA/brinkd.log" &
PID=$!
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.05; done
curl -sf "$URL/healthz" >/dev/null || { echo "brinkd did not come up:" >&2; tail "$DATA/brinkd.log" >&2; exit 1; }
KEY=$(curl -sf -X POST -d '{"name":"bench"}' "$URL/v1/tenants" | jq -r .key)

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u/1000}'; }

# Holds N connections to a server (conn_bench hold ARGS...) and records the
# server's RSS before (R0), held (R1) and after they are closed again (R2),
# its open files while held (FDS) and the time to open them (UP_MS).
hold() {
	local server=$1 label=$2 out=$DATA/hold.$2.out
	shift 2
	R0=$(rss_kb "$server")
	"$CB" hold "$@" >"$out" 2>&1 &
	HPID=$!
	for _ in $(seq 900); do
		grep -q '^ready\|^error' "$out" && break
		kill -0 "$HPID" 2>/dev/null || break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q '^ready' "$out"; then
		echo "bench-dataplane: $N connections to $label did not all come up:" >&2
		cat "$out" >&2
		kill -0 "$server" 2>/dev/null || echo "bench-dataplane: the server (pid $server) is gone" >&2
		exit 1
	fi
	UP_MS=$(awk '/^ready/{print $3}' "$out")
	sleep 1 # held a while: the server may close some (counted below)
	R1=$(rss_kb "$server")
	FDS=$(nfds "$server")
	kill -USR1 "$HPID"
	wait "$HPID" || true
	HPID=""
	if ! grep -q "^held $N closed_by_server 0" "$out"; then
		echo "bench-dataplane: $label closed connections while they were held:" >&2
		cat "$out" >&2
		exit 1
	fi
	sleep 0.5
	R2=$(rss_kb "$server")
}

# ---- things through the REST API
OUT=$("$CB" things "$URL" "$KEY" "$N" "$DATA/auth") || { echo "bench-dataplane: creating things failed" >&2; exit 1; }
read -r T_S T50 T99 H50 _ <<<"$OUT"
echo "create $N things, POST /v1/things on one kept-alive connection: $T_S s ($(awk -v n="$N" -v s="$T_S" 'BEGIN{printf "%.0f", n/s}')/s; p50 ${T50} us p99 ${T99} us per request; reference, GET /healthz on the same connection: p50 ${H50} us)"

# ---- N connections held: brinkd, then mosquitto
hold "$PID" brinkd brink "$INGEST_PORT" "$N" "$DATA/auth"
B0=$R0 B1=$R1 B2=$R2 BFDS=$FDS BUP=$UP_MS
cat >"$DATA/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
max_connections -1
EOF
"$MOSQUITTO" -c "$DATA/mosquitto.conf" 2>"$DATA/mosquitto.log" &
MPID=$!
for _ in $(seq 100); do ss -Htln "sport = :$MQTT_PORT" | grep -q . && break; sleep 0.05; done
hold "$MPID" mosquitto mqtt "$MQTT_PORT" "$N"
M0=$R0 M1=$R1 M2=$R2 MUP=$UP_MS
stop "$MPID"
MPID=""
BPER=$(awk -v a="$B1" -v b="$B0" -v n="$N" 'BEGIN{printf "%.2f", (a-b)/n}')
MPER=$(awk -v a="$M1" -v b="$M0" -v n="$N" 'BEGIN{printf "%.2f", (a-b)/n}')
echo "$N thing connections: brinkd +$(mb $((B1 - B0))) MB ($BPER KB/conn); mosquitto +$(mb $((M1 - M0))) MB ($MPER KB/conn); ratio $(ratio "$BPER" "$MPER")x"
echo "  brinkd RSS $(mb "$B0") MB before, $(mb "$B1") MB with $N authenticated TCP ingest connections ($BFDS open files), $(mb "$B2") MB after they closed; all up in $BUP ms"
echo "  reference, mosquitto $("$MOSQUITTO" -h 2>/dev/null | awk '/version/{print $3; exit}') RSS $(mb "$M0") MB before, $(mb "$M1") MB with $N MQTT 3.1.1 connections (CONNECT, anonymous, clean session), $(mb "$M2") MB after; all up in $MUP ms"

# ---- forward service start -> first reading
OUT=$("$CB" first "$URL" "$KEY" "$INGEST_PORT" "$(head -1 "$DATA/auth")" "$STARTS") ||
	{ echo "bench-dataplane: forward starts failed" >&2; exit 1; }
read -r F50 F99 S50 S99 A50 A99 RSTARTS _ C50 C99 _ <<<"$OUT"
echo "forward start -> first reading, n=$STARTS (each deleted after): p50 $(ms "$F50") ms p99 $(ms "$F99") ms (start alone, POST -> reply, same starts: p50 $(ms "$S50") ms p99 $(ms "$S99") ms; first/start p50 $(ratio "$F50" "$S50")x)"
echo "  reply -> first reading p50 $(ms "$A50") ms p99 $(ms "$A99") ms; the stream port was not listening yet when the reply arrived in $RSTARTS of $STARTS starts (connect refused, retried every 50 us: reply -> connected p50 $(ms "$C50") ms p99 $(ms "$C99") ms)"

kill -0 "$PID" 2>/dev/null || { echo "bench-dataplane: brinkd died; log:" >&2; tail "$DATA/brinkd.log" >&2; exit 1; }
stop "$PID"
PID=""
if [ -s "$DATA/brinkd.log" ]; then
	echo "  brinkd logged (warn and above):"
	sed 's/^/    /' "$DATA/brinkd.log" | head -10
fi
