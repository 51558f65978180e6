#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "control/vm-internal.h"

#define REFRESH_MS 1000 /* a listed VM's state is at most this old */

const char *brink_vm_state_name(enum brink_vm_state s)
{
	static const char *const names[] = {"POWEROFF", "RUNNING", "PAUSED",
					    "SHUTDOWN", "CRASHED", "UNKNOWN"};
	return (unsigned)s <= BRINK_VM_UNKNOWN ? names[s] : "UNKNOWN";
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ctl_vm *control__vm_find(struct brink_control *ctl, const char *tenant_id,
				const char *vm_id)
{
	struct ctl_vm *cv = NULL;
	if (!vm_id || !brink_id_valid(vm_id))
		return NULL;
	uint64_t key = brink_id_to_u64(vm_id);
	HASH_FIND(hh, ctl->vmp->vms, &key, sizeof(key), cv);
	return cv && !strcmp(cv->vm.tenant_id, tenant_id) ? cv : NULL;
}

int control__vm_not_found(struct brink_error **err, const char *vm_id)
{
	return brink_error_make(err, BRINK_E_NOT_FOUND, "no VM with id %.32s", vm_id ? vm_id : "");
}

int control__vm_need_rt(struct brink_control *ctl, struct brink_error **err)
{
	if (control__vm_connect(ctl) == 0)
		return 0;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are unavailable: %s",
				ctl->vmp->reason);
}

bool control__vm_connected(struct brink_control *ctl, const char **reason)
{
	*reason = ctl->vmp->rt ? "" : ctl->vmp->reason[0] ? ctl->vmp->reason
							   : "connects on the first VM request";
	return ctl->vmp->rt != NULL;
}

bool brink_control_vm_available(struct brink_control *ctl, char *reason, size_t reason_len)
{
	pthread_mutex_lock(&ctl->lock);
	bool up = control__vm_connect(ctl) == 0;
	snprintf(reason, reason_len, "%s", up ? "" : ctl->vmp->reason);
	pthread_mutex_unlock(&ctl->lock);
	return up;
}

/* The CPU share: admitted while the VM runs. */
static int cpu_admit(struct brink_control *ctl, struct ctl_vm *cv, struct brink_error **err)
{
	if (cv->admitted)
		return 0;
	switch (brink_alloc_admit(ctl->alloc, cv->key, cv->vm.cpu_min, cv->vm.cpu_max)) {
	case BRINK_ALLOC_OK:
		cv->admitted = true;
		return 0;
	case BRINK_ALLOC_ENOSPC:
		return brink_error_make(err, BRINK_E_CAPACITY,
					"cpu min %g does not fit: %g of %g cores are already"
					" guaranteed", cv->vm.cpu_min, brink_alloc_sum_min(ctl->alloc),
					brink_alloc_capacity(ctl->alloc));
	default:
		return brink_error_make(err, BRINK_E_INVALID, "cpu bounds [%g, %g] are not valid",
					cv->vm.cpu_min, cv->vm.cpu_max);
	}
}

static void cpu_release(struct brink_control *ctl, struct ctl_vm *cv)
{
	if (!cv->admitted)
		return;
	brink_alloc_remove(ctl->alloc, cv->key);
	cv->admitted = false;
	control__cpu_rebalance(ctl, NULL);
}

bool control__vm_push_cpu(struct brink_control *ctl, uint64_t key, double cores)
{
	struct ctl_vm *cv = NULL;
	if (!ctl->vmp)
		return false;
	HASH_FIND(hh, ctl->vmp->vms, &key, sizeof(key), cv);
	if (!cv)
		return false;
	struct brink_error *err = NULL;
	if (ctl->vmp->rt && cv->vm.state == BRINK_VM_RUNNING &&
	    brink_vmrt_set_cpu(ctl->vmp->rt, cv->vm.uuid, cores, &err) < 0) {
		log_warn("vm %s: applying %.3f cores: %s", cv->vm.id, cores, err->msg);
		brink_error_free(&err);
	}
	return true;
}

void control__vm_refresh(struct brink_control *ctl, struct ctl_vm *cv)
{
	cv->refreshed_ms = now_ms();
	if (!ctl->vmp->rt)
		control__vm_connect(ctl); /* libvirt may be back */
	struct brink_vmrt *rt = ctl->vmp->rt;
	cv->vm.state = rt ? brink_vmrt_state(rt, cv->vm.uuid) : BRINK_VM_UNKNOWN;
	if (cv->vm.state != BRINK_VM_RUNNING) {
		cv->vm.ip[0] = '\0';
		if (cv->vm.state != BRINK_VM_PAUSED && cv->vm.state != BRINK_VM_SHUTDOWN)
			cpu_release(ctl, cv);
	} else if (!cv->vm.ip[0]) {
		struct brink_error *err = NULL;
		if (brink_vmrt_ip(rt, cv->vm.uuid, cv->vm.ip, sizeof(cv->vm.ip), &err) < 0)
			brink_error_free(&err);
	}
	cv->vm.assigned = cv->admitted ? brink_alloc_assigned(ctl->alloc, cv->key) : 0;
	if (cv->vm.assigned < 0)
		cv->vm.assigned = 0;
}

