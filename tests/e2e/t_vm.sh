#!/bin/bash
# VMs and USB devices through the REST view, against libvirt's test driver
# (test:///default lives inside brinkd: a restart starts it empty, so brinkd
# must define its VMs again from the store; t_vm_qemu.sh runs a real guest).
# The USB devices are the one fake: this machine has no USB hardware, so
# usb.sysfs_root points at a tree laid out like /sys/bus/usb/devices.
. "$(dirname "$0")/lib.sh"
IMAGES="$DATA_DIR/images"
SYSFS="$DATA_DIR/sysfs"
mkdir -p "$IMAGES" "$SYSFS/1-1" "$SYSFS/usb1"
qemu-img create -q -f qcow2 "$IMAGES/ubuntu18.qcow2" 64M
attr() { printf '%s\n' "$3" >"$SYSFS/$1/$2"; }
attr 1-1 busnum 1; attr 1-1 devnum 4; attr 1-1 idVendor 18d1; attr 1-1 idProduct 9302
attr 1-1 manufacturer Google; attr 1-1 product "Coral USB Accelerator"
attr usb1 busnum 1; attr usb1 devnum 1; attr usb1 idVendor 1d6b; attr usb1 idProduct 0002
VMOPTS=(-o vm.uri=test:///default -o vm.images_dir="$IMAGES" -o usb.sysfs_root="$SYSFS" -o cpu.capacity=1.5)
brinkd_start "${VMOPTS[@]}"
register alice
ALICE=$KEY
register bob
BOB=$KEY
KEY=$ALICE

api GET /v1/system
check "libvirt is not loaded before the first VM request" test "$(jqb .runtimes.libvirt)" = unavailable
# libvirt's ~12 MB of libraries stay out of an idle brinkd (the plugin is not
# mapped); sanitizer builds link them in (see the Makefile's SAN_LIBS)
case "$BUILD" in *san*) ;; *)
	check "... nor mapped into brinkd" test -z "$(grep libvirt "/proc/$BRINKD_PID/maps")" ;;
esac
api POST /v1/vms '{"name":"tfm_example","base":"ubuntu18.qcow2","config":{"user":"semedi","password":"hola"}}'
expect_status 201 "createVm"
api GET /v1/system
check "the libvirt runtime is available" test "$(jqb .runtimes.libvirt)" = available
api GET /v1/vms
VM=$(jqb '.vms[0].id')
api GET "/v1/vms/$VM"
check "a new VM is off, 1 vcpu, 256 MB" test "$(jqb '[.state,.vcpu,.memory] | join(",")')" = "POWEROFF,1,256"
UUID=$(jqb .uuid)
INFO=$(qemu-img info --output=json -U "$DATA_DIR/vms/$VM.qcow2")
check "its disk is a qcow2 overlay backed by the base image" test "$(printf '%s' "$INFO" | jq -r '."backing-filename"')" = "$IMAGES/ubuntu18.qcow2"
check "and a cloud-init seed ISO" test -s "$DATA_DIR/vms/$VM-seed.iso"

for bad in '../ubuntu18.qcow2' '/etc/passwd' 'a/b' '..' '.x'; do
	api POST /v1/vms "{\"name\":\"v\",\"base\":\"$bad\"}"
	expect_status 400 "base image '$bad' refused"
done
api POST /v1/vms '{"name":"v","base":"missing.qcow2"}'
expect_status 404 "an unknown base image"
api POST /v1/vms '{"name":"v","base":"ubuntu18.qcow2","vcpu":"2"}'
expect_status 400 "vcpu as a string"
api POST /v1/vms '{"name":"tfm_example","base":"ubuntu18.qcow2"}'
expect_status 409 "the same name twice"

api GET "/v1/vms/$VM" "" "$BOB"
expect_status 404 "another tenant's VM is not found"
api POST "/v1/vms/$VM/start" "" "$BOB"
expect_status 404 "nor can it be started by them"

