#!/bin/bash
# Sensor -> client forwarding (DESIGN.md "Budgets": brink's throughput >= 1x
# and its p99 latency <= 1x Mosquitto's publisher -> broker -> subscriber, on
# the same machine, in the same run). Method and caveats: docs/bench-forward.md.
#
# For things in {1,10,100} x subscribers in {1,10}: a throughput run (every
# thing sends as fast as the system takes it, at most IN_FLIGHT readings not
# yet received) per system, and latency runs at fixed offered rates in
# LAT_ROUNDS rounds, the systems taking turns (see run_case); each run against a
# freshly started system. bench/fwd_bench.c generates the load and measures.
#
#   bench/bench-forward.sh                    Mosquitto, then brink beside it
#                                             once BRINK_FWD is set
#                                             (brink_systems)
#   bench/bench-forward.sh --self-test        also drives a python3 stand-in in
#                                             brink-tcp mode: checks the bench,
#                                             measures nothing about brink
#   bench/bench-forward.sh --check-generator  is the load generator the limit?
#
# Environment: WARM=1 DUR=3 (seconds per run: warm-up, measured),
# IN_FLIGHT=10000, RATES_1="1000 10000" and RATES_10="1000 3000" (readings/s
# offered with 1 and with 10 subscribers), LAT_ROUNDS=3 (latency runs per
# system and rate; the report takes their median), THINGS="1 10 100", SUBS="1 10",
# PIN=1 (system under test on CPU 0, load generator on CPU 1), NETNS=1 (own
# network namespace, lo with MTU 1500), NICE=-10, LAT_RT=0, MQTT_BOUND=1 (beside
# brink's MQTT path, the bound on it: mqtt_bound_run), CONTROL=0 (1: Mosquitto
# a second time, as one more system: how often the budget's ratios hold for
# Mosquitto against itself, the noise they carry on this machine).
set -eu
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."
BUILD=${BUILD:-build}
# brink's side (BRINK_FWD= measures Mosquitto alone)
export BRINK_FWD=${BRINK_FWD-$PWD/bench/brink-fwd-sut.sh}
NETNS=${NETNS:-1}
if [ "$NETNS" = 1 ] && [ -z "${FWD_IN_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] &&
	unshare --net true 2>/dev/null; then
	FWD_IN_NETNS=1 exec unshare --net -- bash "$SELF" "$@"
fi
if [ -n "${FWD_IN_NETNS:-}" ]; then
	ip link set lo mtu 1500 up
fi

WARM=${WARM:-1} DUR=${DUR:-3} IN_FLIGHT=${IN_FLIGHT:-10000}
RATES_1=${RATES_1:-"1000 10000"} RATES_10=${RATES_10:-"1000 3000"}
THINGS=${THINGS:-"1 10 100"} SUBS=${SUBS:-"1 10"} LAT_ROUNDS=${LAT_ROUNDS:-3}
SELF_TEST=0 CHECK_GEN=0
for a in "$@"; do
	case $a in
	--self-test) SELF_TEST=1 ;;
	--check-generator) CHECK_GEN=1 ;;
	*) echo "usage: $0 [--self-test] [--check-generator]" >&2; exit 2 ;;
	esac
