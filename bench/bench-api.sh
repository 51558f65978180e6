#!/bin/bash
# Control-plane benchmarks against the real brinkd (sandbox runtime):
#  - service start, request -> worker ready (brinkd replies after READY),
#    p50/p99 over 200 starts (each deleted after), beside a bare fork+exec of
#    the same worker binary (bench-sandbox.sh) in the same run; budget 5 ms
#    p50; the same for an analyze service with ECM's model (its worker loads
#    the model before READY); then forward starts while growing to 1,000
#    running services;
#  - GET /v1/services with 1,000 services over a kept-alive connection, p99,
#    beside GET /healthz (the HTTP round trip alone); budget 1 ms p99; and
#    requests per second with wrk;
#  - brinkd's resident memory idle and with 1,000 services; budget 8 MB idle.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p "$BUILD/bench"
CFL="-std=gnu11 -O2 -Wall -Wextra -Werror"
# shellcheck disable=SC2046
cc $CFL -o "$BUILD/bench/api_bench" bench/api_bench.c $(pkg-config --cflags --libs libcurl)
DATA=$(mktemp -d /tmp/brink-bench.XXXXXX)
PORT=$((20000 + RANDOM % 10000))
URL="http://127.0.0.1:$PORT"
# its own ports for everything, so a brinkd running on its defaults does not matter
"$BUILD/brinkd" -o data_dir="$DATA" -o api.port=$PORT -o api.bind=127.0.0.1 -o log.level=warn -o mqtt.enabled=false \
	-o cpu.capacity=1.75 -o ingest.tcp.port=$((PORT + 1)) -o bootstrap.port=$((PORT + 2)) \
	-o coap.port=$((PORT + 3)) -o coap.dtls_port=0 -o ports.first=$((PORT + 4)) -o ports.last=$((PORT + 1100)) \
	2>"$DATA/brinkd.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.05; done
KEY=$(curl -sf -X POST -d '{"name":"bench"}' "$URL/v1/tenants" | jq -r .key)
rss_kb() { awk '/^VmRSS:/{print $2}' /proc/$PID/status; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

IDLE=$(rss_kb)
echo "brinkd RSS idle: $((IDLE / 1024)).$(((IDLE % 1024) * 10 / 1024)) MB (budget 8 MB: $(ratio "$IDLE" 8192)x of budget)"

read -r P50 P99 _ < <("$BUILD/bench/api_bench" start "$URL" "$KEY" 200)
echo "service start via REST, request -> worker ready, n=200 (each deleted after): p50 ${P50} us p99 ${P99} us (budget 5000 us p50: $(ratio "$P50" 5000)x)"
read -r S50 S99 _ < <("$BUILD/bench/api_bench" spaced "$URL" "$KEY" 60)
echo "service start via REST, one at a time (50 ms apart), n=60: p50 ${S50} us p99 ${S99} us (budget 5000 us p50: $(ratio "$S50" 5000)x)"
# an analyze service of ECM's model (74 KB of weights): its worker loads the model before READY
/usr/bin/python3 tests/e2e/analyze_models.py bench "$DATA" >/dev/null
MID=$(curl -sf -X POST -H "Authorization: Bearer $KEY" --data-binary @"$DATA/ecm.h5" \
	"$URL/v1/models?name=ecm&format=h5" | jq -r .id)
TID=$(curl -sf -X POST -H "Authorization: Bearer $KEY" -d '{"name":"bench"}' "$URL/v1/things" | jq -r .id)
ANALYZE="{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":0.01},\"memory_mb\":16,\"things\":[\"$TID\"],\"model\":\"$MID\",\"columns\":[\"temp\",\"hum\"]}"
read -r A50 A99 _ < <("$BUILD/bench/api_bench" start "$URL" "$KEY" 200 "$ANALYZE")
echo "analyze service start (ECM's model) via REST, request -> worker ready, n=200: p50 ${A50} us p99 ${A99} us (budget 5000 us p50: $(ratio "$A50" 5000)x; forward's p50 above: $(ratio "$A50" "$P50")x)"
bash bench/bench-sandbox.sh >"$DATA/sandbox.txt" 2>&1 || true
BARE=$(awk '/bare fork\+exec -> READY/{print $6 * 1000, $9 * 1000; exit}' "$DATA/sandbox.txt")
if [ -n "$BARE" ]; then
	read -r B50 B99 <<<"$BARE"
	echo "  reference, bare fork+exec of brink-worker until READY (bench-sandbox.sh): p50 ${B50} us p99 ${B99} us; REST start / bare p50: $(ratio "$P50" "$B50")x"
fi
read -r G50 G99 _ < <("$BUILD/bench/api_bench" grow "$URL" "$KEY" 1000)
echo "service start while growing to 1000 running services (every start rebalances the others once their maxima exceed the capacity): p50 ${G50} us p99 ${G99} us"
RSS1000=$(rss_kb)
echo "brinkd RSS with 1000 running services: $((RSS1000 / 1024)) MB ($(((RSS1000 - IDLE) / 1000)) KB per service)"

read -r L50 L99 LMEAN LBYTES < <("$BUILD/bench/api_bench" get "$URL/v1/services" "$KEY" 2000)
read -r H50 H99 _ < <("$BUILD/bench/api_bench" get "$URL/healthz" "$KEY" 2000)
echo "GET /v1/services with 1000 services ($LBYTES bytes), kept-alive, n=2000: p50 ${L50} us p99 ${L99} us (budget 1000 us p99: $(ratio "$L99" 1000)x)"
echo "  reference, GET /healthz on the same connection style: p50 ${H50} us p99 ${H99} us; list/healthz p99 ratio $(ratio "$L99" "$H99")x"
if command -v wrk >/dev/null; then
	RPS=$(wrk -t2 -c4 -d5s -H "Authorization: Bearer $KEY" "$URL/v1/services" | awk '/Requests\/sec/{print $2}')
	HRPS=$(wrk -t2 -c4 -d3s "$URL/healthz" | awk '/Requests\/sec/{print $2}')
	echo "GET /v1/services with 1000 services, wrk 2 threads 4 connections: $RPS req/s (GET /healthz alone: $HRPS req/s)"
fi
