#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "control/vm-internal.h"

static bool key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > BRINK_VM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] >= 0x7f)
			return false;
	return true;
}

static int check_sizes(int vcpu, int memory_mb, struct brink_error **err)
{
	if (vcpu < 1 || vcpu > BRINK_VM_VCPU_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "vcpu must be 1-%d", BRINK_VM_VCPU_MAX);
	if (memory_mb < 16 || memory_mb > BRINK_VM_MEMORY_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "memory must be 16-%d MB",
					BRINK_VM_MEMORY_MAX);
	return 0;
}

static int check_spec(const struct brink_vm_spec *sp, int vcpu, int memory_mb,
		      struct brink_error **err)
{
	if (!sp->name || !brink_name_valid(sp->name))
		return brink_error_make(err, BRINK_E_INVALID,
					"name must be 1-64 characters of A-Z a-z 0-9 . _ -");
	if (!brink_vmrt_base_valid(sp->base))
		return brink_error_make(err, BRINK_E_INVALID,
					"base must be an image file name: no '/', no '..', not"
					" starting with '.'");
	if (check_sizes(vcpu, memory_mb, err) < 0)
		return -1;
	if (sp->user && sp->user[0] && !brink_name_valid(sp->user))
		return brink_error_make(err, BRINK_E_INVALID, "config.user is not a valid user name");
	if (sp->password && (!sp->password[0] || strlen(sp->password) > BRINK_VM_PASSWORD_MAX))
		return brink_error_make(err, BRINK_E_INVALID, "config.password must be 1-%d bytes",
					BRINK_VM_PASSWORD_MAX);
	if (sp->nkeys > BRINK_VM_KEYS_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "at most %d SSH keys",
					BRINK_VM_KEYS_MAX);
	for (size_t i = 0; i < sp->nkeys; i++)
		if (!key_valid(sp->ssh_keys[i]))
			return brink_error_make(err, BRINK_E_INVALID,
						"SSH key %zu is not one printable line", i);
	if (sp->ndevs > BRINK_VM_DEVS_MAX || sp->nthings > BRINK_VM_THINGS_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "too many devices or things");
	return 0;
}

/* The devices exist, are present and free (or already this VM's). */
static int check_devs(struct brink_control *ctl, const char *vm_id, size_t n, const int *devs,
		      struct brink_error **err)
{
	for (size_t i = 0; i < n; i++) {
		struct brink_hostdev d;
		if (control__usb_present(ctl, devs[i], &d, err) < 0)
			return -1;
		if (d.vm_id[0] && strcmp(d.vm_id, vm_id))
			return brink_error_make(err, BRINK_E_CONFLICT,
						"USB device %d is attached to another VM", devs[i]);
		for (size_t j = 0; j < i; j++)
			if (devs[j] == devs[i])
				return brink_error_make(err, BRINK_E_INVALID,
							"USB device %d is named twice", devs[i]);
	}
	return 0;
}

static int check_things(struct brink_control *ctl, const char *tenant_id,
			const struct brink_vm_spec *sp, struct brink_error **err)
{
	for (size_t i = 0; i < sp->nthings; i++) {
		struct brink_thing t;
		if (!brink_id_valid(sp->things[i]))
			return brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %.32s",
						sp->things[i]);
		if (brink_store_thing_get(ctl->st, tenant_id, sp->things[i], &t, err) < 0)
			return -1;
	}
	return 0;
}

static bool name_taken(struct brink_control *ctl, const char *tenant_id, const char *name)
{
	for (struct ctl_vm *cv = ctl->vmp->vms; cv; cv = cv->hh.next)
		if (!strcmp(cv->vm.tenant_id, tenant_id) && !strcmp(cv->vm.name, name))
			return true;
	return false;
}

