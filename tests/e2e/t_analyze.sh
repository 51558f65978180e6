#!/bin/bash
# Analyze services end to end: models uploaded (checked in a sandboxed
# brink-worker), refused files change nothing, tenants never see each other's
# models, datum/batch/rules results against numpy's reference
# (tests/e2e/analyze_checks.py), skipped readings counted, SSE, restart, and
# CPU isolation between a heavy tenant and another.
. "$(dirname "$0")/lib.sh"
write_models
# capacity = the sum of every maximum below, so assignments never shrink
brinkd_start -o cpu.capacity=2

count_models() { api GET /v1/models; jqb '.models | length'; }
# says PATTERN: the error message of the last answer matches PATTERN (grep -Ei)
says() { jqb .error.message | grep -Eqi "$1"; }

register alpha
A=$KEY
upload small h5 "$M/small.h5"
expect_status 201 "upload a Keras HDF5 model"
SMALL=$(jqb .id)
check "its summary: 2 inputs, 1 output, 3 layers" test "$(jqb '"\(.inputs) \(.outputs) \(.summary.layers)"')" = "2 1 3"
check "its size is the file's" test "$(jqb .size)" -eq "$(stat -c %s "$M/small.h5")"
upload small h5 "$M/small.h5"
expect_status 409 "a second model of the same name"

# refused files: a clear 400, nothing stored
for bad in truncated garbage nan; do
	upload "$bad" h5 "$M/$bad.h5"
	expect_status 400 "a $bad HDF5 file is refused"
	check "... with a message" says 'model refused: model: .{8}'
	echo "     ($(jqb .error.message))"
done
upload nan h5 "$M/nan.h5"
check "a NaN weight is named in the refusal" says 'nan|finite'
check "refused files leave nothing stored" test "$(count_models)" = 1
printf 'temp > || hum' >"$M/bad.rules"
upload badrule rules "$M/bad.rules"
expect_status 400 "a rule with a syntax error is refused"
check "... and the message gives the position" says 'column [0-9]+'
head -c $((9 << 20)) /dev/zero >"$M/huge.h5"
upload huge h5 "$M/huge.h5"
expect_status 413 "a file over models.max_bytes"
upload "bad%20name" h5 "$M/small.h5"
expect_status 400 "a model name that is not a name"
check "still one model" test "$(count_models)" = 1

printf 'temp > 30 || hum > 60' >"$M/alert.rules"
upload alert rules "$M/alert.rules"
expect_status 201 "upload a rule"
RULE=$(jqb .id)
check "the rule's fields, in order" test "$(jqb '.summary.fields | join(",")')" = "temp,hum"
upload width3 h5 "$M/width3.h5"
W3=$(jqb .id)
upload multi h5 "$M/multi.h5"
MULTI=$(jqb .id)
upload heavy h5 "$M/heavy.h5"
expect_status 201 "a 4 MB model"
HEAVY=$(jqb .id)

# the CLI
export BRINK_KEY=$A
cli model add "$M/ecm.h5"
check "brink model add FILE names it after the file" bash -c "grep -q 'Added model ecm' <<<'$OUT'"
cli model list
check "brink model list shows it" bash -c "grep -q ecm <<<'$OUT' && grep -q alert <<<'$OUT'"
ECM=$($BRINK --json model list | jq -r '.models[] | select(.name=="ecm") | .id')
cli model add "$M/garbage.h5" --name junk
check "brink model add of garbage fails with brinkd's message" test "$RC" -eq 1 -a -n "$ERR"
cli --json service up analyze --cpu 0:0.1 --model "$ECM" --columns temp,hum --batch 5 --labels ok,hot --alerts hot --threshold 0.7
check "brink service up analyze with labels, alerts and threshold" test "$(jq -r '"\(.state) \(.mode) \(.batch) \(.labels|join(",")) \(.alerts|join(",")) \(.threshold)"' <<<"$OUT")" = "running batch 5 ok,hot hot 0.7"
cli service rm "$(jq -r .id <<<"$OUT")"
cli model rm "$ECM"
check "brink model rm" test "$RC" -eq 0
api GET "/v1/models/$ECM"
expect_status 404 "a removed model is gone"
unset BRINK_KEY

# another tenant sees nothing of A's models
register beta
B=$KEY
api GET "/v1/models/$SMALL"
expect_status 404 "another tenant's model is not found"
api DELETE "/v1/models/$SMALL"
expect_status 404 "... nor can it be deleted"
check "another tenant's list is empty" test "$(count_models)" = 0
api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":0.1},\"model\":\"$SMALL\",\"columns\":[\"temp\",\"hum\"]}"
expect_status 400 "another tenant's model cannot be used"
check "... and the answer is the one for a missing model" says 'no model with id'
api POST /v1/things '{"name":"cellar"}'
TB_KEY=$(jqb .key)

