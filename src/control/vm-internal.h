#ifndef BRINK_CONTROL_VM_INTERNAL_H
#define BRINK_CONTROL_VM_INTERNAL_H

#include "control/control-internal.h"
#include "control/vm.h"
#include "runtime/libvirt.h"
#include "store/store-vm.h"

struct ctl_vm {
	uint64_t key; /* the id as a number; the hash key (and the allocator's) */
	struct brink_vm vm;
	bool desired_running; /* what a restart brings back */
	bool admitted;        /* holds an allocator unit */
	int64_t refreshed_ms; /* when state and ip were last read from libvirt */
	UT_hash_handle hh;    /* creation order */
};

struct ctl_vmplane {
	struct brink_vmrt *rt; /* NULL: not connected (yet, or libvirt unavailable) */
	char reason[256];      /* why not, "" before the first attempt */
	int64_t tried_ms;      /* the last failed attempt to connect */
	char usb_root[256];
	struct ctl_vm *vms;
};

/* The caller's VM (under the lock); NULL when unknown or another tenant's. */
struct ctl_vm *control__vm_find(struct brink_control *ctl, const char *tenant_id,
				const char *vm_id);
/* NOT_FOUND error for vm_id. */
int control__vm_not_found(struct brink_error **err, const char *vm_id);
/* Connects to libvirt (loading the plugin) unless connected; a failed
 * attempt is not repeated for 5 s. 0 or -1 (the reason in vmp->reason). */
int control__vm_connect(struct brink_control *ctl);
/* UNAVAILABLE unless libvirt is there (connecting if need be). */
int control__vm_need_rt(struct brink_control *ctl, struct brink_error **err);
/* (Re)defines the VM's domain from its record (devices included). */
int control__vm_define(struct brink_control *ctl, struct ctl_vm *cv, struct brink_error **err);
/* Makes the record's new shape (vcpu, memory, devices) real: domain, store,
 * live device changes; restores `saved` and fails when that is not possible. */
int control__vm_apply(struct brink_control *ctl, struct ctl_vm *cv, const struct brink_vm *saved,
		      struct brink_error **err);
/* Reads state and ip from libvirt, releasing the CPU of a VM that stopped. */
void control__vm_refresh(struct brink_control *ctl, struct ctl_vm *cv);

/* vm-usb.c: the device with its sysfs numbers refreshed; NOT_FOUND when
 * unknown or not present. */
int control__usb_present(struct brink_control *ctl, int dev_id, struct brink_hostdev *out,
			 struct brink_error **err);

#endif
