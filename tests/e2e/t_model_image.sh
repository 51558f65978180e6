#!/bin/bash
# Compiled model images: the check of an uploaded h5 model writes its image
# (src/analyze/nn-image.c), GET /v1/models shows "compiled", and a service
# on it starts from the image (the worker says so in brinkd's log) with the
# same results as numpy. A model stored without an image (uploaded before
# store migration 8: the column set to NULL here) still starts, from its
# HDF5 file; a corrupted stored image fails the start with a clear reason.
. "$(dirname "$0")/lib.sh"
write_models
brinkd_start -o cpu.capacity=2
LOG="$DATA_DIR/brinkd.log"

# unit_log SVC: brinkd's log lines of service SVC's worker
unit_log() { grep -F "unit $(printf '%u' "0x$1"):" "$LOG"; }
svc() { api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.05,\"max\":0.3},$1}"; }

register alpha
api POST /v1/things '{"name":"roof"}'
TA_KEY=$(jqb .key)
upload small h5 "$M/small.h5"
expect_status 201 "upload a Keras HDF5 model"
SMALL=$(jqb .id)
check "it is compiled" test "$(jqb .compiled)" = true
check "the summary does not carry the image's size" test "$(jqb '.summary.image_bytes')" = null
check "the summary is the usual one" test "$(jqb '"\(.summary.format) \(.summary.layers)"')" = "h5 3"
printf 'temp > 30' >"$M/hot.rules"
upload hot rules "$M/hot.rules"
expect_status 201 "upload a rule"
check "a rule is not compiled" test "$(jqb .compiled)" = false
api GET "/v1/models/$SMALL"
check "GET shows compiled" test "$(jqb .compiled)" = true
IMG_LEN=$(sqlite3 "$DATA_DIR/brink.db" "select length(image) from models where id='$SMALL'")
check "the store holds the image (24 + 16 per layer + 4 per parameter bytes)" \
	test "$IMG_LEN" -eq "$(jqb '24 + 16 * .summary.layers + 4 * .summary.model.params')"
api GET /v1/models
check "the list shows compiled" test "$(jqb '[.models[].compiled] | join(",")')" = "true,false"

svc "\"model\":\"$SMALL\",\"columns\":[\"temp\",\"hum\"]"
expect_status 201 "a service on the compiled model"
SVC=$(jqb .id)
check "it runs" test "$(jqb .state)" = running
check "its worker loaded the compiled image" \
	grep -q "loaded the compiled model image ($IMG_LEN bytes)" <(unit_log "$SVC")
py_checks datum "$INGEST_PORT" "$(jqb '.ports[0]')" "$KEY" roof "$TA_KEY" "$M/small.h5"
api DELETE "/v1/services/$SVC"

# a model stored before the image existed: the HDF5 path
upload old h5 "$M/small.h5"
OLD=$(jqb .id)
brinkd_stop
sqlite3 "$DATA_DIR/brink.db" "update models set image = NULL where id = '$OLD'"
brinkd_start -o cpu.capacity=2
api GET "/v1/models/$OLD"
check "a model without an image reads compiled: false" test "$(jqb .compiled)" = false
svc "\"model\":\"$OLD\",\"columns\":[\"temp\",\"hum\"]"
expect_status 201 "a service on it"
SVC=$(jqb .id)
check "it runs" test "$(jqb .state)" = running
check "its worker logged (a line that can fail)" test -n "$(unit_log "$SVC")"
check "its worker parsed the HDF5 file (no image line)" \
	bash -c "! grep -q 'compiled model image' <<<'$(unit_log "$SVC")'"
py_checks datum "$INGEST_PORT" "$(jqb '.ports[0]')" "$KEY" roof "$TA_KEY" "$M/small.h5"
api DELETE "/v1/services/$SVC"

# a corrupted image in the store: the worker refuses it, the start fails clearly
brinkd_stop
sqlite3 "$DATA_DIR/brink.db" "update models set image = x'89424e4e0d0a1a0a020000000100000000000000000000000000000000000000' where id = '$SMALL'"
brinkd_start -o cpu.capacity=2
svc "\"model\":\"$SMALL\",\"columns\":[\"temp\",\"hum\"]"
check "a service on a corrupted image does not run" test "$(jqb '.state // .error.code')" != running
check "... and brinkd's log names the image's fault" grep -q 'failed to start.*model image: unknown version' "$LOG"
finish
