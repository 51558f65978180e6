/* libFuzzer harness for the VM request bodies (src/api/vm-body.c).
 *
 * Input: byte 0 picks the parser (create, update, id), the rest is the body.
 * A body that parses must give values inside the documented limits; one that
 * does not must leave nothing allocated (LeakSanitizer) and a message. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/vm-body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_create(const char *buf, size_t len)
{
	struct brink_vm_body *b = NULL;
	char msg[256] = "";
	if (brink_body_vm(buf, len, &b, msg, sizeof(msg)) != BRINK_BODY_OK) {
		check(b == NULL && msg[0]);
		return;
	}
	struct brink_vm_spec sp;
	brink_vm_body_spec(b, &sp);
	check(sp.name[0] && sp.base[0]);
	check(sp.vcpu >= 0 && sp.vcpu <= BRINK_VM_VCPU_MAX);
	check(sp.memory_mb == 0 || (sp.memory_mb >= 16 && sp.memory_mb <= BRINK_VM_MEMORY_MAX));
	check(sp.nkeys <= BRINK_VM_KEYS_MAX && sp.ndevs <= BRINK_VM_DEVS_MAX);
	check(sp.nthings <= BRINK_VM_THINGS_MAX);
	for (size_t i = 0; i < sp.nthings; i++)
		check(brink_id_valid(sp.things[i]));
	for (size_t i = 0; i < sp.ndevs; i++)
		check(sp.devs[i] >= 1);
	check(sp.cpu_min >= 0 && (sp.cpu_max == 0 || sp.cpu_min <= sp.cpu_max));
	free(b);
}

static void check_update(const char *buf, size_t len)
{
	struct brink_vm_update_body u;
	char msg[256] = "";
	if (brink_body_vm_update(buf, len, &u, msg, sizeof(msg)) != BRINK_BODY_OK) {
		check(msg[0] && !u.up.set_devs && u.up.vcpu == 0);
		return;
	}
	check(u.up.vcpu >= 0 && u.up.vcpu <= BRINK_VM_VCPU_MAX);
	check(!u.up.set_devs || (u.up.devs == u.devs && u.up.ndevs <= BRINK_VM_DEVS_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		check_create(buf, len);
		break;
	case 1:
		check_update(buf, len);
		break;
	default: {
		brink_id id;
		char msg[128] = "";
		if (brink_body_id(buf, len, "vm", id, msg, sizeof(msg)) == BRINK_BODY_OK)
			check(brink_id_valid(id));
		else
			check(id[0] == '\0' && msg[0]);
	}
	}
	return 0;
}