done
[[ $LAT_ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "LAT_ROUNDS must be a positive integer" >&2; exit 2; }

mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$BUILD/bench/fwd_bench" bench/fwd_bench.c \
	$(pkg-config --cflags --libs libmosquitto) -lpthread
FWD="$BUILD/bench/fwd_bench"
BOUND_PLUGIN=$PWD/$BUILD/bench/mqtt_bound_plugin.so
cc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -o "$BOUND_PLUGIN" bench/mqtt_bound_plugin.c
TMP=$(mktemp -d /tmp/brink-fwd.XXXXXX)
PIDS=() # every process this script started and has not stopped yet
cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Pinning and priority: the system under test on CPU 0, the load generator on
# CPU 1 (so neither takes the other's CPU), both ahead of other work; with
# LAT_RT=1 the latency runs also go real-time (chrt -f 1), which keeps other
# work on a shared machine from delaying their wake-ups.
SUT_BASE=() GEN_BASE=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	SUT_BASE=(taskset -c 0) GEN_BASE=(taskset -c 1)
fi
if [ "$(id -u)" -eq 0 ]; then
	SUT_BASE=(nice -n "${NICE:--10}" "${SUT_BASE[@]}") GEN_BASE=(nice -n "${NICE:--10}" "${GEN_BASE[@]}")
fi
# run_as tput|lat: sets SUT_RUN and GEN_RUN, the command prefixes for the
# system under test and for the load generator; SUT_PREFIX is SUT_RUN for
# BRINK_FWD.
run_as() {
	SUT_RUN=("${SUT_BASE[@]}") GEN_RUN=("${GEN_BASE[@]}")
	if [ "$1" = lat ] && [ "${LAT_RT:-0}" = 1 ]; then
		SUT_RUN=(chrt -f 1 "${SUT_RUN[@]}") GEN_RUN=(chrt -f 1 "${GEN_RUN[@]}")
	fi
	export SUT_PREFIX="${SUT_RUN[*]}"
}
run_as tput

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}
forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
stop_pid() { # SIGTERM, SIGKILL after 3 s
	kill "$1" 2>/dev/null || true
	for _ in $(seq 60); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget_pid "$1"
}
# field NAME LINE: the value of NAME=... in a fwd_bench line
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
kfmt() { awk -v v="$1" 'BEGIN{ if (v >= 1000) printf "%.1fk", v/1000; else printf "%d", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }

# run_fwd MODE ARGS...: one fwd_bench run; its key=value line in LINE.
run_fwd() {
	local p
	"${GEN_RUN[@]}" "$FWD" "$@" -w "$WARM" -d "$DUR" >"$TMP/fwd.out" 2>"$TMP/fwd.err" &
	p=$!
	PIDS+=("$p")
	wait "$p" || echo "fwd_bench $*: failed: $(tail -3 "$TMP/fwd.err")" >&2
	forget_pid "$p"
	LINE=$(cat "$TMP/fwd.out")
}

# flags LINE OFFERED: what makes one run doubtful, one fact a line: "lost PCT",
# "unsustained", "load PCT" (other work on the machine), "errors".
flags() {
	local lost bg recv skipped
	lost=$(field lost_pct "$1") bg=$(field background_cpu_pct "$1")
	recv=$(field recv_min_per_s "$1") skipped=$(field skipped "$1")
	awk -v l="${lost:-0}" 'BEGIN{exit !(l > 0)}' && echo "lost $lost"
	[ "$2" -gt 0 ] && { [ "${skipped:-0}" -gt 0 ] ||
		awk -v r="${recv:-0}" -v o="$2" 'BEGIN{exit !(r < 0.99 * o)}'; } && echo unsustained
	awk -v b="${bg:-0}" 'BEGIN{exit !(b > 25)}' && echo "load $bg"
	[ "$(field errors "$1")" = 0 ] || echo errors
	return 0
}
# notes LINE OFFERED: the flags of one run, for the report.
notes() {
	flags "$1" "$2" | awk '
		$1 == "lost" { printf " lost %s%%", $2 }
		$1 == "unsustained" { printf " [not sustained]" }
		$1 == "load" { printf " [other load %s%% of a CPU]", $2 }
		$1 == "errors" { printf " [connection errors]" }'
}
# round_notes OFFERED LINE...: the flags of one run per round, counted.
round_notes() {
	local offered=$1 line
	shift
	for line in "$@"; do flags "$line" "$offered"; done | awk -v n=$# '
		{ count[$1]++ }
		$1 == "lost" && $2 + 0 > lost + 0 { lost = $2 }
		END {
			if (count["lost"]) printf " lost in %d of %d rounds (up to %s%%)", count["lost"], n, lost
			if (count["unsustained"]) printf " [not sustained in %d of %d rounds]", count["unsustained"], n
			if (count["load"]) printf " [other load >25%% in %d of %d rounds]", count["load"], n
			if (count["errors"]) printf " [connection errors in %d of %d rounds]", count["errors"], n
		}'
}

# ---- Mosquitto alone: a fresh broker per run (a backlog from one run must not
# reach the next); Nagle on for throughput (its default and its fastest),
# TCP_NODELAY on broker and clients for latency (its lowest latency).
MQ_PID="" MQ_PORT=""
mosq_start() { # NODELAY(true|false) [CONFIG_LINE...]
	MQ_PORT=$(free_port)
	printf '%s\n' "listener $MQ_PORT 127.0.0.1" "allow_anonymous true" "persistence false" \
		"set_tcp_nodelay $1" "log_dest stderr" "log_type error" "log_type warning" \
		"${@:2}" >"$TMP/mosquitto.conf"
	"${SUT_RUN[@]}" mosquitto -c "$TMP/mosquitto.conf" 2>>"$TMP/mosquitto.log" &
	MQ_PID=$!
	PIDS+=("$MQ_PID")
	wait_port "$MQ_PORT" || { echo "mosquitto did not start: $(tail -3 "$TMP/mosquitto.log")" >&2; exit 1; }
}
mosq_run() { # NODELAY FWD_ARGS...: LINE
	local nd=$1
	shift
	mosq_start "$nd"
	run_fwd mosquitto -p "$MQ_PORT" -B "$MQ_PID" "$@"
	stop_pid "$MQ_PID"
}

# ---- The bound on brink's MQTT path (mqtt-bound): Mosquitto with
# bench/mqtt_bound_plugin.c, which publishes each in/<thing> message again on
# out/<thing> from inside the broker. Its broker takes the thing's PUBLISH and
# delivers a line to each subscriber, the least brink's MQTT path makes its
# broker do, with brinkd and the worker costing nothing: what that path
# could reach at best on this machine. Same load, clients and options.
mqtt_bound_run() { # NODELAY FWD_ARGS...: LINE
	local nd=$1
	shift
	seq 0 99 | sed 's|.*|bench - in/thing-&|' >"$TMP/bound.auth"
	mosq_start "$nd" "plugin $BOUND_PLUGIN"
	run_fwd mosquitto -p "$MQ_PORT" -B "$MQ_PID" -K "$TMP/bound.auth" -k "bench - out/#" "$@"
	stop_pid "$MQ_PID"
}

rates_for() { if [ "$1" -ge 10 ]; then echo "$RATES_10"; else echo "$RATES_1"; fi; }

# ---- One case, every system. On this shared 2-CPU machine one latency run's
# p99 is set by one or two scheduling hiccups and varies 5-10x between runs of
# the same system, so the latency runs come in LAT_ROUNDS rounds: in each
# round, for each rate, every system runs once, in turn (Mosquitto, then
# brink's TCP path, then brink's MQTT path), so adjacent runs meet about the
# same conditions. The report takes the median over rounds of p50 and of p99,
# and counts the rounds in which brink's p99 was <= Mosquitto's. Throughput is
# stable: one run per system, also in turn.
SYSTEMS=()       # the systems of each case, in the order they run
declare -A LABEL # SYSTEM -> its label in the report
declare -A TPUT  # SYSTEM -> its throughput run's line, this case
declare -A LAT   # SYSTEM,RATE,ROUND -> its latency run's line, this case
declare -A TPUT_MET P99_MET P99_PAIRS CASES # SYSTEM -> summary counts
LABEL[mosquitto]="mosquitto "

# sys_run SYSTEM THINGS SUBS tput|RATE: one run of SYSTEM, freshly started;
# its fwd_bench line in LINE.
sys_run() {
	local sys=$1 t=$2 s=$3 nodelay=true args=(-N -r "$4")
	if [ "$4" = tput ]; then
		nodelay=false args=(-c "$IN_FLIGHT")
		run_as tput
	else
		run_as lat
	fi
	case $sys in
	mosquitto | control) mosq_run "$nodelay" -n "$t" -s "$s" "${args[@]}" ;;
	mqtt-bound) mqtt_bound_run "$nodelay" -n "$t" -s "$s" "${args[@]}" ;;
	standin) tcp_run standin_up standin_down "$t" "$s" "${args[@]}" ;;
	*) BROKER_NODELAY=$nodelay brink_run "$sys" "$t" "$s" "${args[@]}" ;;
	esac
}