static struct ctl_vm *new_vm(const char *tenant_id, const struct brink_vm_spec *sp, int vcpu,
			     int memory_mb)
{
	struct ctl_vm *cv = calloc(1, sizeof(*cv));
	if (!cv)
		return NULL;
	struct brink_vm *vm = &cv->vm;
	control__new_id(vm->id);
	cv->key = brink_id_to_u64(vm->id);
	snprintf(vm->tenant_id, sizeof(vm->tenant_id), "%s", tenant_id);
	snprintf(vm->name, sizeof(vm->name), "%s", sp->name);
	snprintf(vm->base, sizeof(vm->base), "%s", sp->base);
	snprintf(vm->user, sizeof(vm->user), "%s", sp->user ? sp->user : "");
	vm->vcpu = vcpu;
	vm->memory_mb = memory_mb;
	vm->cpu_min = sp->cpu_min;
	vm->cpu_max = sp->cpu_max > 0 ? sp->cpu_max : vcpu;
	vm->created = (int64_t)time(NULL);
	vm->state = BRINK_VM_POWEROFF;
	vm->ndevs = sp->ndevs;
	for (size_t i = 0; i < sp->ndevs; i++)
		vm->devs[i] = sp->devs[i];
	vm->nthings = sp->nthings;
	return cv;
}

static int make_disks(struct brink_control *ctl, struct ctl_vm *cv, const struct brink_vm_spec *sp,
		      struct brink_error **err)
{
	char hash[128] = "";
	if (sp->password && brink_vmrt_password_hash(sp->password, hash, sizeof(hash), err) < 0)
		return -1;
	struct brink_vmrt_seed seed = {
		.hostname = cv->vm.name, .user = cv->vm.user[0] ? cv->vm.user : NULL,
		.password_hash = hash[0] ? hash : NULL, .nkeys = sp->nkeys, .ssh_keys = sp->ssh_keys,
	};
	return brink_vmrt_disks_create(ctl->vmp->rt, cv->vm.id, cv->vm.base, &seed, err);
}

/* The row, its devices and its things in one transaction. */
static int store_new(struct brink_control *ctl, struct ctl_vm *cv, const struct brink_vm_spec *sp,
		     struct brink_error **err)
{
	if (brink_store_begin(ctl->st, err) < 0)
		return -1;
	int rc = brink_store_vm_insert(ctl->st, &cv->vm, false, err);
	for (size_t i = 0; rc == 0 && i < sp->ndevs; i++)
		rc = brink_store_hostdev_set_vm(ctl->st, sp->devs[i], cv->vm.id, err);
	for (size_t i = 0; rc == 0 && i < sp->nthings; i++)
		rc = brink_store_thing_vm_set(ctl->st, sp->things[i], cv->vm.id, err);
	if (rc == 0 && brink_store_commit(ctl->st, err) == 0)
		return 0;
	brink_store_rollback(ctl->st);
	if ((*err)->code == BRINK_E_CONFLICT)
		brink_error_make(err, BRINK_E_CONFLICT, "you already have a VM named %s", cv->vm.name);
	return -1;
}

static int create_locked(struct brink_control *ctl, const char *tenant_id,
			 const struct brink_vm_spec *sp, struct ctl_vm *cv, struct brink_error **err)
{
	if (control__vm_need_rt(ctl, err) < 0 || check_things(ctl, tenant_id, sp, err) < 0 ||
	    check_devs(ctl, "", sp->ndevs, sp->devs, err) < 0)
		return -1;
	if (name_taken(ctl, tenant_id, sp->name))
		return brink_error_make(err, BRINK_E_CONFLICT, "you already have a VM named %s",
					sp->name);
	if (!(cv->vm.cpu_min >= 0 && cv->vm.cpu_min <= cv->vm.cpu_max) ||
	    !brink_alloc_fits(ctl->alloc, cv->vm.cpu_min))
		return brink_error_make(err, BRINK_E_CAPACITY, "cpu min %g does not fit in [0, %g]",
					cv->vm.cpu_min, brink_alloc_capacity(ctl->alloc));
	if (make_disks(ctl, cv, sp, err) < 0)
		return -1;
	if (control__vm_define(ctl, cv, err) < 0 || store_new(ctl, cv, sp, err) < 0) {
		struct brink_error *e2 = NULL;
		if (cv->vm.uuid[0] && brink_vmrt_undefine(ctl->vmp->rt, cv->vm.uuid, &e2) < 0)
			brink_error_free(&e2);
		brink_vmrt_disks_remove(ctl->vmp->rt, cv->vm.id);
		return -1;
	}
	HASH_ADD(hh, ctl->vmp->vms, key, sizeof(uint64_t), cv);
	return 0;
}

