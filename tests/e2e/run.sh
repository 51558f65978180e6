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