run_case() { # THINGS SUBS
	local t=$1 s=$2 sys r round
	TPUT=() LAT=()
	for sys in "${SYSTEMS[@]}"; do
		sys_run "$sys" "$t" "$s" tput
		TPUT[$sys]=$LINE
	done
	for round in $(seq "$LAT_ROUNDS"); do
		for r in $(rates_for "$s"); do
			for sys in "${SYSTEMS[@]}"; do
				sys_run "$sys" "$t" "$s" "$r"
				LAT[$sys,$r,$round]=$LINE
			done
		done
	done
	for sys in "${SYSTEMS[@]}"; do
		case_line "$sys" "$t" "$s"
	done
}

# rounds SYSTEM RATE FIELD: FIELD of SYSTEM's run at RATE, round by round, "-"
# for a run that gave no figure.
rounds() {
	local round v out=()
	for round in $(seq "$LAT_ROUNDS"); do
		v=$(field "$3" "${LAT[$1,$2,$round]}")
		out+=("${v:--}")
	done
	echo "${out[*]}"
}
# median ROUNDS: the median of the figures in a "rounds" list, or "-".
median() {
	tr ' ' '\n' <<<"$1" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
			else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# rounds_le A B: in how many rounds A <= B (two "rounds" lists).
rounds_le() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) k += x[i] != "-" && y[i] != "-" && x[i] + 0 <= y[i] + 0
		print k + 0 }'
}
# le A B: A <= B, both figures ("" or "-": no figure).
le() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a != "-" && b != "-" && a != "" && b != "" && a + 0 <= b + 0) }'; }

