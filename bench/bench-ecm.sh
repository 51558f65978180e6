#!/bin/bash
# The ECM front end: an ECM listening request -> its reply (the forward worker
# ready), with ECM's own client exchange, beside the same service created
# through the REST API on the same brinkd in the same run (bench/ecm_bench.py).
# ECM itself took 6.4-10.9 s for this on its Banana Pi (its thesis, table
# 5.x); its Docker images are not reachable here, so that figure is quoted,
# not measured. Noisy: the machine's 2 cores are shared.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${ECM_BENCH_N:-100}
DATA=$(mktemp -d /tmp/brink-bench-ecm.XXXXXX)
PORT=$((20000 + RANDOM % 8000))
OFFSET=$((PORT - 12000 + 1200)) # ECM's ports land in PORT-8800 .. PORT+1200, clear of ours
URL="http://127.0.0.1:$PORT"
"$BUILD/brinkd" -o data_dir="$DATA" -o api.port=$PORT -o api.bind=127.0.0.1 -o log.level=warn \
	-o cpu.capacity=1.75 -o ingest.tcp.port=$((PORT + 1)) -o bootstrap.port=$((PORT + 2)) \
	-o coap.port=$((PORT + 3)) -o ports.first=$((PORT + 4)) -o ports.last=$((PORT + 200)) \
	-o ecm.enabled=true -o ecm.port_offset=$OFFSET 2>"$DATA/brinkd.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.05; done
read -r EP50 EP99 RP50 RP99 < <(/usr/bin/python3 bench/ecm_bench.py "$OFFSET" "$URL" "$N")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "ECM listening request -> reply (worker ready), n=$N: p50 ${EP50} us p99 ${EP99} us"
echo "REST POST /v1/services forward -> 201, same brinkd, n=$N: p50 ${RP50} us p99 ${RP99} us"
echo "ECM front end / REST: p50 $(ratio "$EP50" "$RP50")x, p99 $(ratio "$EP99" "$RP99")x;" \
	"ECM itself (quoted): 6.4-10.9 s, $(ratio 6400000 "$EP50")x slower than brink's ECM p50 at best"
