#!/bin/bash
# Custom services on the docker runtime, beside the docker CLI on the same
# engine in the same run (tests/e2e/docker-env.sh: an engine of the bench's
# own). Budget (DESIGN.md): request -> port answers <= 1.2x `docker run -d`.
#   1. one service: POST /v1/services until its port answers, beside
#      `docker run -d -p` of the same image and the same port check (N rounds,
#      interleaved; medians);
#   2. 20 services started at once: total and slowest, beside 20 concurrent
#      `docker run -d`;
#   3. a reallocation pushed to 20 running containers (a sandbox service
#      with a large minimum makes the allocator shrink all 20) until every
#      one shows its new NanoCpus, beside one `docker update --cpus` and one
#      POST /containers/{id}/update.
# The port check is one HTTP GET with a 100 ms timeout, repeated every 5 ms
# from the moment of the request, on both sides (a probe that arrives before
# the container's network is up can cost the next ones up to a second of ARP
# retries, so both sides must probe alike). Figures are noisy on a shared 2-core
# machine: compare the columns of a run.
#   N=5 CONC=20 bench/bench-docker.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-5}
CONC=${CONC:-20}
make -s "$BUILD/brinkd"
ENV_DIR=$(mktemp -d /tmp/brink-bench-docker.XXXXXX)
DATA=$(mktemp -d /tmp/brink-bench-docker-data.XXXXXX)
BRINKD_PID=""
cleanup() {
	[ -n "$BRINKD_PID" ] && kill "$BRINKD_PID" 2>/dev/null && wait "$BRINKD_PID" 2>/dev/null
	bash tests/e2e/docker-env.sh down "$ENV_DIR" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$DATA"
}
trap cleanup EXIT
bash tests/e2e/docker-env.sh up "$ENV_DIR" >"$DATA/env.log" 2>&1 || { cat "$DATA/env.log"; exit 1; }
. "$ENV_DIR/env"
dk() { docker -H "unix://$DOCKER_TEST_SOCK" "$@"; }

API=18000
PF=18100
"$BUILD/brinkd" -o data_dir="$DATA" -o api.port=$API -o api.bind=127.0.0.1 \
	-o ingest.tcp.port=18001 -o bootstrap.port=18002 -o coap.port=18003 \
	-o ports.first=$PF -o ports.last=$((PF + 99)) -o docker.socket="$DOCKER_TEST_SOCK" \
	-o docker.publish_ip=0.0.0.0 -o docker.stop_timeout_s=0 -o log.level=${BENCH_LOG:-warn} 2>"$DATA/brinkd.log" &
BRINKD_PID=$!
URL=http://127.0.0.1:$API
for _ in $(seq 100); do curl -sf $URL/healthz >/dev/null && break; sleep 0.05; done
KEY=$(curl -s -X POST $URL/v1/tenants -d '{"name":"bench"}' | jq -r .key)
H="Authorization: Bearer $KEY"

now() { date +%s%N; }
ms() { echo "scale=1; $1 / 1000000" | bc; }
wait_port() { until curl -s --max-time 0.1 -o /dev/null "http://$DOCKER_TEST_IP:$1/"; do sleep 0.005; done; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }

brink_create() { # prints "id port"
	curl -s -X POST -H "$H" $URL/v1/services -d "{\"kind\":\"custom\",\"runtime\":\"docker\",\
\"image\":\"brink/test:1\",\"container_ports\":[80],\"cpu\":{\"min\":0.05,\"max\":0.5}}" |
		jq -r '"\(.id) \(.ports[0])"'
}
brink_delete() { curl -s -X DELETE -H "$H" "$URL/v1/services/$1" >/dev/null; }

# One start, measured two ways from the request on: until the starter says
# it runs (brink: POST then GET every 5 ms until "running"; docker: `docker
# run -d` returns) and until the port answers (a prober started with the
# request, the same on both sides). Prints "ack_ns port_ns".
probe_from() { # PORT T0 FILE: writes the ns from T0 until PORT answers
	wait_port "$1"
	echo $(($(now) - $2)) >"$3"
}
one_brink() {
	local t0 id port
	port=$(next_port)
	t0=$(now)
	probe_from "$port" "$t0" "$DATA/probe" &
	local prober=$!
	read -r id port < <(brink_create)
	until [ "$(curl -s -H "$H" "$URL/v1/services/$id" | jq -r .state)" = running ]; do sleep 0.005; done
	local ack=$(($(now) - t0))
	wait "$prober"
	echo "$ack $(cat "$DATA/probe")"
	brink_delete "$id"
}
one_docker() {
	local t0 port=$((PF + 90 + $1)) name=ref-$$-$1
	t0=$(now)
	probe_from "$port" "$t0" "$DATA/probe" &
	local prober=$!
	dk run -d --name "$name" -p "$port:80" brink/test:1 >/dev/null
	local ack=$(($(now) - t0))
	wait "$prober"
	echo "$ack $(cat "$DATA/probe")"
	dk rm -f "$name" >/dev/null
}
# brink hands out ports round robin from ports.first: the next one is known
NEXT=0
next_port() { echo $((PF + NEXT)); }

