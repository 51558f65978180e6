#!/bin/bash
# Custom services on the docker runtime, against a real Docker engine and a
# local registry of the tests' own (dockerlib.sh): lifecycle, ports, pulls
# with progress, bad images, limits pushed live, isolation between tenants,
# brinkd killed and restarted, the engine restarted underneath.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dockerlib.sh"

brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" -o docker.publish_ip=0.0.0.0 -o cpu.capacity=1 -o docker.restart_max=2
register acme
api GET /v1/system
check "the docker runtime is available" test "$(jqb .runtimes.docker)" = available
check "with an engine, brinkd loaded the docker plugin" grep -q brink-docker.so "/proc/$BRINKD_PID/maps"

custom() { # custom IMAGE [CPU_MIN CPU_MAX]
	api POST /v1/services "{\"kind\":\"custom\",\"runtime\":\"docker\",\"image\":\"$1\",\
\"container_ports\":[80],\"cpu\":{\"min\":${2:-0.1},\"max\":${3:-1}}}"
}

# ---- lifecycle: create, the port answers, stop, start, delete ----
custom brink/test:1
check "create answers 201 or 202" test "$STATUS" = 201 -o "$STATUS" = 202
ID=$(jqb .id)
PORT=$(jqb '.ports[0]')
check "one host port from the tenant block" test "$(jqb '.ports | length')" = 1 -a "$PORT" -ge "$PORTS_FIRST"
check "the service runs" wait_state "$ID" running
check "its port answers" port_answers "$PORT"
check "one container, labelled with the service" test "$(containers_of "$ID")" = 1
CID=$(dk ps -q --no-trunc --filter "label=brink.service=$ID")
check "labelled with the tenant" test "$(dk inspect -f '{{index .Config.Labels "brink.tenant"}}' "$CID")" = "$TENANT_ID"
check "no privileges, every capability dropped but a few, no-new-privileges" \
	test "$(dk inspect -f '{{.HostConfig.Privileged}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.HostConfig.NetworkMode}} {{len .HostConfig.Binds}}' "$CID")" \
	= "false [ALL] [no-new-privileges] bridge 0"
check "memory limit applied" test "$(dk inspect -f '{{.HostConfig.Memory}}' "$CID")" = $((64 << 20))
check "CPU limit: the assigned share (1 core)" test "$(dk inspect -f '{{.HostConfig.NanoCpus}}' "$CID")" = 1000000000
api GET "/v1/services/$ID"
check "stats: memory in use is reported" test "$(jqb .usage.memory_bytes)" -gt 0

# the allocator halves its share when a second service wants 0.5 guaranteed
api POST /v1/services '{"kind":"forward","cpu":{"min":0.5,"max":1}}'
FWD=$(jqb .id)
check "a sandbox service beside it" test "$(jqb .state)" = running
check "the new share reaches the container (NanoCpus 0.5 core)" nano_cpus_become "$CID" 500000000
api DELETE "/v1/services/$FWD"
check "and goes back to 1 core" nano_cpus_become "$CID" 1000000000

api POST "/v1/services/$ID/stop"
check "stop -> stopped" test "$(jqb .state)" = stopped
check "stop removes the container" test "$(containers_of "$ID")" = 0
check "the port is closed" port_silent "$PORT"
api POST "/v1/services/$ID/start"
check "start -> running" wait_state "$ID" running
check "the port answers again, the same port" port_answers "$PORT"
check "one container again" test "$(containers_of "$ID")" = 1
CID=$(dk ps -q --no-trunc --filter "label=brink.service=$ID")

# ---- another tenant sees nothing of it ----
OWNER_KEY=$KEY
register rival
api GET "/v1/services/$ID"
expect_status 404 "another tenant's GET"
api POST "/v1/services/$ID/stop"
expect_status 404 "another tenant's stop"
api DELETE "/v1/services/$ID"
expect_status 404 "another tenant's delete"
check "the container still runs" port_answers "$PORT"
KEY=$OWNER_KEY

