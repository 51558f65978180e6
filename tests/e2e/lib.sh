# Sourced by every end-to-end test. Starts the real brinkd on a fresh port with
# a fresh data directory, talks to it with curl, and counts checks.
#
#   brinkd_start [-o key=value ...]   start (or restart, same data dir) and wait for /healthz
#   brinkd_stop | brinkd_kill9        SIGTERM and wait | SIGKILL
#   api METHOD PATH [BODY] [KEY]      sets STATUS and BODY (KEY defaults to $KEY)
#   check NAME COMMAND...             one check: passes when COMMAND succeeds
#   expect_status CODE NAME           check that STATUS is CODE
#   jqb FILTER                        jq -r FILTER over BODY
#   alive PID                         the process exists and is not a zombie
#   register NAME                     registers a tenant, sets KEY and TENANT_ID
#   cli ARGS...                       runs build/brink; sets OUT, ERR, RC
#   rules_model EXPR                  uploads a rules model; sets MODEL (and STATUS, BODY)
#   finish                            records the counts; call at the end
set -u
BUILD=${BUILD:-build}
BRINKD=${BRINKD:-$BUILD/brinkd}
BRINK=${BRINK:-$BUILD/brink}
E2E_PASSED=0
E2E_FAILED=0
TEST_NAME=$(basename "$0" .sh)
DATA_DIR=$(mktemp -d "/tmp/brink-e2e-$TEST_NAME.XXXXXX")
BRINKD_PID=""
KEY=""
STATUS=""
BODY=""
OUT="" ERR="" RC=""

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000)) # below the kernel's ephemeral ports (32768-)
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
API_PORT=${API_PORT:-$(free_port)}
INGEST_PORT=${INGEST_PORT:-$(free_port)}
BOOTSTRAP_PORT=${BOOTSTRAP_PORT:-$(free_port)}
COAP_PORT=${COAP_PORT:-$(free_port)}
COAPS_PORT=${COAPS_PORT:-$(free_port)} # CoAP over DTLS
MQTT_PORT=${MQTT_PORT:-$(free_port)}
# services' stream ports: a block of 100 of our own, so brinkds never share one
PORTS_FIRST=$((10000 + (RANDOM % 99) * 100))
export BRINK_URL="http://127.0.0.1:$API_PORT"

# ECM's fixed ports; ecm_offset prints an ecm.port_offset that puts every one
# of them on a free port below 32768, clear of this test's other ports.
ECM_PORTS="3000 5005 5006 5008 5013 10000 10001 10002 12000"
ecm_offset() {
	local o p ok
	while :; do
		o=$((1 + RANDOM % 20000))
		ok=1
		for p in $ECM_PORTS; do
			p=$((p + o))
			if { [ "$p" -ge "$PORTS_FIRST" ] && [ "$p" -le $((PORTS_FIRST + 99)) ]; } ||
				[ "$p" = "$API_PORT" ] || [ "$p" = "$INGEST_PORT" ] || [ "$p" = "$BOOTSTRAP_PORT" ] ||
				ss -Htln "sport = :$p" | grep -q .; then
				ok=0
				break
			fi
		done
		[ "$ok" = 1 ] && { echo "$o"; return; }
	done
}

brinkd_start() {
	"$BRINKD" -o data_dir="$DATA_DIR" -o api.port="$API_PORT" -o api.bind=127.0.0.1 \
		-o ingest.tcp.port="$INGEST_PORT" -o ingest.bind=127.0.0.1 \
		-o bootstrap.port="$BOOTSTRAP_PORT" -o coap.port="$COAP_PORT" \
		-o coap.dtls_port="$COAPS_PORT" \
		-o mqtt.port="$MQTT_PORT" -o mqtt.bind=127.0.0.1 \
		-o ports.first="$PORTS_FIRST" -o ports.last=$((PORTS_FIRST + 99)) \
		-o log.level=debug "$@" 2>>"$DATA_DIR/brinkd.log" &
	BRINKD_PID=$!
	local i
	for i in $(seq 1 200); do
		curl -sf "$BRINK_URL/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$BRINKD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "brinkd did not come up; log:" >&2
	tail -20 "$DATA_DIR/brinkd.log" >&2
	return 1
}

brinkd_stop() {
	[ -n "$BRINKD_PID" ] || return 0
	kill -TERM "$BRINKD_PID" 2>/dev/null
	wait "$BRINKD_PID" 2>/dev/null
	local rc=$?
	BRINKD_PID=""
	return $rc
}

brinkd_kill9() {
	[ -n "$BRINKD_PID" ] || return 0
	kill -KILL "$BRINKD_PID" 2>/dev/null
	wait "$BRINKD_PID" 2>/dev/null
	BRINKD_PID=""
	return 0
}