int control__vm_define(struct brink_control *ctl, struct ctl_vm *cv, struct brink_error **err)
{
	struct brink_hostdev devs[BRINK_VM_DEVS_MAX];
	for (size_t i = 0; i < cv->vm.ndevs; i++)
		if (brink_store_hostdev_get(ctl->st, cv->vm.devs[i], &devs[i], err) < 0)
			return -1;
	struct brink_vmrt_domain d = {
		.id = cv->vm.id, .tenant = cv->vm.tenant_id, .name = cv->vm.name,
		.uuid = cv->vm.uuid, .vcpu = cv->vm.vcpu, .memory_mb = cv->vm.memory_mb,
		.ndevs = cv->vm.ndevs, .devs = devs,
	};
	return brink_vmrt_define(ctl->vmp->rt, &d, cv->vm.uuid, err);
}

static int persist(struct brink_control *ctl, struct ctl_vm *cv, struct brink_error **err)
{
	return brink_store_vm_update(ctl->st, &cv->vm, cv->desired_running, err);
}

static int count_one(void *ctx, const struct brink_thing *t)
{
	(void)t;
	++*(size_t *)ctx;
	return 0;
}

/* State, ip and the number of things of one VM, for a reader. */
static void refresh_one(struct brink_control *ctl, struct ctl_vm *cv)
{
	struct brink_error *err = NULL;
	control__vm_refresh(ctl, cv);
	cv->vm.nthings = 0;
	if (brink_store_vm_things(ctl->st, cv->vm.tenant_id, cv->vm.id, count_one,
				  &cv->vm.nthings, &err) < 0) {
		log_warn("vm %s: counting things: %s", cv->vm.id, err->msg);
		brink_error_free(&err);
	}
}