KEY=$A
api POST /v1/things '{"name":"roof"}'
TA_KEY=$(jqb .key)
svc() { api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.05,\"max\":0.3},$1}"; }
svc "\"model\":\"$W3\",\"columns\":[\"temp\",\"hum\"]"
expect_status 400 "columns narrower than the model's inputs"
check "... says how many inputs it takes" says 'takes 3 inputs'
svc "\"model\":\"$SMALL\""
expect_status 400 "an HDF5 model without columns"
svc "\"model\":\"$SMALL\",\"columns\":[\"temp\",\"hum\"],\"labels\":[\"a\",\"b\",\"c\"]"
expect_status 400 "three labels for a one-output model"
svc "\"model\":\"$SMALL\",\"columns\":\"{1:'temp',2:'hum'}\""
expect_status 201 "an analyze service with ECM's column order"
SVC=$(jqb .id)
PORT=$(jqb '.ports[0]')
check "its columns, in order" test "$(jqb '.columns | join(",")')" = "temp,hum"
check "it runs" test "$(jqb .state)" = running
api DELETE "/v1/models/$SMALL"
expect_status 409 "a model in use cannot be deleted"

curl -sN --max-time 8 -H "Authorization: Bearer $A" "$BRINK_URL/v1/services/$SVC/stream" >"$DATA_DIR/sse.txt" &
SSE_PID=$!
sleep 0.3
py_checks datum "$INGEST_PORT" "$PORT" "$A" roof "$TA_KEY" "$M/small.h5"
sleep 0.4 # the worker's counters arrive at most every 100 ms
api GET "/v1/services/$SVC"
check "info counts readings missing a field" test "$(jqb .analysis.skipped_missing)" -eq 1
check "info counts readings with a non-numeric field" test "$(jqb .analysis.skipped_bad)" -eq 3
check "info counts results" test "$(jqb .analysis.results)" -eq 40
kill "$SSE_PID" 2>/dev/null
wait "$SSE_PID" 2>/dev/null
check "SSE carries the results" test "$(grep -c '^data: {"thing":"roof".*"score":' "$DATA_DIR/sse.txt")" -eq 40
api DELETE "/v1/services/$SVC"

svc "\"model\":\"$MULTI\",\"columns\":[\"temp\",\"hum\"],\"mode\":\"batch\",\"batch\":4,\"labels\":[\"low\",\"mid\",\"high\"],\"alerts\":[\"high\"]"
expect_status 201 "a batch service with labels and alerts"
SVC=$(jqb .id)
check "it shows its labels and alerts" test "$(jqb '(.labels|join(",")) + " " + (.alerts|join(","))')" = "low,mid,high high"
py_checks batch "$INGEST_PORT" "$(jqb '.ports[0]')" "$A" roof "$TA_KEY" "$M/multi.h5" 4
api DELETE "/v1/services/$SVC"

svc "\"model\":\"$RULE\""
expect_status 201 "a rules service (its fields are its columns)"
SVC=$(jqb .id)
py_checks rules "$INGEST_PORT" "$(jqb '.ports[0]')" "$A" roof "$TA_KEY"
svc "\"model\":\"$RULE\",\"columns\":[\"temp\",\"wind\"]"
expect_status 400 "rule columns that miss one of its fields"

# a restart brings the analyze service back with its model from the store
brinkd_stop
brinkd_start -o cpu.capacity=2
sleep 0.3
api GET "/v1/services/$SVC"
check "after a restart the rules service runs again" test "$(jqb .state)" = running
py_checks rules "$INGEST_PORT" "$(jqb '.ports[0]')" "$A" roof "$TA_KEY"
api DELETE "/v1/services/$SVC"

# CPU isolation: tenant A's three services of a heavy model (1 M
# multiply-adds per reading, 4 MB: the four workers' weights stay in this
# machine's 32 MB L3, so memory bandwidth, which CPU quotas do not share
# out, is not what is measured; at most 0.2 core each) flooded with readings
# must not slow tenant B's service of the same model below 70% of what it
# does alone within its own share (0.5 core). B's rate is its result counter
# over a window; the phases alternate so that the shared machine's own noise
# hits both, and the best of four rounds counts.
KEY=$B
upload heavy h5 "$M/heavy.h5"
BH=$(jqb .id)
api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.5,\"max\":0.5},\"memory_mb\":256,\"model\":\"$BH\",\"columns\":[\"temp\",\"hum\"]}"
BSVC=$(jqb .id)
KEY=$A
ASVCS=()
for i in 1 2 3; do
	api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.05,\"max\":0.2},\"memory_mb\":256,\"model\":\"$HEAVY\",\"columns\":[\"temp\",\"hum\"]}"
	ASVCS+=("$(jqb .id)")
