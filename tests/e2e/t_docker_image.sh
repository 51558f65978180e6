#!/bin/bash
# An analyze service of an uploaded h5 model on the docker runtime: the
# worker in its container gets the model's compiled image as its model file
# (--model-file), recognises it by its magic, loads it without libhdf5 and
# scores readings as numpy does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dockerlib.sh"
write_models
brinkd_start -o docker.socket="$DOCKER_TEST_SOCK"
register acme
api POST /v1/things '{"name":"roof"}'
THING_KEY=$(jqb .key)
upload small h5 "$M/small.h5"
expect_status 201 "upload a Keras HDF5 model"
check "it is compiled" test "$(jqb .compiled)" = true
SMALL=$(jqb .id)
api POST /v1/services "{\"kind\":\"analyze\",\"runtime\":\"docker\",\"model\":\"$SMALL\",\"columns\":[\"temp\",\"hum\"],\"cpu\":{\"min\":0.1,\"max\":0.5}}"
check "an analyze service of it on docker is accepted" test "$STATUS" = 202 -o "$STATUS" = 201
AID=$(jqb .id)
PORT=$(jqb '.ports[0]')
check "it runs" wait_state "$AID" running
CID=$(dk ps -q --no-trunc --filter "label=brink.service=$AID")
check "the containerised worker loaded the compiled image" \
	bash -c "docker -H 'unix://$DOCKER_TEST_SOCK' logs '$CID' 2>&1 | grep -q 'loaded the compiled model image'"
count_checks < <(cd tests/e2e && $PY analyze_checks.py datum "$INGEST_PORT" "$PORT" "$KEY" roof "$THING_KEY" \
	"$M/small.h5" 2>&1)
api DELETE "/v1/services/$AID"
check "delete removes its container" test "$(containers_of "$AID")" = 0
finish
