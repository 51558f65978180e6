#ifndef BRINK_RUNTIME_LIBVIRT_INTERNAL_H
#define BRINK_RUNTIME_LIBVIRT_INTERNAL_H

#include <libvirt/libvirt.h>
#include <limits.h>

#include "runtime/libvirt.h"

#define BRINK_VMRT_XMLNS "https://brink.invalid/xmlns/vm/1"

struct brink_vmrt {
	virConnectPtr conn;
	char uri[256];
	char images_dir[PATH_MAX];
	char vms_dir[PATH_MAX];
	char network[128];
	char virt_type[16];
	brink_id instance;
};

/* libvirt's last error as *err (NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL);
 * returns -1. */
int vmrt__fail(struct brink_error **err, const char *what);
enum brink_vm_state vmrt__map_state(int virt_state);
/* Sets the scheduler parameters among p[0..n) that brink knows for a share
 * of `cores`: cpu_shares (1024 per core), global_period 100 ms and
 * global_quota (QEMU); weight (256 per core: Xen's credit, the test driver). */
void vmrt__fill_sched(virTypedParameterPtr p, int n, double cores);
void vmrt__seed_path(struct brink_vmrt *rt, const char *id, char *out, size_t len);

#endif
