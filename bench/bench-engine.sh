#!/bin/bash
# The analyze engine (src/analyze) on models of ECM's sizes (74 KB and 178 KB
# of float32 weights) and one ten times larger: load from memory, per-datum
# latency p50/p99, batch-of-64 throughput; beside them in the same run PyTorch
# (Debian's python3-torch, one thread, eager and torch.jit.script) on the same
# weights, and the machine's limit (OpenBLAS sgemm GFLOP/s on the same shapes,
# as time per datum). Budgets (DESIGN.md): load <= 10 ms, datum p50 <= 20 us.
# The CPU is shared: figures are noisy, compare within one run.
#   bench/bench-engine.sh            (needs root the first time: apt-get)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# PyTorch is this benchmark's own dependency (large), not the tests'.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	[ "$(id -u)" -eq 0 ] || { echo "bench-engine: python3-torch missing (run as root)" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
make -s "$BUILD/libworker.a" "$BUILD/libcommon.a"
mkdir -p "$BUILD/bench/engine"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Werror=missing-prototypes -D_GNU_SOURCE \
	-Iinclude -Isrc -I/usr/include/hdf5/serial bench/engine_bench.c \
	"$BUILD/libworker.a" "$BUILD/libcommon.a" $(make -s --no-print-directory print-engine-libs) \
	-o "$BUILD/bench/engine_bench" 2> >(grep -v -e dlopen -e 'H5PL__open' >&2)
/usr/bin/python3 tests/analyze/keras_models.py bench "$BUILD/bench/engine"

get() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }'; }
verdict() {
	[ "$m" = x10 ] && { echo "none (10x ECM's size)"; return; }
	awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max ? "ok" : "OVER BUDGET") }'
}

echo "small layers: plain loop vs sgemv (ns per layer call; NN_SMALL_KERNEL_MAX = 32 weights)"
"$BUILD/bench/engine_bench" --kernels | sed 's/^/  /'
status=0
for m in ecm74k ecm178k x10; do
	f="$BUILD/bench/engine/$m.h5"
	b=$("$BUILD/bench/engine_bench" "$f")
	t=$(/usr/bin/python3 bench/engine_torch.py "$f")
	echo "$m: $(get params "$b") parameters, $(get weights_kb "$b") KB of float32 weights"
	printf '  load        brink %8s ms   torch (h5py + build) %8s ms   ratio %s   budget 10 ms: %s\n' \
		"$(get load_ms "$b")" "$(get load_ms "$t")" "$(ratio "$(get load_ms "$t")" "$(get load_ms "$b")")" \
		"$(verdict "$(get load_ms "$b")" 10)"
	printf '  load        its compiled image (what a service worker loads) %s ms\n' \
		"$(get image_load_ms "$b")"
	printf '  datum p50   brink %8s us   torch eager %8s us (%s)   scripted %8s us (%s)   limit %s us   budget 20 us: %s\n' \
		"$(get datum_p50_us "$b")" "$(get eager_p50_us "$t")" \
		"$(ratio "$(get eager_p50_us "$t")" "$(get datum_p50_us "$b")")" "$(get script_p50_us "$t")" \
		"$(ratio "$(get script_p50_us "$t")" "$(get datum_p50_us "$b")")" "$(get limit_datum_us "$b")" \
		"$(verdict "$(get datum_p50_us "$b")" 20)"
	printf '  datum p99   brink %8s us   torch eager %8s us   scripted %8s us\n' \
		"$(get datum_p99_us "$b")" "$(get eager_p99_us "$t")" "$(get script_p99_us "$t")"
	printf '  datum paths sgemv only %s us, plain loop only %s us\n' \
		"$(get sgemv_p50_us "$b")" "$(get loop_p50_us "$b")"
	printf '  batch of 64 brink %8s rows/s   torch eager %8s (%s)   scripted %8s (%s)\n' \
		"$(get batch_rows_s "$b")" "$(get eager_rows_s "$t")" \
		"$(ratio "$(get batch_rows_s "$b")" "$(get eager_rows_s "$t")")" "$(get script_rows_s "$t")" \
		"$(ratio "$(get batch_rows_s "$b")" "$(get script_rows_s "$t")")"
	printf '  limit       OpenBLAS sgemm %s GFLOP/s on these shapes (1024 rows, 1 thread)\n' \
		"$(get sgemm_gflops "$b")"
	case $m in ecm*)
		[ "$(verdict "$(get load_ms "$b")" 10)" = ok ] && [ "$(verdict "$(get datum_p50_us "$b")" 20)" = ok ] ||
			status=1 ;;
	esac
done
exit $status
