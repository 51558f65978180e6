#!/bin/bash
# The ECM-compatible front end with ECM's own programs replayed byte for byte
# (tests/e2e/ecm_programs.py, checks in ecm_checks.py): register, bootstrap,
# listening service with the sensor program feeding the consumer program,
# info, stop, start again, refusals across tenants, a restart, remove, the
# analysis service with an uploaded .h5 (per datum and in batches), custom as
# far as this build goes, unsubscribe.
. "$(dirname "$0")/lib.sh"
OFFSET=$(ecm_offset)
brinkd_start -o ecm.enabled=true -o ecm.port_offset="$OFFSET" -o cpu.capacity=1.5
run_checks() {
	count_checks < <(/usr/bin/python3 tests/e2e/ecm_checks.py "$OFFSET" "$@" 2>&1)
}
run_checks main "$DATA_DIR/ecm.state"
register rest-user
api GET /v1/system
check "the ECM tenants are brink tenants" test "$(jqb .tenants)" -eq 3
brinkd_stop
brinkd_start -o ecm.enabled=true -o ecm.port_offset="$OFFSET" -o cpu.capacity=1.5
NOTE=""
api GET /v1/system
[ "$(jqb '.runtimes.docker // "absent"')" = available ] ||
	NOTE="the docker runtime is not available in this build"
run_checks after_restart "$DATA_DIR/ecm.state" "$NOTE"
finish
