#!/bin/bash
# Runs cmocka unit-test binaries; appends "unit PASSED FAILED" to $RESULTS.
set -u
passed=0 failed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) |^\[  PASSED  \]|^\[==========\]' | sed "s|^|$(basename "$t"): |"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		printf '%s\n' "$out" | tail -20
		echo "$(basename "$t"): exited with $rc"
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ -n "${RESULTS:-}" ] && echo "unit $passed $failed" >>"$RESULTS"
[ "$failed" -eq 0 ]