# ---- brinkd killed and started again: the container is re-adopted ----
brinkd_kill9
brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" -o docker.publish_ip=0.0.0.0 -o cpu.capacity=1 -o docker.restart_max=2
check "after kill -9 and restart: running" wait_state "$ID" running
check "the same container (re-adopted, not recreated)" \
	test "$(dk ps -q --no-trunc --filter "label=brink.service=$ID")" = "$CID"
check "no duplicate" test "$(containers_of "$ID")" = 1
check "its port answers" port_answers "$PORT"

# a container of this brinkd that no service wants is removed at start
dk create --label "brink.instance=$(dk inspect -f '{{index .Config.Labels "brink.instance"}}' "$CID")" \
	--label brink.service=00000000000000aa --name stray-$$ brink/test:1 >/dev/null
brinkd_kill9
brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" -o docker.publish_ip=0.0.0.0 -o cpu.capacity=1 -o docker.restart_max=2
check "a stray container of ours is reaped at start" test "$(dk ps -aq --filter name=stray-$$ | wc -l)" = 0
check "the wanted one stays" test "$(dk ps -q --no-trunc --filter "label=brink.service=$ID")" = "$CID"

# ---- the engine restarted underneath: brinkd notices and starts it again ----
bash "$DOCKER_ENV" restart-engine "$DOCKER_TEST_DIR" >/dev/null 2>&1
check "the engine is back" dk version
check "the service runs after the engine restarted" wait_state "$ID" running
check "its port answers again" port_answers "$PORT"
check "still one container" test "$(containers_of "$ID")" = 1
check "brinkd noticed the engine going away" grep -q "engine answers again" "$DATA_DIR/brinkd.log"

# ---- a container that exits at once ----
custom brink/exit:1
EXIT_ID=$(jqb .id)
check "an image that exits at once -> failed" wait_state "$EXIT_ID" failed 20
check "with the reason" jqb '.reason | test("exited with status 1")'
check "nothing left of it" test "$(containers_of "$EXIT_ID")" = 0
check "after the docker.restart default's restarts (on-failure, at most 2)" \
	jqb '.reason | test("after 2 restarts")'
# the service's own policy wins: restart no
api POST /v1/services '{"kind":"custom","runtime":"docker","image":"brink/exit:1","restart":"no","container_ports":[80],"cpu":{"min":0.1,"max":1}}'
NORESTART_ID=$(jqb .id)
check "restart: no is kept with the service" test "$(jqb .restart)" = no
check "... which fails at the first exit" wait_state "$NORESTART_ID" failed 20
check "... not restarted" jqb '.reason | test("restarts") | not'
api POST /v1/services '{"kind":"custom","runtime":"docker","image":"brink/exit:1","restart":"always","container_ports":[80],"cpu":{"min":0.1,"max":1}}'
check "restart: always is refused (no or on-failure)" test "$STATUS" = 400
api POST /v1/services '{"kind":"forward","restart":"no","cpu":{"min":0.1,"max":1}}'
check "restart belongs to custom services" test "$STATUS" = 400

# ---- pulls from the local registry, with progress ----
export BRINK_KEY=$KEY
dk rmi -f "$DOCKER_TEST_REGISTRY/brink/test:1" >/dev/null 2>&1
cli service up custom --runtime docker --image "$DOCKER_TEST_REGISTRY/brink/test:1" --port 80 \
	--port 8080 --cpu 0.05:0.2
check "brink service up pulls and waits (exit 0)" test "$RC" = 0
check "it printed the pull's progress" grep -q "Pull complete\|Download complete\|Pulling" <<<"$ERR"
check "and the service, running" grep -q "running" <<<"$OUT"
PULL_ID=$(awk '$1 == "id" {print $2}' <<<"$OUT")
api GET "/v1/services/$PULL_ID"
check "two container ports, two host ports" test "$(jqb '.ports | length')" = 2
check "the pulled image's port answers" port_answers "$(jqb '.ports[0]')"

