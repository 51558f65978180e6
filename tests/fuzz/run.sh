#!/bin/bash
# Builds every tests/fuzz/fuzz_*.c as a libFuzzer harness (clang, ASan+UBSan)
# against brink's libraries built the same way, then replays each seed corpus
# in tests/fuzz/corpus/<name>/. FUZZ_SECONDS=N fuzzes each harness N seconds
# beyond the replay. Appends "fuzz PASSED FAILED" to $RESULTS.
set -u
cd "$(dirname "$0")/../.."
FB=build/fuzz
FLAGS="-fsanitize=fuzzer-no-link,address,undefined"
make -s CC=clang BUILD=$FB EXTRA_CFLAGS="$FLAGS" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	$FB/libdaemon.a $FB/libworker.a $FB/libcli.a $FB/libcommon.a || exit 1
CFLAGS="-std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude -Isrc $(pkg-config --cflags jansson libxml-2.0)"
LIBS="$(pkg-config --libs $(sed -n 's/^\(VM_\|CURL_\|CLI_\)\?PKGS +\?= //p' Makefile)) $(make -s --no-print-directory print-engine-libs) -lpthread -lm"
passed=0 failed=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$FB/$name
	corpus=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$corpus"
	# shellcheck disable=SC2086
	if ! clang $CFLAGS -fsanitize=fuzzer,address,undefined -o "$bin" "$src" \
		$FB/libdaemon.a $FB/libworker.a $FB/libcli.a $FB/libcommon.a $LIBS; then
		echo "$name: build failed"; failed=$((failed + 1)); continue
	fi
	args=(-runs=0)
	[ -n "${FUZZ_SECONDS:-}" ] && args=(-max_total_time="$FUZZ_SECONDS" "$FB/corpus-$name")
	mkdir -p "$FB/corpus-$name"
	if "$bin" "${args[@]}" "$corpus" >"$FB/$name.log" 2>&1; then
		echo "$name: ok ($(ls "$corpus" | wc -l) seeds)"; passed=$((passed + 1))
	else
		tail -30 "$FB/$name.log"; echo "$name: FAILED"; failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ -n "${RESULTS:-}" ] && echo "fuzz $passed $failed" >>"$RESULTS"
[ "$failed" -eq 0 ]