int brink_control_vm_get(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			 struct brink_vm *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? 0 : control__vm_not_found(err, vm_id);
	if (cv) {
		refresh_one(ctl, cv);
		*out = cv->vm;
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_get_by_name(struct brink_control *ctl, const char *tenant_id,
				 const char *name, struct brink_vm *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv;
	for (cv = ctl->vmp->vms; cv; cv = cv->hh.next)
		if (!strcmp(cv->vm.tenant_id, tenant_id) && !strcmp(cv->vm.name, name))
			break;
	int rc = 0;
	if (cv) {
		refresh_one(ctl, cv);
		*out = cv->vm;
	} else {
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no VM named %.64s", name);
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

static void count_things(void *arg, const char *vm_id, int64_t n)
{
	struct brink_control *ctl = arg;
	struct ctl_vm *cv = NULL;
	if (!brink_id_valid(vm_id))
		return;
	uint64_t key = brink_id_to_u64(vm_id);
	HASH_FIND(hh, ctl->vmp->vms, &key, sizeof(key), cv);
	if (cv)
		cv->vm.nthings = (size_t)n;
}

/* Brings states older than REFRESH_MS and thing counts up to date. */
static void refresh_for_list(struct brink_control *ctl, const char *tenant_id)
{
	int64_t now = now_ms();
	struct brink_error *err = NULL;
	for (struct ctl_vm *cv = ctl->vmp->vms; cv; cv = cv->hh.next) {
		cv->vm.nthings = 0;
		if (!strcmp(cv->vm.tenant_id, tenant_id) && now - cv->refreshed_ms >= REFRESH_MS)
			control__vm_refresh(ctl, cv);
	}
	if (brink_store_vm_thing_counts(ctl->st, count_things, ctl, &err) < 0) {
		log_warn("counting things on VMs: %s", err->msg);
		brink_error_free(&err);
	}
}

int brink_control_vm_list(struct brink_control *ctl, const char *tenant_id, brink_vm_cb cb,
			  void *ctx, struct brink_error **err)
{
	(void)err;
	int rc = 0;
	pthread_mutex_lock(&ctl->lock);
	refresh_for_list(ctl, tenant_id);
	for (struct ctl_vm *cv = ctl->vmp->vms; cv && rc == 0; cv = cv->hh.next)
		if (!strcmp(cv->vm.tenant_id, tenant_id))
			rc = cb(ctx, &cv->vm);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

/* The first of the tenant's VMs after `after` ("" or NULL: the first of all). */
static int page_start(struct brink_control *ctl, const char *tenant_id, const char *after,
		      struct ctl_vm **start, bool *has_prev, struct brink_error **err)
{
	struct ctl_vm *cv = ctl->vmp->vms;
	*has_prev = false;
	if (after && after[0]) {
		struct ctl_vm *cur = control__vm_find(ctl, tenant_id, after);
		if (!cur)
			return brink_error_make(err, BRINK_E_INVALID, "unknown cursor %.32s", after);
		*has_prev = true;
		cv = cur->hh.next;
	}
	while (cv && strcmp(cv->vm.tenant_id, tenant_id))
		cv = cv->hh.next;
	*start = cv;
	return 0;
}

int brink_control_vm_page(struct brink_control *ctl, const char *tenant_id, int first,
			  const char *after, brink_vm_cb cb, void *ctx, struct brink_vm_page *out,
			  struct brink_error **err)
{
	struct ctl_vm *cv = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ctl->lock);
	rc = page_start(ctl, tenant_id, after, &cv, &out->has_prev, err);
	if (rc == 0)
		refresh_for_list(ctl, tenant_id);
	for (struct ctl_vm *t = ctl->vmp->vms; rc == 0 && t; t = t->hh.next)
		out->total += !strcmp(t->vm.tenant_id, tenant_id);
	for (int n = 0; rc == 0 && cv; cv = cv->hh.next) {
		if (strcmp(cv->vm.tenant_id, tenant_id))
			continue;
		if (first >= 0 && n == first) {
			out->has_next = true;
			break;
		}
		if (n++ == 0)
			snprintf(out->start, sizeof(out->start), "%s", cv->vm.id);
		snprintf(out->end, sizeof(out->end), "%s", cv->vm.id);
		rc = cb ? cb(ctx, &cv->vm) : 0;
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_power_on(struct brink_control *ctl, const char *tenant_id,
			      const char *vm_id, struct brink_vm *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	if (rc == 0)
		control__vm_refresh(ctl, cv);
	if (rc == 0 && cv->vm.state != BRINK_VM_RUNNING) {
		rc = cpu_admit(ctl, cv, err);
		if (rc == 0 && (rc = brink_vmrt_start(ctl->vmp->rt, cv->vm.uuid, err)) < 0)
			cpu_release(ctl, cv);
		if (rc == 0) {
			cv->vm.state = BRINK_VM_RUNNING; /* set_cpu applies to running VMs */
			control__cpu_rebalance(ctl, NULL);
			cv->desired_running = true;
			cv->vm.reason[0] = '\0';
			rc = persist(ctl, cv, err);
		}
	}
	if (rc == 0) {
		control__vm_refresh(ctl, cv);
		*out = cv->vm;
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

/* powerOFF (ACPI) or forceOFF. An already-off VM is fine. */
static int power_off(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
		     bool force, struct brink_vm *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	if (rc == 0)
		control__vm_refresh(ctl, cv);
	if (rc == 0 && cv->vm.state != BRINK_VM_POWEROFF) {
		rc = force ? brink_vmrt_force_off(ctl->vmp->rt, cv->vm.uuid, err)
			   : brink_vmrt_shutdown(ctl->vmp->rt, cv->vm.uuid, err);
	}
	if (rc == 0) {
		cv->desired_running = false;
		rc = persist(ctl, cv, err);
		control__vm_refresh(ctl, cv);
		if (out)
			*out = cv->vm;
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_power_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_vm *out, struct brink_error **err)
{
	return power_off(ctl, tenant_id, vm_id, false, out, err);
}

int brink_control_vm_force_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_error **err)
{
	return power_off(ctl, tenant_id, vm_id, true, NULL, err);
}

/* Removes the domain, the disks and the memory record (not the row). */
static void vm_remove(struct brink_control *ctl, struct ctl_vm *cv)
{
	struct brink_error *err = NULL;
	if (ctl->vmp->rt && cv->vm.uuid[0] &&
	    brink_vmrt_undefine(ctl->vmp->rt, cv->vm.uuid, &err) < 0) {
		if (err->code != BRINK_E_NOT_FOUND)
			log_warn("vm %s: %s", cv->vm.id, err->msg);
		brink_error_free(&err);
	}
	if (ctl->vmp->rt)
		brink_vmrt_disks_remove(ctl->vmp->rt, cv->vm.id);
	cpu_release(ctl, cv);
	HASH_DEL(ctl->vmp->vms, cv);
	free(cv);
}

int brink_control_vm_destroy(struct brink_control *ctl, const char *tenant_id,
			     const char *vm_id, bool force, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	if (rc == 0) {
		control__vm_refresh(ctl, cv);
		if (!force && cv->vm.state != BRINK_VM_POWEROFF && cv->vm.state != BRINK_VM_UNKNOWN)
			rc = brink_error_make(err, BRINK_E_CONFLICT,
					      "VM %s is %s: power it off first, or force", vm_id,
					      brink_vm_state_name(cv->vm.state));
	}
	if (rc == 0 && (rc = brink_store_vm_delete(ctl->st, cv->vm.id, err)) == 0)
		vm_remove(ctl, cv);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_admin_delete(struct brink_control *ctl, bool admin, const char *owner_id,
				  const char *vm_id, struct brink_error **err)
{
	if (!admin)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "deleteVm is for an admin only");
	return brink_control_vm_destroy(ctl, owner_id, vm_id, true, err);
}

void control__vm_tenant_gone(struct brink_control *ctl, const char *tenant_id)
{
	struct ctl_vm *cv, *tmp;
	HASH_ITER(hh, ctl->vmp->vms, cv, tmp)
		if (!strcmp(cv->vm.tenant_id, tenant_id))
			vm_remove(ctl, cv);
}