# case_line SYSTEM THINGS SUBS: SYSTEM's line for the case, with the ratios to
# Mosquitto's figures; then its p99 in each round.
case_line() {
	local sys=$1 t=$2 s=$3 tl=${TPUT[$1]} msg tput ref r round lines p99s ref99s m50 m99 ref99 detail
	tput=$(field recv_per_sub_per_s "$tl")
	msg="${LABEL[$sys]} things=$t subs=$s: $(kfmt "${tput:-0}") msg/s per subscriber"
	msg+=" (server $(field server_cpu_pct "$tl")% CPU)$(notes "$tl" 0)"
	if [ "$sys" != mosquitto ]; then
		ref=$(field recv_per_sub_per_s "${TPUT[mosquitto]}")
		msg+=" = $(ratio "$tput" "$ref")x Mosquitto"
		CASES[$sys]=$((${CASES[$sys]:-0} + 1))
		if le "$ref" "$tput"; then TPUT_MET[$sys]=$((${TPUT_MET[$sys]:-0} + 1)); fi
	fi
	detail="    p99 by round (us):"
	for r in $(rates_for "$s"); do
		lines=()
		for round in $(seq "$LAT_ROUNDS"); do lines+=("${LAT[$sys,$r,$round]}"); done
		p99s=$(rounds "$sys" "$r" p99_us)
		m50=$(median "$(rounds "$sys" "$r" p50_us)") m99=$(median "$p99s")
		msg+="; at $r/s offered: p50 $m50 us p99 $m99 us"
		if [ "$sys" != mosquitto ]; then
			ref99s=$(rounds mosquitto "$r" p99_us)
			ref99=$(median "$ref99s")
			msg+=" = p50 $(ratio "$m50" "$(median "$(rounds mosquitto "$r" p50_us)")")x p99 $(ratio "$m99" "$ref99")x,"
			msg+=" p99 <= Mosquitto's in $(rounds_le "$p99s" "$ref99s") of $LAT_ROUNDS rounds"
			P99_PAIRS[$sys]=$((${P99_PAIRS[$sys]:-0} + 1))
			if le "$m99" "$ref99"; then P99_MET[$sys]=$((${P99_MET[$sys]:-0} + 1)); fi
		fi
		msg+=$(round_notes "$r" "${lines[@]}")
		detail+=" at $r/s: $p99s;"
	done
	echo "$msg"
	echo "${detail%;}"
}