api POST "/v1/vms/$VM/start"
expect_status 200 "powerON"
check "running with an address" test "$(jqb .state)" = RUNNING -a -n "$(jqb .ip)"
check "with a CPU share" test "$(jqb '.cpu.assigned > 0')" = true
api DELETE "/v1/vms/$VM"
expect_status 409 "destroyVM refused while running"
api POST "/v1/vms/$VM/stop"
check "powerOFF (ACPI)" test "$(jqb .state)" = POWEROFF
api POST "/v1/vms/$VM/start"
api POST "/v1/vms/$VM/off"
check "forceOFF" test "$(jqb .state)" = POWEROFF
api PATCH "/v1/vms/$VM" '{"vcpu":2,"memory":512}'
check "updateVm" test "$(jqb '[.vcpu,.memory] | join(",")')" = "2,512"

api GET /v1/usb
check "getUsb: one device (no root hub)" test "$(jqb '.devices | length')" = 1
DEV=$(jqb '.devices[0].id')
check "with bus, device and vendor/product info" test "$(jqb '.devices[0] | [.bus,.device,.info] | join("|")')" = "1|4|18d1:9302 Google Coral USB Accelerator"
api POST "/v1/usb/$DEV/attach" "{\"vm\":\"$VM\"}"
expect_status 204 "attachDevice"
api POST /v1/vms '{"name":"bobs","base":"ubuntu18.qcow2"}' "$BOB"
BOBVM=$(jqb .id)
api POST "/v1/usb/$DEV/attach" "{\"vm\":\"$BOBVM\"}" "$BOB"
expect_status 409 "a device belongs to one VM at most"
api GET /v1/usb "" "$BOB"
check "bob does not see alice's device" test "$(jqb '.devices | length')" = 0

api POST "/v1/vms/$VM/things" '{"name":"sensor1","info":"temperature"}'
expect_status 201 "createThingVm"
api POST /v1/things '{"name":"sensor2"}'
T2=$(jqb .id)
api POST "/v1/vms/$VM/attach-thing" "{\"thing\":\"$T2\"}"
expect_status 204 "attachThing"
api POST "/v1/vms/$BOBVM/attach-thing" "{\"thing\":\"$T2\"}" "$BOB"
expect_status 404 "another tenant's thing cannot be attached"
api POST "/v1/vms/$VM/start"
expect_status 200 "powered on again"

brinkd_kill9
brinkd_start "${VMOPTS[@]}"
api GET "/v1/vms/$VM"
expect_status 200 "the VM survived kill -9"
check "same domain uuid, running again" test "$(jqb '[.uuid,.state] | join(",")')" = "$UUID,RUNNING"
check "with its update, its device and its things" test "$(jqb '[.vcpu,.memory,(.devices|join(":")),.things] | join(",")')" = "2,512,$DEV,2"
check "defined again in the new libvirt connection" grep -q "vm $VM: defined again" "$DATA_DIR/brinkd.log"
api GET "/v1/vms/$VM/things"
check "things listed in creation order" test "$(jqb '[.things[].name] | join(",")')" = "sensor1,sensor2"

api DELETE "/v1/vms/$VM?force=true"
expect_status 204 "forceDestroyVM"
check "its overlay is gone" test ! -e "$DATA_DIR/vms/$VM.qcow2"
api GET /v1/usb "" "$BOB"
check "its device is free again" test "$(jqb '.devices[0].vm')" = null
api GET "/v1/vms/$VM"
expect_status 404 "and it is gone"

brinkd_stop
brinkd_start -o vm.uri="qemu+unix:///system?socket=$DATA_DIR/none.sock" -o vm.images_dir="$IMAGES"
api POST /v1/vms '{"name":"x","base":"ubuntu18.qcow2"}'
expect_status 503 "createVm answers unavailable"
api GET /v1/system
check "and /v1/system says why" test "$(jqb .runtimes.libvirt)" = unavailable
api POST /v1/things '{"name":"still"}'
expect_status 201 "the rest of brink works"
finish
