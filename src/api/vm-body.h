/* Request bodies of /v1/vms and /v1/usb (conventions of body.h: bounded,
 * strict, fuzzed by tests/fuzz/fuzz_vmbody.c; nothing allocated on error). */
#ifndef BRINK_API_VM_BODY_H
#define BRINK_API_VM_BODY_H

#include "api/body.h"
#include "control/vm.h"

/* POST /v1/vms: {"name", "base", "vcpu"?, "memory"?, "config"?: {"user"?,
 * "password"?}, "ssh_keys"?: [..], "cpu"?: {"min","max"}, "devices"?: [int],
 * "things"?: [id]}. On success *out is malloc'd (free()), and
 * brink_vm_body_spec() points a spec at it. */
struct brink_vm_body {
	char name[BRINK_NAME_MAX + 1];
	char base[BRINK_IMAGE_MAX + 1];
	int vcpu, memory_mb;
	char user[BRINK_NAME_MAX + 1];
	char password[BRINK_VM_PASSWORD_MAX + 1];
	bool has_password;
	size_t nkeys;
	char keys[BRINK_VM_KEYS_MAX][BRINK_VM_KEY_MAX + 1];
	const char *key_ptrs[BRINK_VM_KEYS_MAX];
	double cpu_min, cpu_max;
	size_t ndevs;
	int devs[BRINK_VM_DEVS_MAX];
	size_t nthings;
	brink_id things[BRINK_VM_THINGS_MAX];
	const char *thing_ptrs[BRINK_VM_THINGS_MAX];
};

enum brink_body_status brink_body_vm(const char *buf, size_t len, struct brink_vm_body **out,
				     char *msg, size_t msglen);
void brink_vm_body_spec(struct brink_vm_body *b, struct brink_vm_spec *sp);

/* PATCH /v1/vms/{id}: {"vcpu"?, "memory"?, "devices"?: [int]}. */
struct brink_vm_update_body {
	struct brink_vm_update up;
	int devs[BRINK_VM_DEVS_MAX];
};
enum brink_body_status brink_body_vm_update(const char *buf, size_t len,
					    struct brink_vm_update_body *out, char *msg,
					    size_t msglen);

/* {"vm": id} (USB attach/detach, thing attach) or {"thing": id}: the one
 * field named `field`, an id. */
enum brink_body_status brink_body_id(const char *buf, size_t len, const char *field, brink_id out,
				     char *msg, size_t msglen);

#endif
