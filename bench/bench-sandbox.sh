#!/bin/bash
# Sandbox start latency: the sandbox driver's start() until the worker is
# READY (p50/p99 over N starts, each stopped after), beside a bare fork+exec
# of the same brink-worker until READY, measured interleaved in the same run;
# then where the time goes. Budget (DESIGN.md): p50 <= 5 ms. Needs root.
#   N=200 bench/bench-sandbox.sh
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
make -s "$BUILD/brink-worker" "$BUILD/libdaemon.a" "$BUILD/libcommon.a"
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Isrc \
	-o "$BUILD/bench/sandbox_bench" bench/sandbox_bench.c \
	"$BUILD/libdaemon.a" "$BUILD/libcommon.a" \
	$(pkg-config --libs libmicrohttpd jansson sqlite3 libsodium libseccomp libcurl) -lpthread -lm
exec "$BUILD/bench/sandbox_bench" "$(realpath "$BUILD/brink-worker")" "${N:-200}"
