#!/bin/bash
# Services in the sandbox runtime: lifecycle, the worker's sandbox, the CPU
# allocator's shares applied to cgroups, admission control, isolation.
. "$(dirname "$0")/lib.sh"
brinkd_start -o cpu.capacity=1.5
register alpha
A=$KEY

quota_of() { # cores from the worker's cpu cgroup (v1 or v2)
	local pid=$1 line path
	line=$(grep -E '^[0-9]+:(cpu,cpuacct|cpu|cpuacct,cpu):|^0::' /proc/"$pid"/cgroup | head -1)
	path=${line#*:*:}
	if [ -f "/sys/fs/cgroup/cpu$path/cpu.cfs_quota_us" ]; then
		awk -v q="$(cat /sys/fs/cgroup/cpu$path/cpu.cfs_quota_us)" -v p="$(cat /sys/fs/cgroup/cpu$path/cpu.cfs_period_us)" 'BEGIN{printf "%.2f", q/p}'
	else
		awk '{printf "%.2f", $1/$2}' "/sys/fs/cgroup$path/cpu.max"
	fi
}

api POST /v1/services '{"kind":"forward","name":"fwd","cpu":{"min":0.2,"max":1.0},"memory_mb":32}'
expect_status 201 "create a forward service"
S1=$(jqb .id)
P1=$(jqb .worker.pid)
check "state running" test "$(jqb .state)" = running
check "runtime sandbox" test "$(jqb .runtime)" = sandbox
check "alone it gets its max" test "$(jqb .cpu.assigned)" = 1
check "the worker process exists" alive "$P1"
check "worker in its own pid namespace" test "$(readlink /proc/$P1/ns/pid)" != "$(readlink /proc/self/ns/pid)"
check "worker in its own net namespace" test "$(readlink /proc/$P1/ns/net)" != "$(readlink /proc/self/ns/net)"
check "worker in its own mount namespace" test "$(readlink /proc/$P1/ns/mnt)" != "$(readlink /proc/self/ns/mnt)"
check "worker in its own ipc and uts namespaces" test "$(readlink /proc/$P1/ns/ipc)$(readlink /proc/$P1/ns/uts)" != "$(readlink /proc/self/ns/ipc)$(readlink /proc/self/ns/uts)"
check "worker is not root" bash -c "awk '/^Uid:/{exit \$2==0}' /proc/$P1/status"
check "worker has seccomp filter and no_new_privs" bash -c "grep -q '^Seccomp:.*2' /proc/$P1/status && grep -q '^NoNewPrivs:.*1' /proc/$P1/status"
check "worker has no capabilities" bash -c "grep -q '^CapEff:.*0000000000000000' /proc/$P1/status"
check "cgroup quota is 1.0 core" test "$(quota_of "$P1")" = 1.00

rules_model 'temp > 30 || hum > 60'
api POST /v1/services "{\"kind\":\"analyze\",\"cpu\":{\"min\":0.5,\"max\":1.5},\"model\":\"$MODEL\",\"columns\":[\"temp\",\"hum\"],\"mode\":\"batch\",\"batch\":10}"
expect_status 201 "create an analyze service"
S2=$(jqb .id)
P2=$(jqb .worker.pid)
check "analyze fields echo back" test "$(jqb '.mode + " " + (.batch|tostring) + " " + (.columns|join(","))')" = "batch 10 temp,hum"
check "water-filling: second gets 0.75" test "$(jqb .cpu.assigned)" = 0.75
api GET "/v1/services/$S1"
check "water-filling: first shrinks to 0.75" test "$(jqb .cpu.assigned)" = 0.75
sleep 0.1
check "the first worker's cgroup follows: 0.75" test "$(quota_of "$P1")" = 0.75
check "the first worker acknowledged 0.75" test "$(jqb .worker.cpu)" = 0.75
shares_of() { # the cpu controller's weight of a process's cgroup (v1 cpu.shares, v2 cpu.weight)
	local path
	path=$(grep -E '^[0-9]+:(cpu|cpu,cpuacct|cpuacct,cpu):' /proc/"$1"/cgroup | cut -d: -f3)
	if [ -n "$path" ]; then cat "/sys/fs/cgroup/cpu$path/cpu.shares"; else
		cat "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/"$1"/cgroup)/cpu.weight"; fi
}
check "its CPU weight follows its share (cpu.shares 768 = 0.75 x 1024, or cpu.weight 75)" \
	bash -c "[[ '$(shares_of "$P1")' =~ ^(768|75)$ ]]"

api POST /v1/services '{"kind":"forward","cpu":{"min":0.9,"max":1}}'
expect_status 409 "a min that does not fit"
check "code insufficient_capacity" test "$(jqb .error.code)" = insufficient_capacity
api GET /v1/services
check "refused service left nothing" test "$(jqb '.services | length')" = 2

api POST "/v1/services/$S2/stop"
expect_status 200 "stop a service"
check "state stopped, assigned 0" test "$(jqb '.state + " " + (.cpu.assigned|tostring)')" = "stopped 0"
sleep 0.2
check "its worker is gone" all_dead "$P2"
api GET "/v1/services/$S1"
check "the other grows back to its max" test "$(jqb .cpu.assigned)" = 1
api POST "/v1/services/$S2/stop"
expect_status 200 "stopping a stopped service is harmless"
api POST "/v1/services/$S2/start"
expect_status 200 "start it again"
check "running with a new worker" test "$(jqb .state)" = running -a "$(jqb .worker.pid)" != "$P2"

# a worker that dies is noticed
P2=$(jqb .worker.pid)
kill -9 "$P2"
sleep 0.3
api GET "/v1/services/$S2"
check "a killed worker -> failed with a reason" test "$(jqb .state)" = failed -a -n "$(jqb .reason)"
api GET "/v1/services/$S1"
check "its share went back to the others" test "$(jqb .cpu.assigned)" = 1
api POST "/v1/services/$S2/start"
check "a failed service can start again" test "$(jqb .state)" = running

register beta
api GET "/v1/services/$S1"
expect_status 404 "beta reading alpha's service"
api POST "/v1/services/$S1/stop"
expect_status 404 "beta stopping alpha's service"
api DELETE "/v1/services/$S1"
expect_status 404 "beta deleting alpha's service"
api GET /v1/services
check "beta lists no services" test "$(jqb '.services | length')" = 0
register gamma
api POST /v1/services '{"kind":"custom","image":"nginx:1","cpu":{"min":0.1,"max":0.2}}'
check "custom in the sandbox is refused clearly" test "$STATUS" = 400 -a -n "$(jqb .error.message)"

KEY=$A
api DELETE "/v1/services/$S1"
expect_status 204 "delete a running service"
sleep 0.2
check "its worker is gone" all_dead "$P1"
api GET "/v1/services/$S1"
expect_status 404 "a deleted service"
api GET /v1/services
check "one service left" test "$(jqb '.services | length')" = 1

# favordynmods (src/runtime/cgroup-dynmods.c): off by default; when on, brinkd
# mounts its own named hierarchy in its data directory while it runs
dynmods_mounted() { grep -q " $DATA_DIR/cgroup-dynmods .* cgroup .*name=brink-dynmods" /proc/self/mountinfo; }
check "favordynmods is off by default" bash -c "! grep -q ' $DATA_DIR/cgroup-dynmods ' /proc/self/mountinfo"
brinkd_stop
brinkd_start -o sandbox.favor_dynmods=true
check "sandbox.favor_dynmods=true mounts a favordynmods hierarchy" dynmods_mounted
check "every process sees the hierarchy" grep -q ':name=brink-dynmods:' /proc/self/cgroup
api POST /v1/services '{"kind":"forward","cpu":{"min":0,"max":0.1}}'
check "services start with it" test "$(jqb .state)" = running
brinkd_stop
check "and brinkd unmounts it when it stops" bash -c "! grep -q ' $DATA_DIR/cgroup-dynmods ' /proc/self/mountinfo"
finish