int brink_control_vm_create(struct brink_control *ctl, const char *tenant_id,
			    const struct brink_vm_spec *spec, struct brink_vm *out,
			    struct brink_error **err)
{
	int vcpu = spec->vcpu ? spec->vcpu : 1, memory_mb = spec->memory_mb ? spec->memory_mb : 256;
	if (check_spec(spec, vcpu, memory_mb, err) < 0)
		return -1;
	struct ctl_vm *cv = new_vm(tenant_id, spec, vcpu, memory_mb);
	if (!cv)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	pthread_mutex_lock(&ctl->lock);
	int rc = create_locked(ctl, tenant_id, spec, cv, err);
	if (rc == 0) {
		control__vm_refresh(ctl, cv);
		*out = cv->vm;
	}
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0)
		free(cv);
	return rc;
}

/* Live device changes of a running VM; drivers without live attach (the
 * test driver) get the change at the next power on. */
static void devs_live(struct brink_control *ctl, struct ctl_vm *cv, const int *old, size_t nold,
		      bool attach)
{
	for (size_t i = 0; i < nold; i++) {
		bool kept = false;
		for (size_t j = 0; j < cv->vm.ndevs; j++)
			kept |= cv->vm.devs[j] == old[i];
		struct brink_hostdev d;
		struct brink_error *err = NULL;
		if (kept || brink_store_hostdev_get(ctl->st, old[i], &d, &err) < 0 ||
		    brink_vmrt_hostdev_live(ctl->vmp->rt, cv->vm.uuid, &d, attach, &err) < 0) {
			if (err)
				log_info("vm %s: device %d: %s (applies at next power on)", cv->vm.id,
					 old[i], err->msg);
			brink_error_free(&err);
		}
	}
}

/* Writes the new device list to the store (old ones freed). */
static int store_devs(struct brink_control *ctl, struct ctl_vm *cv, const int *old, size_t nold,
		      struct brink_error **err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nold; i++)
		rc = brink_store_hostdev_set_vm(ctl->st, old[i], "", err);
	for (size_t i = 0; rc == 0 && i < cv->vm.ndevs; i++)
		rc = brink_store_hostdev_set_vm(ctl->st, cv->vm.devs[i], cv->vm.id, err);
	return rc;
}

int control__vm_apply(struct brink_control *ctl, struct ctl_vm *cv, const struct brink_vm *saved,
		      struct brink_error **err)
{
	int rc = control__vm_define(ctl, cv, err);
	if (rc == 0 && (rc = brink_store_begin(ctl->st, err)) == 0) {
		rc = store_devs(ctl, cv, saved->devs, saved->ndevs, err);
		if (rc == 0)
			rc = brink_store_vm_update(ctl->st, &cv->vm, cv->desired_running, err);
		if (rc == 0)
			rc = brink_store_commit(ctl->st, err);
		if (rc < 0)
			brink_store_rollback(ctl->st);
	}
	if (rc < 0) {
		struct brink_error *e2 = NULL;
		cv->vm = *saved;
		if (control__vm_define(ctl, cv, &e2) < 0)
			brink_error_free(&e2);
		return -1;
	}
	if (cv->vm.state == BRINK_VM_RUNNING) {
		devs_live(ctl, cv, saved->devs, saved->ndevs, false);
		devs_live(ctl, cv, cv->vm.devs, cv->vm.ndevs, true);
	}
	return 0;
}

int brink_control_vm_update(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			    const struct brink_vm_update *up, struct brink_vm *out,
			    struct brink_error **err)
{
	if (up->set_devs && up->ndevs > BRINK_VM_DEVS_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "at most %d devices per VM",
					BRINK_VM_DEVS_MAX);
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	struct brink_vm saved;
	if (rc == 0) {
		saved = cv->vm;
		rc = check_sizes(up->vcpu ? up->vcpu : saved.vcpu,
				 up->memory_mb ? up->memory_mb : saved.memory_mb, err);
	}
	if (rc == 0 && up->set_devs)
		rc = check_devs(ctl, cv->vm.id, up->ndevs, up->devs, err);
	if (rc == 0) {
		control__vm_refresh(ctl, cv);
		saved.state = cv->vm.state;
		cv->vm.vcpu = up->vcpu ? up->vcpu : cv->vm.vcpu;
		cv->vm.memory_mb = up->memory_mb ? up->memory_mb : cv->vm.memory_mb;
		if (up->set_devs) {
			cv->vm.ndevs = up->ndevs;
			memcpy(cv->vm.devs, up->devs, up->ndevs * sizeof(int));
		}
		rc = control__vm_apply(ctl, cv, &saved, err);
	}
	if (rc == 0)
		*out = cv->vm;
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