# warm both paths once (image layers in the page cache, proxies)
one_brink >/dev/null
NEXT=$((NEXT + 1))
one_docker 0 >/dev/null
: >"$DATA/b" && : >"$DATA/d"
for i in $(seq "$N"); do
	one_brink >>"$DATA/b"
	NEXT=$((NEXT + 1))
	one_docker "$i" >>"$DATA/d"
done
BA=$(cut -d' ' -f1 "$DATA/b" | median)
BP=$(cut -d' ' -f2 "$DATA/b" | median)
DA=$(cut -d' ' -f1 "$DATA/d" | median)
DP=$(cut -d' ' -f2 "$DATA/d" | median)
echo "start one custom service (median of $N, interleaved; docker: docker run -d -p, same image):"
printf '  request -> running:       brink %8s ms  docker %8s ms  ratio %s\n' "$(ms "$BA")" "$(ms "$DA")" "$(ratio "$BA" "$DA")"
printf '  request -> port answers:  brink %8s ms  docker %8s ms  ratio %s  (budget <= 1.2)\n' "$(ms "$BP")" "$(ms "$DP")" "$(ratio "$BP" "$DP")"

# ---- CONC at once ----
conc_brink() {
	local t0 i
	t0=$(now)
	for i in $(seq "$CONC"); do
		( read -r id port < <(brink_create); echo "$id" >"$DATA/c$i.id"; wait_port "$port"; echo $(($(now) - t0)) >"$DATA/c$i.t" ) &
	done
	wait
	echo $(($(now) - t0))
}
conc_docker() {
	local t0 i
	t0=$(now)
	for i in $(seq "$CONC"); do
		( dk run -d --name "conc-$$-$i" -p "$((PF + 50 + i)):80" brink/test:1 >/dev/null
		  wait_port $((PF + 50 + i)); echo $(($(now) - t0)) >"$DATA/r$i.t" ) &
	done
	wait
	echo $(($(now) - t0))
}
TB=$(conc_brink)
SB=$(cat "$DATA"/c*.t | sort -n | tail -1)
TD=$(conc_docker)
SD=$(cat "$DATA"/r*.t | sort -n | tail -1)
for i in $(seq "$CONC"); do dk rm -f "conc-$$-$i" >/dev/null; done
echo "$CONC custom services started at once (each: request -> port answers):"
printf '  brink   total %8s ms, slowest %8s ms\n' "$(ms "$TB")" "$(ms "$SB")"
printf '  docker  total %8s ms, slowest %8s ms  (%s concurrent docker run -d)\n' "$(ms "$TD")" "$(ms "$SD")" "$CONC"
echo "  ratio total: $(ratio "$TB" "$TD")"

# ---- a reallocation pushed to the CONC running containers ----
IDS=$(dk ps -q --filter label=brink.kind=custom)
nanos() { echo "$IDS" | xargs docker -H "unix://$DOCKER_TEST_SOCK" inspect -f '{{.HostConfig.NanoCpus}}' | sort -u | tr '\n' ' '; }
before=$(nanos)
t0=$(now)
FWD=$(curl -s -X POST -H "$H" $URL/v1/services -d '{"kind":"forward","cpu":{"min":0.5,"max":1.5}}' | jq -r .id)
TP=$(($(now) - t0))
until [ "$(nanos)" != "$before" ] && [ "$(nanos | wc -w)" = 1 ]; do sleep 0.01; done
TR=$(($(now) - t0))
after=$(nanos)
ONE=$(echo "$IDS" | head -1)
t0=$(now)
dk update --cpus 0.03 "$ONE" >/dev/null
TU=$(($(now) - t0))
t0=$(now)
curl -s --unix-socket "$DOCKER_TEST_SOCK" -X POST -H 'Content-Type: application/json' \
	-d '{"NanoCpus":40000000}' "http://d/v1.41/containers/$ONE/update" >/dev/null
TA=$(($(now) - t0))
echo "reallocation pushed to $CONC containers (NanoCpus $before-> $after):"
printf '  brink   %8s ms until every container has its new share (the POST that caused it: %s ms;\n' "$(ms "$TR")" "$(ms "$TP")"
printf '          checked with one docker inspect of all %s, ~50-100 ms a round)\n' "$CONC"
printf '  docker  %8s ms  (one docker update --cpus), %s ms (one POST /containers/ID/update)\n' "$(ms "$TU")" "$(ms "$TA")"
echo "  ratio brink($CONC)/one docker update: $(ratio "$TR" "$TU")"
brink_delete "$FWD"
for f in "$DATA"/c*.id; do brink_delete "$(cat "$f")"; done