api() {
	local method=$1 path=$2 body=${3:-} key=${4-$KEY}
	local args=(-s -o "$DATA_DIR/.body" -w '%{http_code}' -X "$method")
	[ -n "$key" ] && args+=(-H "Authorization: Bearer $key")
	[ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	STATUS=$(curl "${args[@]}" "$BRINK_URL$path")
	BODY=$(cat "$DATA_DIR/.body")
}

# a process that exists and is not a zombie (PID 1 here may be slow to reap)
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# none of the given processes is alive
all_dead() { local p; for p; do alive "$p" && return 1; done; return 0; }

# cli [ARGS...]: runs brink with stdin from /dev/null; sets OUT, ERR, RC (and
# STATUS/BODY, which check prints when it fails).
cli() {
	OUT=$("$BRINK" "$@" </dev/null 2>"$DATA_DIR/.err")
	RC=$?
	ERR=$(cat "$DATA_DIR/.err")
	STATUS="rc=$RC"
	BODY="out=$OUT err=$ERR"
}

jqb() { printf '%s' "$BODY" | jq -r "$1"; }

check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		E2E_PASSED=$((E2E_PASSED + 1))
		echo "ok   $TEST_NAME: $name"
	else
		E2E_FAILED=$((E2E_FAILED + 1))
		echo "FAIL $TEST_NAME: $name (status=$STATUS body=${BODY:0:300})"
	fi
}

# Counts the "CHECK 1|0 NAME" lines a checker program prints (on stdin) as
# this test's checks; other lines pass through: count_checks < <(prog 2>&1).
# A Python traceback (the checker crashed: its later checks never ran) counts
# as a failed check.
count_checks() {
	local word ok rest
	while read -r word ok rest; do
		if [ "$word" = Traceback ]; then
			E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL $TEST_NAME: the checker program crashed"
		fi
		[ "$word" = CHECK ] || { echo "$word $ok $rest"; continue; }
		if [ "$ok" = 1 ]; then
			E2E_PASSED=$((E2E_PASSED + 1)); echo "ok   $TEST_NAME: $rest"
		else
			E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL $TEST_NAME: $rest"
		fi
	done
}

# write_models: the test models (tests/e2e/analyze_models.py) into $M; $PY
# is the python3 that has numpy and h5py
write_models() {
	PY=/usr/bin/python3 M="$DATA_DIR/models"
	mkdir -p "$M"
	"$PY" tests/e2e/analyze_models.py write "$M" ||
		{ echo "cannot write the models (python3-h5py?)"; exit 1; }
}
# upload NAME FORMAT FILE: POST /v1/models with the raw file
upload() {
	STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
		--data-binary @"$3" "$BRINK_URL/v1/models?name=$1&format=$2")
	BODY=$(cat "$DATA_DIR/.body")
}
# py_checks ARGS...: tests/e2e/analyze_checks.py's checks (after write_models)
py_checks() {
	count_checks < <(cd tests/e2e && "$PY" analyze_checks.py "$@" 2>&1)
}

# metric NAME: its value in /metrics (a series without labels)
metric() { curl -s "$BRINK_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# wait_metric NAME MIN: up to 10 s for the metric to reach at least MIN
wait_metric() {
	local i
	for i in $(seq 1 100); do
		[ "$(metric "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_metric_is NAME VALUE: up to 10 s for the metric to be VALUE
wait_metric_is() {
	local i
	for i in $(seq 1 100); do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# wait_grep PATTERN FILE: up to 10 s for FILE to hold a line matching PATTERN
wait_grep() {
	local i
	for i in $(seq 1 100); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

expect_status() { check "$2 -> $1" test "$STATUS" = "$1"; }

register() {
	api POST /v1/tenants "{\"name\":\"$1\"}" ""
	KEY=$(jqb .key)
	TENANT_ID=$(jqb .id)
}

rules_model() {
	STATUS=$(curl -s -o "$DATA_DIR/.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $KEY" \
		--data-binary "$1" "$BRINK_URL/v1/models?name=rules-$RANDOM$RANDOM&format=rules")
	BODY=$(cat "$DATA_DIR/.body")
	MODEL=$(jqb .id)
}

finish() {
	if [ -n "$BRINKD_PID" ]; then
		brinkd_stop
		local rc=$?
		check "brinkd exits cleanly (status 0: no sanitizer report)" test "$rc" -eq 0
	fi
	[ -n "${E2E_COUNTS:-}" ] && echo "$E2E_PASSED $E2E_FAILED" >>"$E2E_COUNTS"
	if [ "$E2E_FAILED" -eq 0 ]; then rm -rf "$DATA_DIR"; else echo "kept $DATA_DIR"; fi
	echo "$TEST_NAME: $E2E_PASSED passed, $E2E_FAILED failed"
}

cleanup_on_exit() {
	[ -n "$BRINKD_PID" ] && kill -KILL "$BRINKD_PID" 2>/dev/null
	return 0
}
trap cleanup_on_exit EXIT
