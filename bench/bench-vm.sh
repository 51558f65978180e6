#!/bin/bash
# VM create -> defined with libvirt's test driver (issue 6): brink's create
# path beside a direct virDomainDefineXML of the same domain XML, in one
# process (test:///default is per process); and `virsh -c test:///default
# define` of that XML as a second, whole-command reference (process start and
# connection included), measured in the same run. Shared CPU: figures are
# noisy; compare within a run. VM_BENCH_N sets the repetitions (default 30).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${VM_BENCH_N:-30}
make -s "$BUILD/libdaemon.a" "$BUILD/libcommon.a" "$BUILD/brink-libvirt.so"
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Werror=missing-prototypes -D_GNU_SOURCE \
	-Iinclude -Isrc $(pkg-config --cflags libvirt libxml-2.0) bench/vm_bench.c \
	"$BUILD/libdaemon.a" "$BUILD/libcommon.a" \
	-rdynamic $(pkg-config --libs $(sed -n 's/^\(VM_\)\?PKGS +\?= //p' Makefile)) -lpthread -lm \
	-o "$BUILD/bench/vm_bench"
DIR=$(mktemp -d /tmp/brink-bench-vm.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/images"
qemu-img create -q -f qcow2 "$DIR/images/base.qcow2" 64M
"$BUILD/bench/vm_bench" "$DIR" "$N" 2>"$DIR/bench.log" | tee "$DIR/c.out" || { tail "$DIR/bench.log"; exit 1; }

# virsh: the same kind of domain, one whole command per define
cat >"$DIR/d.xml" <<XML
<domain type="test"><name>brink-00000000000000b1</name><title>bench</title>
<memory unit="MiB">256</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os>
<devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/>
<source file="/x/o.qcow2"/><target dev="vda" bus="virtio"/></disk>
<interface type="network"><source network="default"/></interface></devices></domain>
XML
# times a command N times; prints "p50 p99" in µs
timed() {
	local _
	for _ in $(seq 1 "$N"); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		echo $((($(date +%s%N) - s) / 1000))
	done | sort -n >"$DIR/t.us"
	awk -v n="$N" 'NR == int((n - 1) * 0.5 + 0.5) + 1 {a = $1} NR == int((n - 1) * 0.99 + 0.5) + 1 {b = $1} END {print a, b}' "$DIR/t.us"
}
line() { printf '  %-44s p50 %9.1f us  p99 %9.1f us  %s\n' "$1" "$2" "$3" "$4"; }
read -r v50 v99 < <(timed virsh -q -c test:///default define "$DIR/d.xml")
line "virsh -c test:///default define" "$v50" "$v99" "(whole command: exec, connect, define)"
printf 'user-data\n' >"$DIR/user-data"
printf 'meta-data\n' >"$DIR/meta-data"
read -r q50 q99 < <(timed qemu-img create -q -f qcow2 -b "$DIR/images/base.qcow2" -F qcow2 "$DIR/o.qcow2")
line "  of brink's create: qemu-img create (overlay)" "$q50" "$q99" ""
read -r g50 g99 < <(timed genisoimage -quiet -output "$DIR/s.iso" -volid cidata -joliet -rock "$DIR/user-data" "$DIR/meta-data")
line "  of brink's create: genisoimage (seed)" "$g50" "$g99" ""
b50=$(awk '/brink create, no password/ {print $6}' "$DIR/c.out")
awk -v b="$b50" -v v="$v50" 'BEGIN {printf "  ratio brink create (no password) / virsh define command: %.2fx\n", b / v}'