# summary: per path, in how many cases and (case, rate) pairs it met the budget.
summary() {
	local sys
	for sys in "${SYSTEMS[@]}"; do
		[ "$sys" != mosquitto ] || continue
		echo "${LABEL[$sys]}: throughput >= 1.00x Mosquitto's in ${TPUT_MET[$sys]:-0} of ${CASES[$sys]:-0} cases;" \
			"median p99 <= Mosquitto's in ${P99_MET[$sys]:-0} of ${P99_PAIRS[$sys]:-0} (case, rate) pairs"
	done
}

# ---- A system speaking brink-tcp (see fwd_bench.c): UP THINGS SUBS starts it
# for one run and writes $TMP/sut.env with INGEST_PORT, SUB_PORT, SUB_LINE
# (what a subscriber sends first), AUTH_FILE (one auth line per thing, or
# empty) and SUT_PIDS (its processes, for their CPU); DOWN stops it. Same
# cases, same load, same client socket options as for Mosquitto.
tcp_run() { # UP DOWN THINGS SUBS FWD_ARGS...: LINE
	local up=$1 down=$2 t=$3 s=$4 opts=() p
	shift 4
	rm -f "$TMP/sut.env"
	"$up" "$t" "$s"
	INGEST_PORT="" SUB_PORT="" SUB_LINE="" AUTH_FILE="" SUT_PIDS=""
	# shellcheck disable=SC1091
	. "$TMP/sut.env"
	[ -z "$AUTH_FILE" ] || opts+=(-K "$AUTH_FILE")
	for p in $SUT_PIDS; do opts+=(-B "$p"); done
	run_fwd brink-tcp -p "$INGEST_PORT" -q "$SUB_PORT" -k "$SUB_LINE" -n "$t" -s "$s" "${opts[@]}" "$@"
	"$down"
}
# ==== THE BRINK SIDE ========================================================
# brink_systems adds brink's paths to SYSTEMS, and brink_run SYSTEM THINGS SUBS
# FWD_ARGS... runs one of them once; run_case puts them beside Mosquitto and
# case_line prints the ratios to Mosquitto's. It needs BRINK_FWD: a command
# that, called as "BRINK_FWD up DIR THINGS SUBS", starts brinkd (under
# $SUT_PREFIX, as the broker is: CPU 0, priority), a tenant, THINGS things and
# a forward service that SUBS clients can read, and writes DIR/sut.env as
# described above tcp_run; "BRINK_FWD down DIR" stops all of it. brink's MQTT
# path belongs here too: the same cases in mosquitto mode against brink's MQTT
# port.
brink_up() { "$BRINK_FWD" up "$TMP" "$1" "$2"; }
brink_mqtt_up() { MQTT=1 "$BRINK_FWD" up "$TMP" "$1" "$2"; }
brink_down() { "$BRINK_FWD" down "$TMP"; }
brink_systems() {
	if [ -z "${BRINK_FWD:-}" ]; then
		return 0
	fi
	SYSTEMS+=(brink) LABEL[brink]="brink     "
	if [ "${BRINK_MQTT:-1}" = 1 ]; then
		SYSTEMS+=(brink-mqtt) LABEL[brink-mqtt]="brink-mqtt"
	fi
}
brink_run() { # SYSTEM THINGS SUBS FWD_ARGS...: LINE
	local sys=$1
	shift
	case $sys in
	brink) tcp_run brink_up brink_down "$@" ;;
	brink-mqtt) mqtt_run brink_mqtt_up brink_down "$@" ;;
	esac
}

