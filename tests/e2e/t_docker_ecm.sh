#!/bin/bash
# ECM's custom service (cliente.py -p 1 -i IMAGE -l PORTS -n N, replayed by
# ecm_programs.py) on the docker runtime, against the tests' own engine and
# registry (dockerlib.sh): ECM's reply with the host ports once the image is
# ready, the container's port answers, info, another tenant's stop refused,
# stop, remove, a missing image and a bad reference. Named t_docker_* so that
# run.sh starts the shared test engine for it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dockerlib.sh"
OFFSET=$(ecm_offset)
brinkd_start -o docker.socket="$DOCKER_TEST_SOCK" -o docker.publish_ip=0.0.0.0 \
	-o ecm.enabled=true -o ecm.port_offset="$OFFSET" -o cpu.capacity=1
while read -r word ok rest; do
	[ "$word" = CHECK ] || { echo "$word $ok $rest"; continue; }
	if [ "$ok" = 1 ]; then
		E2E_PASSED=$((E2E_PASSED + 1)); echo "ok   $TEST_NAME: $rest"
	else
		E2E_FAILED=$((E2E_FAILED + 1)); echo "FAIL $TEST_NAME: $rest"
	fi
done < <(/usr/bin/python3 tests/e2e/ecm_checks.py "$OFFSET" custom "$DATA_DIR/ecm.state" \
	"$DOCKER_TEST_IP" 2>&1)
finish
