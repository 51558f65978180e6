#!/bin/bash
# Forward and analyze services on the docker runtime: brink-worker runs in brink's own
# image (scripts/worker-image.sh, imported, no registry) and talks to brinkd
# over unix sockets in a directory bind-mounted into the container.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dockerlib.sh"

start() { brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" "$@"; }
readings_flow() { # PORT [analyze]: runs docker_worker_checks.py, counting its checks
	local word ok rest
	count_checks < <(/usr/bin/python3 tests/e2e/docker_worker_checks.py "$INGEST_PORT" "$1" "$KEY" roof "$THING_KEY" \
		"${2:-}" 2>&1)
}

start
register acme
api POST /v1/things '{"name":"roof"}'
THING_KEY=$(jqb .key)
api POST /v1/services '{"kind":"forward","runtime":"docker","cpu":{"min":0.1,"max":0.5}}'
check "a forward service on docker is accepted (202 while it starts)" test "$STATUS" = 202
ID=$(jqb .id)
PORT=$(jqb '.ports[0]')
check "it runs" wait_state "$ID" running
check "one container" test "$(containers_of "$ID")" = 1
CID=$(dk ps -q --no-trunc --filter "label=brink.service=$ID")
check "the worker's container: brink's image, no network, read-only, unprivileged user" \
	test "$(dk inspect -f '{{.Config.Image}} {{.HostConfig.NetworkMode}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.CapDrop}} {{len .HostConfig.Binds}}' "$CID")" \
	= "brink/worker:1 none true 65534:65534 [ALL] 1"
check "its only mount is its socket directory" \
	dk inspect -f '{{index .HostConfig.Binds 0}}' "$CID" | grep -q "^$DATA_DIR/docker/$ID:/run/brink$"
check "the sockets are gone once the worker connected" test -z "$(ls "$DATA_DIR/docker/$ID")"
readings_flow "$PORT"

api POST "/v1/services/$ID/stop"
check "stop removes the container" test "$(containers_of "$ID")" = 0
check "and its socket directory" test ! -e "$DATA_DIR/docker/$ID"
api POST "/v1/services/$ID/start"
check "start -> running again" wait_state "$ID" running
readings_flow "$PORT"

brinkd_kill9
start
check "after kill -9 and restart: running" wait_state "$ID" running
check "one container (the old one, whose sockets died with brinkd, replaced)" \
	test "$(containers_of "$ID")" = 1 -a "$(dk ps -q --no-trunc --filter "label=brink.service=$ID")" != "$CID"
readings_flow "$PORT"

api DELETE "/v1/services/$ID"
check "delete removes the container" test "$(containers_of "$ID")" = 0
check "and its socket directory" test ! -e "$DATA_DIR/docker/$ID"

# an analyze service: its model reaches the container as a file in the
# socket directory, gone once the worker is READY
rules_model "temp > 22"
api POST /v1/services "{\"kind\":\"analyze\",\"runtime\":\"docker\",\"model\":\"$MODEL\",\"columns\":[\"temp\"],\"cpu\":{\"min\":0.1,\"max\":0.5}}"
check "an analyze service on docker is accepted" test "$STATUS" = 202 -o "$STATUS" = 201
AID=$(jqb .id)
check "it runs" wait_state "$AID" running
check "its model file is gone from the directory once the worker is READY" \
	test -z "$(ls "$DATA_DIR/docker/$AID")"
readings_flow "$(jqb '.ports[0]')" analyze
api DELETE "/v1/services/$AID"
check "delete removes its container" test "$(containers_of "$AID")" = 0

brinkd_stop
start -o docker.worker_image=brink/none:1
api POST /v1/services '{"kind":"forward","runtime":"docker","cpu":{"min":0.1,"max":0.5}}'
NOIMG=$(jqb .id)
check "without the worker image -> failed" wait_state "$NOIMG" failed
check "saying how to build it" jqb '.reason | test("worker-image.sh")'
check "no container" test "$(containers_of "$NOIMG")" = 0
finish