# ---- brink's MQTT path, in mosquitto mode: things publish to brinkd's own
# broker as themselves, brinkd takes the readings through the router and the
# forward worker and publishes them on the service's topic, which the
# subscribers read from the same broker: two trips through Mosquitto (the
# readings and lines between broker and brinkd in batches). Its broker gets
# the reference's set_tcp_nodelay (BROKER_NODELAY, from sys_run).
mqtt_run() { # UP DOWN THINGS SUBS FWD_ARGS...: LINE
	local up=$1 down=$2 t=$3 s=$4 opts=() p
	shift 4
	rm -f "$TMP/sut.env"
	"$up" "$t" "$s"
	MQTT_PORT="" MQTT_AUTH="" MQTT_SUB="" SUT_PIDS=""
	# shellcheck disable=SC1091
	. "$TMP/sut.env"
	for p in $SUT_PIDS; do opts+=(-B "$p"); done
	run_fwd mosquitto -p "$MQTT_PORT" -K "$MQTT_AUTH" -k "$MQTT_SUB" -n "$t" -s "$s" "${opts[@]}" "$@"
	"$down"
}
# ============================================================================

# ---- Bench self-test: a python3 relay stands in for a brink-tcp system, to
# check the brink-tcp driver end to end. It measures the bench, not brink.
standin_up() {
	rm -f "$TMP/standin.ports"
	"${SUT_RUN[@]}" python3 - "$TMP/standin.ports" <<'EOF' &
# bench self-test stand-in, NOT brink: things send an auth line, then NDJSON
# lines; subscribers send a key line and receive every line.
import os, selectors, socket, sys
sel, subs, LIMIT = selectors.DefaultSelector(), {}, 4 << 20

def listen():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(512)
    s.setblocking(False)
    return s

def flush(sock):
    try:
        del subs[sock][:sock.send(subs[sock])]
    except BlockingIOError:
        pass
    mask = selectors.EVENT_WRITE if subs[sock] else 0
    sel.modify(sock, selectors.EVENT_READ | mask, ("sub", None))

def on_thing(sock, st):
    data = sock.recv(65536)
    if not data:
        sel.unregister(sock)
        return sock.close()
    st["buf"] += data
    cut = st["buf"].rfind(b"\n") + 1
    lines, st["buf"] = st["buf"][:cut], st["buf"][cut:]
    if cut and not st["authed"]:
        st["authed"], lines = True, lines[lines.index(b"\n") + 1:]
    for sub, buf in subs.items():
        if lines and len(buf) < LIMIT:
            buf += lines
            flush(sub)

def on_sub(sock, st):
    data = sock.recv(4096)
    if not data:
        subs.pop(sock, None)
        sel.unregister(sock)
        return sock.close()
    if sock not in subs and b"\n" in data:
        subs[sock] = bytearray()

ingest, sub = listen(), listen()
sel.register(ingest, selectors.EVENT_READ, ("accept", "thing"))
sel.register(sub, selectors.EVENT_READ, ("accept", "sub"))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (ingest.getsockname()[1], sub.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    for key, ev in sel.select():
        kind, st = key.data
        if kind == "accept":
            c = key.fileobj.accept()[0]
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, (st, {"buf": bytearray(), "authed": False}))
        elif kind == "thing":
            on_thing(key.fileobj, st)
        elif ev & selectors.EVENT_WRITE:
            flush(key.fileobj)
        else:
            on_sub(key.fileobj, st)
EOF
	STANDIN_PID=$!
	PIDS+=("$STANDIN_PID")
	local ip sp i
	for _ in $(seq 200); do [ -s "$TMP/standin.ports" ] && break; sleep 0.02; done
	read -r ip sp <"$TMP/standin.ports"
	for i in $(seq 0 $(($1 - 1))); do echo "{\"thing\":\"standin-$i\",\"key\":\"k$i\"}"; done >"$TMP/standin.auth"
	printf 'INGEST_PORT=%s\nSUB_PORT=%s\nSUB_LINE=%q\nAUTH_FILE=%s\nSUT_PIDS=%s\n' \
		"$ip" "$sp" '{"key":"standin"}' "$TMP/standin.auth" "$STANDIN_PID" >"$TMP/sut.env"
}
standin_down() { stop_pid "$STANDIN_PID"; }

