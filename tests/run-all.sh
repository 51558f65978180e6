#!/bin/bash
# The whole suite (make test): build, unit tests, end-to-end tests, fuzz corpora
# replay, then unit and end-to-end again under ASan+UBSan. Prints one closing
# line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
export RESULTS
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
status=0
step() {
	echo "== $*"
	"$@" || status=1
}
step make -s all
step make -s unit
step make -s e2e
step make -s fuzz
step make -s SAN=1 all
step make -s SAN=1 unit
step make -s SAN=1 e2e
passed=$(awk '{p += $2} END {print p + 0}' "$RESULTS")
failed=$(awk '{f += $3} END {print f + 0}' "$RESULTS")
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
