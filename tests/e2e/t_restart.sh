#!/bin/bash
# Durability and reconciliation: every acknowledged change survives kill -9 of
# brinkd the instant after the reply; on start, services that were running run
# again, none is orphaned, none duplicated; stopped ones stay stopped.
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5
register alpha
api POST /v1/things '{"name":"t1"}'
T1=$(jqb .id)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
S1=$(jqb .id)
OLD1=$(jqb .worker.pid)
api POST /v1/services '{"kind":"forward","cpu":{"min":0.1,"max":0.5}}'
S2=$(jqb .id)
api POST "/v1/services/$S2/stop"
rules_model 'temp > 30'
api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.1,\"max\":0.5},\"model\":\"$MODEL\"}"
S3=$(jqb .id)
OLD3=$(jqb .worker.pid)
brinkd_kill9 # the instant after the last reply
sleep 0.2
check "workers die with brinkd (no orphans)" all_dead "$OLD1" "$OLD3"

brinkd_start -o cpu.capacity=1.5
api GET /v1/tenant
expect_status 200 "the tenant and its key survived kill -9"
api GET "/v1/things/$T1"
expect_status 200 "the thing survived"
api GET /v1/services
check "three services, in creation order" test "$(jqb '[.services[].id] | join(",")')" = "$S1,$S2,$S3"
check "running ones run again, the stopped one stays stopped" test "$(jqb '[.services[].state] | join(",")')" = "running,stopped,running"
api GET "/v1/services/$S1"
NEW1=$(jqb .worker.pid)
check "with new workers" test -n "$NEW1" -a "$NEW1" != null -a "$NEW1" != "$OLD1"
worker_pids() { pgrep -P "$BRINKD_PID" -f brink-worker | sort; }
count_workers() { worker_pids | grep -c . || true; }
check "exactly two workers exist" test "$(count_workers)" = 2

# the very last acknowledged change survives too
api POST "/v1/services/$S1/stop"
brinkd_kill9
brinkd_start -o cpu.capacity=1.5
api GET "/v1/services/$S1"
check "a stop acknowledged just before kill -9 holds" test "$(jqb .state)" = stopped
check "one worker exists" test "$(count_workers)" = 1

# a clean restart (SIGTERM) brings the same back
PIDS=$(worker_pids)
brinkd_stop
check "there was a worker to stop" test -n "$PIDS"
# shellcheck disable=SC2086
check "SIGTERM stops the workers" all_dead $PIDS
brinkd_start -o cpu.capacity=1.5
api GET /v1/services
check "after a clean restart the same states" test "$(jqb '[.services[].state] | join(",")')" = "stopped,stopped,running"
finish
