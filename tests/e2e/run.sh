#!/bin/bash
# Runs every tests/e2e/t_*.sh (or those named) against the real brinkd in $BUILD.
# Each test file counts its checks into $E2E_COUNTS; prints "e2e: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export E2E_COUNTS
E2E_COUNTS=$(mktemp)
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(tests/e2e/t_*.sh)
# The docker tests share one engine and registry of their own, started once
# here and stopped at the end (tests/e2e/docker-env.sh; dockerlib.sh starts
# one itself when a docker test runs alone).
if printf '%s\n' "${tests[@]}" | grep -q '/t_docker'; then
	export DOCKER_TEST_DIR
	DOCKER_TEST_DIR=$(mktemp -d /tmp/brink-dockerenv.XXXXXX)
	trap 'bash tests/e2e/docker-env.sh down "$DOCKER_TEST_DIR" >/dev/null 2>&1' EXIT
	if ! bash tests/e2e/docker-env.sh up "$DOCKER_TEST_DIR" >"$DOCKER_TEST_DIR.log" 2>&1; then
		echo "docker-env: the tests' docker engine did not start:"
		cat "$DOCKER_TEST_DIR.log"
	fi
	rm -f "$DOCKER_TEST_DIR.log"
fi
for t in "${tests[@]}"; do
	echo "-- $t"
	if ! timeout 600 bash "$t"; then
		echo "$t: exited non-zero"
		echo "0 1" >>"$E2E_COUNTS"
	fi
done
passed=$(awk '{p += $1} END {print p + 0}' "$E2E_COUNTS")
failed=$(awk '{f += $2} END {print f + 0}' "$E2E_COUNTS")
rm -f "$E2E_COUNTS"
echo "e2e: $passed passed, $failed failed"
[ -n "${RESULTS:-}" ] && echo "e2e $passed $failed" >>"$RESULTS"
[ "$failed" -eq 0 ]
