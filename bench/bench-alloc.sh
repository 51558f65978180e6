#!/bin/bash
# Allocator recompute for 10,000 units (budget <= 1 ms) beside a naive
# sort-based water-filling and a bisection, measured in the same run.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make -s "$BUILD/libdaemon.a" "$BUILD/libcommon.a"
mkdir -p "$BUILD/bench"
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Werror=missing-prototypes -D_GNU_SOURCE \
	-Iinclude -Isrc bench/alloc_bench.c "$BUILD/libdaemon.a" "$BUILD/libcommon.a" -lm \
	-o "$BUILD/bench/alloc_bench"
"$BUILD/bench/alloc_bench"
