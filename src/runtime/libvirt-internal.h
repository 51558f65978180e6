#ifndef BRINK_RUNTIME_LIBVIRT_INTERNAL_H
#define BRINK_RUNTIME_LIBVIRT_INTERNAL_H

#include <libvirt/libvirt.h>
#include <limits.h>

#include "runtime/libvirt.h"

struct brink_vmrt {
	virConnectPtr conn;
	char uri[256];
	char images_dir[PATH_MAX];
	char vms_dir[PATH_MAX];
	char network[128];
	char virt_type[16];
};

/* libvirt's last error as *err (NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL);
 * returns -1. */
int vmrt__fail(struct brink_error **err, const char *what);
enum brink_vm_state vmrt__map_state(int virt_state);
void vmrt__seed_path(struct brink_vmrt *rt, const char *id, char *out, size_t len);

#endif
