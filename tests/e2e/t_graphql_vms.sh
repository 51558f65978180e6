#!/bin/bash
# EPFIOT's operations through GraphQL on real libvirt (the test:///default
# driver, real qemu-img overlays): the examples of EPFIOT's documents run
# unchanged, USB passthrough, things on VMs, vmsConnection's cursors, the
# admin's deleteVm, and one tenant never reaching another's VMs or devices.
# USB hardware cannot be plugged in here: usb.sysfs_root points at a
# directory laid out like /sys/bus/usb/devices (a stated fake).
. "$(dirname "$0")/lib.sh"
IMAGES=$DATA_DIR/images
SYSFS=$DATA_DIR/sysfs
mkdir -p "$IMAGES" "$SYSFS"
qemu-img create -q -f qcow2 "$IMAGES/ubuntu18.qcow2" 64M
usb() { # usb NAME BUS DEV VENDOR PRODUCT MAKER
	mkdir -p "$SYSFS/$1"
	printf '%s\n' "$2" >"$SYSFS/$1/busnum"; printf '%s\n' "$3" >"$SYSFS/$1/devnum"
	printf '%s\n' "$4" >"$SYSFS/$1/idVendor"; printf '%s\n' "$5" >"$SYSFS/$1/idProduct"
	printf '%s\n' "$6" >"$SYSFS/$1/manufacturer"
}
usb 2-1 2 2 18d1 9302 "Google Inc."
usb 1-1 1 3 8087 0a2b "Intel Corp."
brinkd_start -o vm.uri=test:///default -o vm.images_dir="$IMAGES" -o usb.sysfs_root="$SYSFS" \
	-o admin.tenant=root

gql() {
	local q=$1 vars=${2:-null} key=${3-$KEY}
	api POST /graphql "$(jq -cn --arg q "$q" --argjson v "$vars" '{query: $q, variables: $v}')" "$key"
}
register semedi; A=$KEY; A_ID=$TENANT_ID
register other; B=$KEY
register root; R=$KEY
KEY=$A

gql 'mutation { createVm(vm: {name: "tfm_example", base: "ubuntu18.qcow2", config: {user: "semedi", password: "hola"}}) { owner { id } name base state } }'
check "EPFIOT's createVm example" test "$(jqb '.data.createVm | .owner.id + "/" + .name + "/" + .base + "/" + .state')" = "$A_ID/tfm_example/ubuntu18.qcow2/POWEROFF"
gql 'query { getVms { id name state ip memory vcpu } }'
check "getVms: memory 256 and vcpu 1 by default" test "$(jqb '.data.getVms[0] | .name + "/" + (.memory | tostring) + "/" + (.vcpu | tostring)')" = "tfm_example/256/1"
VM=$(jqb .data.getVms[0].id)
gql 'query { getusb { id info } }'
check "EPFIOT's getusb example lists the host's devices" test "$(jqb '[.data.getusb[].info] | map(test("Google|Intel")) | all and length == 2')" = true
DEV=$(jqb '.data.getusb[] | select(.info | test("Google")) | .id')
gql "mutation { attachDevice(devID: $DEV, vmID: \"$VM\") }"
check "attachDevice with an Int literal id (as EPFIOT's example)" test "$(jqb .data.attachDevice)" = true
gql "query { getVm(id: \"$VM\") { dev { id bus device info } } }"
check "the VM lists the device" test "$(jqb '.data.getVm.dev[0] | .id + "/" + .bus + "/" + .device')" = "$DEV/2/2"
gql "mutation { powerON(vmID: \"$VM\") { state } }"
check "powerON" test "$(jqb .data.powerON.state)" = RUNNING
gql "mutation { destroyVM(vmID: \"$VM\") }"
check "destroyVM refuses a running VM" test "$(jqb '(.data.destroyVM == null) and (.errors | length == 1)')" = true
gql 'mutation { createThing(thing: {name: "prueba", info: "prueba", server: "tfm_example"}) { id vm { name } } }'
check "EPFIOT's createThing example: the thing is on the VM named by server" test "$(jqb .data.createThing.vm.name)" = tfm_example
gql "mutation { createThingVm(thing: {name: \"t2\", info: \"i\", server: \"\"}, vmID: \"$VM\") { id } }"
T2=$(jqb .data.createThingVm.id)
gql "query { getVm(id: \"$VM\") { name things { id name } } }"
check "EPFIOT's getVm example: the VM's things" test "$(jqb '[.data.getVm.things[].name] | join(",")')" = "prueba,t2"
gql 'mutation { createThing(thing: {name: "loose", info: "", server: ""}) { id } }'
LOOSE=$(jqb .data.createThing.id)
gql "mutation { attachThing(thingID: \"$LOOSE\", vmID: \"$VM\") }"
check "attachThing" test "$(jqb .data.attachThing)" = true
gql "mutation { updateVm(vm: {id: \"$VM\", name: \"tfm_example\", base: \"ubuntu18.qcow2\", vcpu: 2, memory: 512}) { vcpu memory } }"
check "updateVm" test "$(jqb '.data.updateVm | "\(.vcpu)/\(.memory)"')" = "2/512"
gql "mutation { powerOFF(vmID: \"$VM\") { state } }"
check "powerOFF answers with the state" test "$(jqb '.data.powerOFF.state | test("POWEROFF|SHUTDOWN")')" = true
gql "mutation { forceOFF(vmID: \"$VM\") }"
check "forceOFF" test "$(jqb .data.forceOFF)" = true

