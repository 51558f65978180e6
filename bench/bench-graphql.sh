#!/bin/bash
# GraphQL benchmark against the real brinkd with libvirt's test:///default
# driver: `getVms` with 1,000 VMs (created through createVm: real qcow2
# overlays and seeds), p50/p99 over a kept-alive connection, beside, in the
# same run and with the same client:
#  - graphql-js (npm graphql, Node) serving brink's schema with the same 1,000
#    VMs over node:http (tests/web/gql_ref.mjs): the reference implementation;
#  - REST GET /v1/vms: the same 1,000 VMs from the same brinkd;
#  - GET /healthz: the HTTP round trip alone.
# GQL_BENCH_VMS=N changes the count (default 1000; creating them takes ~2 min
# on 2 cores), GQL_BENCH_N the requests per figure (default 300).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
NVMS=${GQL_BENCH_VMS:-1000}
N=${GQL_BENCH_N:-300}
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$BUILD/bench/gql_bench" bench/gql_bench.c $(pkg-config --cflags --libs libcurl)
(cd tests/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
DATA=$(mktemp -d /tmp/brink-bench-gql.XXXXXX)
PORT=$((20000 + RANDOM % 10000))
REF_PORT=$((PORT + 5))
URL="http://127.0.0.1:$PORT"
mkdir -p "$DATA/images"
qemu-img create -q -f qcow2 "$DATA/images/base.qcow2" 64M
"$BUILD/brinkd" -o data_dir="$DATA" -o api.port=$PORT -o api.bind=127.0.0.1 -o log.level=warn \
	-o ingest.tcp.port=$((PORT + 1)) -o bootstrap.port=$((PORT + 2)) -o coap.port=$((PORT + 3)) \
	-o ports.first=$((PORT + 10)) -o ports.last=$((PORT + 20)) -o vm.uri=test:///default \
	-o vm.images_dir="$DATA/images" -o usb.sysfs_root="$DATA" 2>"$DATA/brinkd.log" &
PID=$!
REF=""
trap 'kill $PID $REF 2>/dev/null || true; wait $PID $REF 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.05; done
KEY=$(curl -sf -X POST -d '{"name":"bench"}' "$URL/v1/tenants" | jq -r .key)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3g", a/b}'; }

T0=$(date +%s)
seq 1 "$NVMS" | xargs -P 3 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $KEY" \
	-H 'Content-Type: application/json' \
	-d '{"query":"mutation { createVm(vm: {name: \"vm-{}\", base: \"base.qcow2\"}) { id } }"}' "$URL/graphql"
Q_VMS='{"query":"{ getVms { id name state ip memory vcpu } }"}'
printf '%s' "$Q_VMS" >"$DATA/vms.json"
GOT=$(curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$Q_VMS" "$URL/graphql" | jq '.data.getVms | length')
echo "created $GOT VMs (test:///default driver) in $(($(date +%s) - T0)) s"

# the reference gets brink's schema and brink's data
curl -sf -H 'Content-Type: application/json' \
	-d "$(cd tests/web && node -e 'import("graphql").then(g => console.log(JSON.stringify({query: g.getIntrospectionQuery()})))')" \
	"$URL/graphql" >"$DATA/intro.json"
curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	-d '{"query":"{ getVms { id name state ip memory vcpu } }"}' "$URL/graphql" >"$DATA/data.json"
(cd tests/web && exec node gql_ref.mjs "$REF_PORT" "$KEY" "$DATA/intro.json" "$DATA/data.json") >"$DATA/ref.log" 2>&1 &
REF=$!
for _ in $(seq 100); do grep -q ready "$DATA/ref.log" 2>/dev/null && break; sleep 0.05; done

B=$BUILD/bench/gql_bench
read -r V50 V99 _ VB < <("$B" post "$URL/graphql" "$KEY" "$N" "$DATA/vms.json")
read -r R50 R99 _ RB < <("$B" post "http://127.0.0.1:$REF_PORT/graphql" "$KEY" "$N" "$DATA/vms.json")
read -r S50 S99 _ SB < <("$B" get "$URL/v1/vms" "$KEY" "$N")
read -r H50 H99 _ _ < <("$B" get "$URL/healthz" "$KEY" "$N")
echo "getVms with $GOT VMs ($VB bytes), kept-alive, n=$N: brink p50 ${V50} us p99 ${V99} us"
echo "  reference, graphql-js $(cd tests/web && node -p 'require("graphql/package.json").version') on Node $(node --version), same schema, query and data ($RB bytes): p50 ${R50} us p99 ${R99} us; brink/graphql-js p99 $(ratio "$V99" "$R99")x, p50 $(ratio "$V50" "$R50")x"
echo "  reference, REST GET /v1/vms, same brinkd and VMs ($SB bytes, every field): p50 ${S50} us p99 ${S99} us; getVms/REST p99 $(ratio "$V99" "$S99")x, p50 $(ratio "$V50" "$S50")x"
echo "  reference, GET /healthz (the HTTP round trip alone): p50 ${H50} us p99 ${H99} us; getVms/healthz p99 $(ratio "$V99" "$H99")x"
echo "(shared 2-core machine: figures are noisy; compare the ratios within one run)"
