#!/bin/bash
# A real VM under QEMU (TCG unless QEMU's user may open /dev/kvm), through
# libvirtd, which this test starts and stops itself. The guest is a tiny
# bootable image built here: a 1 MiB disk whose boot sector is `cli; hlt;
# jmp $-1`, so a booted guest sits halted in the boot sector (checked from
# QEMU's monitor); no kernel, so cloud-init itself is not exercised here.
. "$(dirname "$0")/lib.sh"
for bin in libvirtd virtlogd qemu-system-x86_64 virsh; do
	if ! command -v "$bin" >/dev/null && ! [ -x "/usr/sbin/$bin" ]; then
		echo "skip $TEST_NAME: $bin is not installed (libvirt-daemon-system, qemu-system-x86)"
		finish
		exit 0
	fi
done
export PATH="$PATH:/usr/sbin"
VIRSH=(virsh -q -c qemu:///system)
STARTED=()
if ! "${VIRSH[@]}" uri >/dev/null 2>&1; then
	virtlogd -d -p "$DATA_DIR/virtlogd.pid" && STARTED+=("$DATA_DIR/virtlogd.pid")
	libvirtd -d -t 300 -p "$DATA_DIR/libvirtd.pid" && STARTED+=("$DATA_DIR/libvirtd.pid")
	for _ in $(seq 1 100); do "${VIRSH[@]}" uri >/dev/null 2>&1 && break; sleep 0.1; done
fi
stop_daemons() {
	local f
	if [ -n "${DOM:-}" ] && [ ${#STARTED[@]} -gt 0 ]; then # a failed run leaves no guest behind
		"${VIRSH[@]}" destroy "$DOM" >/dev/null 2>&1
		"${VIRSH[@]}" undefine "$DOM" >/dev/null 2>&1
	fi
	for f in "${STARTED[@]}"; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	STARTED=()
}
trap 'cleanup_on_exit; stop_daemons' EXIT
check "libvirtd answers on qemu:///system" "${VIRSH[@]}" uri

IMAGES="$DATA_DIR/images"
mkdir -p "$IMAGES"
chmod 755 "$DATA_DIR" "$IMAGES"
printf '\xfa\xf4\xeb\xfd' >"$DATA_DIR/mbr.raw"
truncate -s 510 "$DATA_DIR/mbr.raw"
printf '\x55\xaa' >>"$DATA_DIR/mbr.raw"
truncate -s 1M "$DATA_DIR/mbr.raw"
qemu-img convert -O qcow2 "$DATA_DIR/mbr.raw" "$IMAGES/halt.qcow2"
chmod 644 "$IMAGES/halt.qcow2"
VMOPTS=(-o vm.uri=qemu:///system -o vm.images_dir="$IMAGES" -o vm.network= -o cpu.capacity=1)
brinkd_start "${VMOPTS[@]}"
register qemu
api POST /v1/vms '{"name":"halt","base":"halt.qcow2","memory":64,"config":{"user":"u","password":"p"}}'
expect_status 201 "createVm on QEMU"
VM=$(jqb .id)
DOM="brink-$VM"
api POST "/v1/vms/$VM/start"
expect_status 200 "powerON starts QEMU"
check "the VM is RUNNING" test "$(jqb .state)" = RUNNING
QPID=$(pgrep -f "guest=$DOM" | head -1)
check "a qemu-system process runs the guest" test -n "$QPID"
booted() { "${VIRSH[@]}" qemu-monitor-command "$DOM" --hmp 'info registers' | grep -Eq 'RIP=0000000000007c0[0-3]|EIP=00007c0[0-3]'; }
for _ in $(seq 1 50); do booted && break; sleep 0.2; done
check "the guest booted its disk: halted in the boot sector at 0x7c00" booted
SCHED=$("${VIRSH[@]}" schedinfo "$DOM")
check "the CPU share reached QEMU: cpu_shares 1024 per core" grep -Eq 'cpu_shares *: 1024$' <<<"$SCHED"
check "and global_quota 100 ms per 100 ms period" grep -Eq 'global_quota *: 100000$' <<<"$SCHED"

brinkd_kill9
brinkd_start "${VMOPTS[@]}"
api GET "/v1/vms/$VM"
check "after kill -9 of brinkd the VM is adopted, still RUNNING" test "$(jqb .state)" = RUNNING
check "the same QEMU process" test "$(pgrep -f "guest=$DOM" | head -1)" = "$QPID"
check "adopted, not defined again" grep -q "vm $VM: adopted" "$DATA_DIR/brinkd.log"

api POST "/v1/vms/$VM/stop"
expect_status 200 "powerOFF (ACPI) is sent"
check "a guest without an OS ignores ACPI: still running" test "$(jqb .state)" != POWEROFF
api DELETE "/v1/vms/$VM"
expect_status 409 "destroyVM refused while running"
api POST "/v1/vms/$VM/off"
check "forceOFF: POWEROFF" test "$(jqb .state)" = POWEROFF
check "QEMU is gone" all_dead "$QPID"
api DELETE "/v1/vms/$VM"
expect_status 204 "destroyVM once off"
check "the domain is undefined" bash -c "! ${VIRSH[*]} dominfo $DOM"
brinkd_stop
stop_daemons
finish
