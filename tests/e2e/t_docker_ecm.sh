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
count_checks < <(/usr/bin/python3 tests/e2e/ecm_checks.py "$OFFSET" custom "$DATA_DIR/ecm.state" \
	"$DOCKER_TEST_IP" 2>&1)
finish