# Does Mosquitto go faster with more load generator threads (-j publisher,
# -J subscriber) or with libmosquitto's own receive path (-L)? If not, the
# generator is not what limits it.
check_generator() {
	local args
	echo "load generator check, Mosquitto throughput runs (generator CPU: publisher + subscriber threads):"
	for args in "-n 10 -s 1 -j 1" "-n 10 -s 1 -j 2" "-n 100 -s 1 -j 1" "-n 100 -s 1 -j 2" \
		"-n 100 -s 10 -J 1" "-n 100 -s 10 -J 2" "-n 100 -s 10 -L"; do
		# shellcheck disable=SC2086
		mosq_run false $args -c "$IN_FLIGHT"
		printf '  %-18s %7s msg/s per subscriber; broker %s%% CPU, generator %s%% + %s%% CPU%s\n' \
			"$args" "$(kfmt "$(field recv_per_sub_per_s "$LINE")")" "$(field server_cpu_pct "$LINE")" \
			"$(field pub_cpu_pct "$LINE")" "$(field sub_cpu_pct "$LINE")" "$(notes "$LINE" 0)"
	done
}

echo "forwarding: $(nproc) CPUs, ${SUT_RUN[*]:-unpinned} (system) / ${GEN_RUN[*]:-unpinned} (load)$([ "${LAT_RT:-0}" = 1 ] && echo ", latency runs real-time")," \
	"$([ -n "${FWD_IN_NETNS:-}" ] && echo "own netns, lo MTU 1500" || echo "host loopback")," \
	"runs of ${WARM}s warm-up + ${DUR}s measured, $(mosquitto -h 2>/dev/null | awk 'NR==1{print $1, $3}')"
echo "payload 80 B JSON, QoS 0; throughput: one run per system, <= $IN_FLIGHT readings in flight, Nagle on;" \
	"latency: fixed offered rate, TCP_NODELAY on, p50 and p99 are the median of $LAT_ROUNDS rounds" \
	"(each round runs the systems in turn)"
[ -n "${BRINK_FWD:-}" ] || echo "brink side: not available yet (BRINK_FWD unset); Mosquitto reference only"
if [ "$CHECK_GEN" = 1 ]; then
	check_generator
	exit 0
fi
SYSTEMS=(mosquitto)
brink_systems
if [ "${MQTT_BOUND:-1}" = 1 ]; then
	SYSTEMS+=(mqtt-bound) LABEL[mqtt-bound]="mqtt-bound"
	echo "mqtt-bound: not brink; Mosquitto relaying in/ to out/ inside itself, the bound on brink-mqtt (mqtt_bound_run)"
fi
if [ "${CONTROL:-0}" = 1 ]; then
	SYSTEMS+=(control) LABEL[control]="control   "
	echo "control: not brink; Mosquitto alone again, compared with its first run like the others"
fi
if [ "$SELF_TEST" = 1 ]; then
	SYSTEMS+=(standin) LABEL[standin]="self-test stand-in (python3 relay, not brink)"
fi
for t in $THINGS; do
	for s in $SUBS; do
		run_case "$t" "$s"
	done
done
echo "budget (DESIGN.md): brink's msg/s >= 1.00x and p99 <= 1.00x Mosquitto's, case by case"
summary
