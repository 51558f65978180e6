/* The VM plane's life: the libvirt connection, re-adopting stored VMs after
 * a restart, removing domains an earlier brinkd left without a record. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "control/vm-internal.h"

/* This brinkd's name in its domains' metadata: FNV-1a of its data directory. */
static void instance_of(const char *data_dir, brink_id out)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = data_dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	brink_id_from_u64(h, out);
}

void control__vm_init(struct brink_control *ctl)
{
	struct ctl_vmplane *p = calloc(1, sizeof(*p));
	if (!p) {
		log_error("VMs: out of memory");
		abort();
	}
	ctl->vmp = p;
	snprintf(p->usb_root, sizeof(p->usb_root), "%s", ctl->cfg.usb_sysfs_root);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libvirt is connected on first need, not at start: an idle brinkd without
 * VMs never loads it (see runtime/libvirt.h). */
int control__vm_connect(struct brink_control *ctl)
{
	struct ctl_vmplane *p = ctl->vmp;
	if (p->rt)
		return 0;
	if (p->tried_ms && mono_ms() - p->tried_ms < 5000)
		return -1;
	char vms_dir[PATH_MAX], real[PATH_MAX];
	brink_id instance;
	instance_of(realpath(ctl->cfg.data_dir, real) ? real : ctl->cfg.data_dir, instance);
	snprintf(vms_dir, sizeof(vms_dir), "%s/vms", ctl->cfg.data_dir);
	struct brink_vmrt_config rc = {
		.uri = ctl->cfg.vm_uri, .images_dir = ctl->cfg.vm_images_dir, .vms_dir = vms_dir,
		.network = ctl->cfg.vm_network, .virt_type = ctl->cfg.vm_virt_type,
		.instance = instance,
	};
	struct brink_error *err = NULL;
	if (brink_vmrt_open(&rc, &p->rt, &err) < 0) {
		snprintf(p->reason, sizeof(p->reason), "%s", err->msg);
		log_warn("runtime libvirt unavailable: %s", err->msg);
		brink_error_free(&err);
		p->rt = NULL;
		p->tried_ms = mono_ms();
		return -1;
	}
	p->reason[0] = '\0';
	log_info("runtime libvirt ready (%s)", ctl->cfg.vm_uri);
	return 0;
}

void control__vm_free(struct brink_control *ctl)
{
	struct ctl_vm *cv, *tmp;
	if (!ctl->vmp)
		return;
	/* VMs keep running: a new brinkd adopts them */
	HASH_ITER(hh, ctl->vmp->vms, cv, tmp) {
		HASH_DEL(ctl->vmp->vms, cv);
		free(cv);
	}
	brink_vmrt_close(ctl->vmp->rt);
	free(ctl->vmp);
	ctl->vmp = NULL;
}

static int load_vm(void *arg, const struct brink_vm *vm, bool desired)
{
	struct brink_control *ctl = arg;
	struct ctl_vm *cv = calloc(1, sizeof(*cv));
	if (!cv)
		return -1;
	cv->vm = *vm;
	cv->key = brink_id_to_u64(vm->id);
	cv->desired_running = desired;
	HASH_ADD(hh, ctl->vmp->vms, key, sizeof(uint64_t), cv);
	return 0;
}

static int load_dev(void *arg, const struct brink_hostdev *d)
{
	struct brink_control *ctl = arg;
	struct ctl_vm *cv = NULL;
	if (!d->vm_id[0])
		return 0;
	uint64_t key = brink_id_to_u64(d->vm_id);
	HASH_FIND(hh, ctl->vmp->vms, &key, sizeof(key), cv);
	if (cv && cv->vm.ndevs < BRINK_VM_DEVS_MAX)
		cv->vm.devs[cv->vm.ndevs++] = d->id;
	return 0;
}

/* Finds the VM's domain (by uuid), defines it again from the record when
 * libvirt lost it (the overlay is kept), and starts it if it should run. */
static void adopt(struct brink_control *ctl, struct ctl_vm *cv)
{
	struct brink_error *err = NULL;
	bool found = brink_vmrt_exists(ctl->vmp->rt, cv->vm.uuid);
	if (!found && control__vm_define(ctl, cv, &err) < 0)
		goto fail;
	control__vm_refresh(ctl, cv);
	if (cv->vm.state == BRINK_VM_RUNNING || cv->vm.state == BRINK_VM_PAUSED) {
		cv->admitted = brink_alloc_admit(ctl->alloc, cv->key, cv->vm.cpu_min,
						 cv->vm.cpu_max) == BRINK_ALLOC_OK;
	} else if (cv->desired_running) {
		if (brink_alloc_admit(ctl->alloc, cv->key, cv->vm.cpu_min, cv->vm.cpu_max) !=
		    BRINK_ALLOC_OK) {
			brink_error_make(&err, BRINK_E_CAPACITY, "its cpu min no longer fits");
			goto fail;
		}
		cv->admitted = true;
		if (brink_vmrt_start(ctl->vmp->rt, cv->vm.uuid, &err) < 0)
			goto fail;
	}
	log_info("vm %s: %s (%s)", cv->vm.id, found ? "adopted" : "defined again",
		 brink_vm_state_name(brink_vmrt_state(ctl->vmp->rt, cv->vm.uuid)));
	brink_store_vm_update(ctl->st, &cv->vm, cv->desired_running, &err);
	brink_error_free(&err);
	return;
fail:
	snprintf(cv->vm.reason, sizeof(cv->vm.reason), "after restart: %s", err->msg);
	log_warn("vm %s: %s", cv->vm.id, cv->vm.reason);
	brink_error_free(&err);
}

/* A domain of this brinkd with no VM record is left from an earlier run. */
static void reap_one(void *arg, const char *id, const char *uuid)
{
	struct brink_control *ctl = arg;
	struct ctl_vm *cv = NULL;
	struct brink_error *err = NULL;
	if (brink_id_valid(id)) {
		uint64_t key = brink_id_to_u64(id);
		HASH_FIND(hh, ctl->vmp->vms, &key, sizeof(key), cv);
	}
	if (cv)
		return;
	log_info("vm domain brink-%s has no record: removing it", id);
	if (brink_vmrt_undefine(ctl->vmp->rt, uuid, &err) < 0)
		brink_error_free(&err);
	if (brink_id_valid(id))
		brink_vmrt_disks_remove(ctl->vmp->rt, id);
}

void control__vm_start(struct brink_control *ctl)
{
	struct brink_error *err = NULL;
	if (brink_store_vm_load(ctl->st, load_vm, ctl, &err) < 0 ||
	    brink_store_hostdev_list(ctl->st, load_dev, ctl, &err) < 0) {
		log_error("loading VMs: %s", err ? err->msg : "out of memory");
		brink_error_free(&err);
	}
	if (ctl->vmp->vms && control__vm_connect(ctl) == 0) {
		for (struct ctl_vm *cv = ctl->vmp->vms; cv; cv = cv->hh.next)
			adopt(ctl, cv);
		if (brink_vmrt_list_ids(ctl->vmp->rt, reap_one, ctl, &err) < 0)
			brink_error_free(&err);
		control__cpu_rebalance(ctl, NULL);
	}
	log_info("VMs: %u loaded", HASH_COUNT(ctl->vmp->vms));
}