done
a_done() { # sum of A's services' readings handled so far
	local s n=0
	for s in "${ASVCS[@]}"; do
		api GET "/v1/services/$s" "" "$A"
		n=$((n + $(jqb .analysis.readings)))
	done
	echo "$n"
}
a_drain() { # waits (at most 10 s) until A's workers have no backlog left
	local last=-1 now i
	for i in $(seq 1 50); do
		now=$(a_done)
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.2
	done
}
# snap: B's results, B's CPU seconds, A's CPU seconds (its three services)
snap() {
	local s a=0
	api GET "/v1/services/$BSVC" "" "$B"
	printf '%s %s ' "$(jqb .analysis.results)" "$(jqb .worker.cpu_seconds)"
	for s in "${ASVCS[@]}"; do
		api GET "/v1/services/$s" "" "$A"
		a=$(awk -v a="$a" -v c="$(jqb .worker.cpu_seconds)" 'BEGIN {print a + c}')
	done
	echo "$a $(date +%s.%N) $(awk '{print ($14 + $15) / 100}' "/proc/$BRINKD_PID/stat")"
}
# measure SECONDS: "B's results/s, B's cores, A's cores" over the window
measure() {
	local s0 s1
	s0=$(snap)
	sleep "$1"
	s1=$(snap)
	echo "$s0 $s1" | awk '{t = $9 - $4; print ($6 - $1) / t, ($7 - $2) / t, ($8 - $3) / t, ($10 - $5) / t}'
}
(cd tests/e2e && $PY analyze_checks.py load "$INGEST_PORT" cellar "$TB_KEY" 7000 300) &
BLOAD=$!
sleep 1
# Two criteria. (1) B's throughput under A's flood is at least 70% of B's
# alone, in rounds where the machine gave brink what it asked for (B alone
# got at least 0.4 of its 0.5 core, and A and B together at least 0.9 of
# their 1.1 under load). (2) Always, B's CPU under A's flood is at least 70%
# of what its share entitles it to: what it used alone, or, when the CPU
# brink's units got is less than they asked for (this box is shared with
# other work; CI's is not), B's weight's part of it, 0.5 / (0.5 + 3 x 0.2).
# Without per-unit quotas and weights, A's three workers would take three
# quarters of whatever there is.
best=0 valid=0 a_max=0 alone_max=0 rounds=0 share_ok=0
for round in 1 2 3 4; do
	rounds=$round
	a_drain
	read -r alone b_cores_alone _ < <(measure 2)
	(cd tests/e2e && $PY analyze_checks.py load "$INGEST_PORT" roof "$TA_KEY" 2000 3.5) &
	ALOAD=$!
	sleep 1
	read -r loaded b_cores a_cores d_cores < <(measure 2)
	wait "$ALOAD"
	ratio=$(awk -v l="$loaded" -v a="$alone" 'BEGIN {print l / (a + 0.001)}')
	counts=$(awk -v b0="$b_cores_alone" -v b="$b_cores" -v a="$a_cores" \
		'BEGIN {print (b0 >= 0.4 && a + b >= 0.9) ? 1 : 0}')
	printf 'isolation round %d: B alone %.0f/s (%.2f cores); A flooding: B %.0f/s (%.2f cores), A %.2f cores, brinkd %.2f cores; ratio %.2f%s\n' \
		"$round" "$alone" "$b_cores_alone" "$loaded" "$b_cores" "$a_cores" "$d_cores" "$ratio" \
		"$([ "$counts" = 1 ] && echo "" || echo " (not counted: the machine is saturated)")"
	share_ok=$((share_ok + $(awk -v b0="$b_cores_alone" -v b="$b_cores" -v a="$a_cores" 'BEGIN {
		e = (a + b) * 0.5 / 1.1; if (b0 < e) e = b0; print (b >= 0.7 * e) ? 1 : 0 }')))
	a_max=$(awk -v r="$a_cores" -v b="$a_max" 'BEGIN {print (r > b ? r : b)}')
	alone_max=$(awk -v r="$alone" -v b="$alone_max" 'BEGIN {print (r > b ? r : b)}')
	[ "$counts" = 1 ] || continue
	valid=$((valid + 1))
	best=$(awk -v r="$ratio" -v b="$best" 'BEGIN {print (r > b ? r : b)}')
	awk -v b="$best" 'BEGIN {exit !(b >= 0.7)}' && break
done
kill "$BLOAD" 2>/dev/null
wait "$BLOAD" 2>/dev/null
check "B works alone (a measurement that can fail)" awk -v a="$alone_max" 'BEGIN {exit !(a > 20)}'
check "under A's flood B keeps 70% of the CPU its share entitles it to (in most rounds)" \
	test $((share_ok * 2)) -ge "$rounds"
check "A's three workers stay within their 0.6 cores" awk -v a="$a_max" 'BEGIN {exit !(a > 0.05 && a <= 0.66)}'
if [ "$valid" -gt 0 ]; then
	check "A's heavy load leaves B at least 70% of its alone rate" awk -v b="$best" 'BEGIN {exit !(b >= 0.7)}'
else
	echo "note $TEST_NAME: the B-under-A ratio was not measurable: other processes saturated the machine in every round"
fi
finish