for n in b c; do gql "mutation { createVm(vm: {name: \"vm-$n\", base: \"ubuntu18.qcow2\"}) { id } }"; done
gql '{ me { vmsConnection(first: 2) { totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }'
check "vmsConnection(first: 2): two edges, a next page" test "$(jqb '.data.me.vmsConnection | "\(.totalCount)/\([.edges[].node.name] | join(","))/\(.pageInfo.hasNextPage)"')" = "3/tfm_example,vm-b/true"
END=$(jqb .data.me.vmsConnection.pageInfo.endCursor)
gql "query (\$a: ID) { me { vmsConnection(first: 2, after: \$a) { edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage } } } }" "{\"a\":\"$END\"}"
check "... after its endCursor: the last one" test "$(jqb '.data.me.vmsConnection | "\([.edges[].node.name] | join(","))/\(.pageInfo.hasNextPage)/\(.pageInfo.hasPreviousPage)"')" = "vm-c/false/true"

gql 'mutation { createVm(vm: {name: "evil", base: "../ubuntu18.qcow2"}) { id } }'
check "a base image with '..': refused" test "$(jqb '(.data.createVm == null) and (.errors | length == 1)')" = true
gql "mutation { createVm(vm: {name: \"evil2\", base: \"$IMAGES/ubuntu18.qcow2\"}) { id } }"
check "a base image as an absolute path: refused" test "$(jqb '(.data.createVm == null) and (.errors | length == 1)')" = true

# another tenant
KEY=$B
gql "query { getVm(id: \"$VM\") { name } }"
OTHER=$(jqb .errors[0].message)
gql 'query { getVm(id: "0123456789abcdef") { name } }'
NONE=$(jqb .errors[0].message)
check "another tenant's VM reads exactly like one that does not exist" test "${OTHER//$VM/ID}" = "${NONE//0123456789abcdef/ID}"
gql "mutation { powerON(vmID: \"$VM\") { state } f: forceDestroyVM(vmID: \"$VM\") }"
check "... and cannot be started or destroyed" test "$(jqb '[.data.powerON, .data.f] | map(. == null) | all')" = true
gql "query { getDev(id: \"$DEV\") { id } getusb { id } getVms { id } }"
check "a device on another tenant's VM is not found nor listed" test "$(jqb '(.data.getDev == null) and ([.data.getusb[].id] | index("'"$DEV"'") == null) and (.data.getVms == [])')" = true
gql "mutation { createVm(vm: {name: \"mine\", base: \"ubuntu18.qcow2\"}) { id } }"
BVM=$(jqb .data.createVm.id)
gql "mutation { attachDevice(devID: $DEV, vmID: \"$BVM\") }"
check "a device attached to another tenant's VM cannot be taken" test "$(jqb '.data.attachDevice')" = null
gql "mutation { deleteVm(userID: \"$A_ID\", vmID: \"$VM\") }"
check "deleteVm by a tenant that is not the admin: refused" test "$(jqb '.data.deleteVm')" = null

KEY=$R
gql "mutation { deleteVm(userID: \"$A_ID\", vmID: \"$VM\") }"
check "the admin's deleteVm removes any user's VM" test "$(jqb .data.deleteVm)" = true
KEY=$A
gql "query { getVm(id: \"$VM\") { id } getusb { id vmID } }"
check "it is gone and its device is free again" test "$(jqb '(.data.getVm == null) and ([.data.getusb[] | select(.id == "'"$DEV"'") | .vmID] == [null])')" = true
gql "query { getVms { name } }"
check "EPFIOT's forceDestroyVM example" test "$(jqb '[.data.getVms[].name] | join(",")')" = "vm-b,vm-c"
gql '{ getVms { id } }'
VB=$(jqb .data.getVms[0].id)
gql "mutation { forceDestroyVM(vmID: \"$VB\") }"
check "forceDestroyVM" test "$(jqb .data.forceDestroyVM)" = true
finish