custom "$DOCKER_TEST_REGISTRY/brink/nope:1"
NOPE=$(jqb .id)
check "an unknown image -> failed" wait_state "$NOPE" failed 20
check "with the registry's reason" jqb '.reason | test("pulling image"; "i")'
check "no container for it" test "$(containers_of "$NOPE")" = 0
cli service up custom --runtime docker --image 127.0.0.1:5999/brink/test:1 --port 80 --cpu 0.05:0.2
check "a registry nobody answers: the CLI exits 1" test "$RC" = 1
check "saying why" grep -q "connection refused" <<<"$ERR"
api GET /v1/services
check "the failed services hold no CPU" test "$(jqb '[.services[] | select(.state == "failed") | .cpu.assigned] | add')" = 0

custom "Bad Image"
expect_status 400 "an image reference with a space"
custom 'a;id'
expect_status 400 "an image reference with a ';'"
custom "$(printf 'x%.0s' $(seq 300))"
expect_status 400 "an image reference too long"

# ---- a host port already taken ----
brinkd_stop
TAKEN=$((PORTS_FIRST + 99))
in_ns python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', $TAKEN)); s.listen(); time.sleep(60)" &
HOLDER=$!
sleep 0.3
brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" -o docker.publish_ip=0.0.0.0 -o ports.first=$TAKEN -o ports.last=$TAKEN
custom brink/test:1 0.05 0.1
TID=$(jqb .id)
check "a host port taken by another program -> failed" wait_state "$TID" failed 20
check "the reason names the port" jqb ".reason | test(\"$TAKEN\")"
check "nothing left of it" test "$(containers_of "$TID")" = 0
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# ---- unsubscribe removes the tenant's containers; a clean stop removes the rest ----
api DELETE /v1/tenant
check "unsubscribe removes the tenant's containers" test "$(containers_of "$ID")" = 0
INSTANCE_LABEL=$(dk ps -aq --filter "label=brink.tenant=$TENANT_ID" | wc -l)
check "none of the tenant's containers remains" test "$INSTANCE_LABEL" = 0

# ---- no engine: the driver says so, sandbox services are unaffected ----
brinkd_stop
brinkd_start -o docker.socket=/nonexistent/docker.sock
register solo
api GET /v1/system
check "without an engine the docker runtime is unavailable" test "$(jqb .runtimes.docker)" = unavailable
check "and /v1/system says why" jqb '.runtimes_unavailable.docker | test("nonexistent")'
# the plugin, libcurl and its libraries (OpenSSL, krb5...) stay out of a brinkd
# without an engine
check "the docker plugin is not loaded" test -z "$(grep brink-docker.so "/proc/$BRINKD_PID/maps")"
# (sanitizer builds link libvirt, and with it libcurl: see the Makefile's SAN_LIBS)
case "$BUILD" in *san*) ;; *)
	check "nor is libcurl" test -z "$(grep libcurl "/proc/$BRINKD_PID/maps")" ;;
esac
check "the reason names the socket" jqb '.runtimes_unavailable.docker | test("no Docker engine at /nonexistent/docker.sock")'
custom brink/test:1
expect_status 503 "a custom service without an engine"
check "a clear error" jqb '.error.message | test("docker")'
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
expect_status 201 "a sandbox service without an engine"
check "runs" test "$(jqb .state)" = running

# ---- a socket nobody listens on: the plugin loads, the engine does not answer ----
brinkd_stop
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$DATA_DIR/dead.sock"
brinkd_start -o docker.socket="$DATA_DIR/dead.sock"
api GET /v1/system
check "a dead socket: the docker runtime is unavailable" test "$(jqb .runtimes.docker)" = unavailable
check "the engine does not answer" jqb '.runtimes_unavailable.docker | test("does not answer")'
check "the plugin was loaded to ask" grep -q brink-docker.so "/proc/$BRINKD_PID/maps"
finish
