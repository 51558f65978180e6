#!/bin/bash
# make bench: runs every bench/bench-*.sh (or those named). Each prints its
# figures beside the reference measured in the same run, and the ratio.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=(bench/bench-*.sh)
status=0
for b in "${benches[@]}"; do
	echo "== $b"
	bash "$b" || status=1
done
exit $status
