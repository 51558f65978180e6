#include <stdio.h>
#include <string.h>

#include "brink/log.h"
#include "control/vm-internal.h"
#include "runtime/usb.h"

#define SCAN_MAX 256 /* devices remembered per scan */

int control__usb_present(struct brink_control *ctl, int dev_id, struct brink_hostdev *out,
			 struct brink_error **err)
{
	struct brink_hostdev now;
	struct brink_error *perr = NULL;
	if (brink_store_hostdev_get(ctl->st, dev_id, out, err) < 0)
		return -1;
	if (brink_usb_read(ctl->vmp->usb_root, out->port, &now, &perr) < 0 ||
	    strcmp(now.vendor, out->vendor) || strcmp(now.product, out->product)) {
		brink_error_free(&perr);
		return brink_error_make(err, BRINK_E_NOT_FOUND, "USB device %d is not present",
					dev_id);
	}
	snprintf(out->bus, sizeof(out->bus), "%s", now.bus);
	snprintf(out->device, sizeof(out->device), "%s", now.device);
	out->present = true;
	now.id = out->id;
	return brink_store_hostdev_upsert(ctl->st, &now, err);
}

struct scan {
	struct brink_control *ctl;
	size_t n;
	int ids[SCAN_MAX];
	struct brink_error **err;
};

static int record_one(void *arg, const struct brink_hostdev *d)
{
	struct scan *sc = arg;
	struct brink_hostdev copy = *d;
	if (brink_store_hostdev_upsert(sc->ctl->st, &copy, sc->err) < 0)
		return -1;
	if (sc->n < SCAN_MAX)
		sc->ids[sc->n++] = copy.id;
	return 0;
}

struct usb_list {
	struct brink_control *ctl;
	struct scan *scan;
	const char *tenant_id;
	bool admin;
	brink_hostdev_cb cb;
	void *ctx;
};

/* Free devices and the caller's are visible (an admin sees all). */
static bool visible(struct brink_control *ctl, const char *tenant_id, bool admin,
		    const struct brink_hostdev *d)
{
	return admin || !d->vm_id[0] || control__vm_find(ctl, tenant_id, d->vm_id) != NULL;
}

static int list_one(void *arg, const struct brink_hostdev *d)
{
	struct usb_list *l = arg;
	struct brink_hostdev copy = *d;
	for (size_t i = 0; i < l->scan->n; i++)
		copy.present |= l->scan->ids[i] == d->id;
	if (!visible(l->ctl, l->tenant_id, l->admin, &copy) || (!copy.present && !copy.vm_id[0]))
		return 0;
	return l->cb(l->ctx, &copy);
}

int brink_control_usb_list(struct brink_control *ctl, const char *tenant_id, bool admin,
			   brink_hostdev_cb cb, void *ctx, struct brink_error **err)
{
	struct scan sc = {.ctl = ctl, .err = err};
	struct usb_list l = {ctl, &sc, tenant_id, admin, cb, ctx};
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_usb_scan(ctl->vmp->usb_root, record_one, &sc, err);
	if (rc == 0)
		rc = brink_store_hostdev_list(ctl->st, list_one, &l, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_usb_get(struct brink_control *ctl, const char *tenant_id, bool admin, int dev_id,
			  struct brink_hostdev *out, struct brink_error **err)
{
	struct brink_error *perr = NULL;
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_hostdev_get(ctl->st, dev_id, out, err);
	if (rc == 0 && !visible(ctl, tenant_id, admin, out))
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no USB device with id %d", dev_id);
	if (rc == 0) {
		struct brink_hostdev now;
		out->present = brink_usb_read(ctl->vmp->usb_root, out->port, &now, &perr) == 0;
		brink_error_free(&perr);
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

/* Adds or removes dev_id in the VM's device list and applies it. */
static int change_devs(struct brink_control *ctl, struct ctl_vm *cv, int dev_id, bool attach,
		       struct brink_error **err)
{
	struct brink_vm saved = cv->vm;
	size_t at = cv->vm.ndevs;
	for (size_t i = 0; i < cv->vm.ndevs; i++)
		if (cv->vm.devs[i] == dev_id)
			at = i;
	if (attach && at < cv->vm.ndevs)
		return 0; /* already this VM's */
	if (!attach && at == cv->vm.ndevs)
		return brink_error_make(err, BRINK_E_NOT_FOUND,
					"USB device %d is not attached to VM %s", dev_id, cv->vm.id);
	if (attach && cv->vm.ndevs == BRINK_VM_DEVS_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "a VM has at most %d devices",
					BRINK_VM_DEVS_MAX);
	if (attach)
		cv->vm.devs[cv->vm.ndevs++] = dev_id;
	else
		cv->vm.devs[at] = cv->vm.devs[--cv->vm.ndevs];
	control__vm_refresh(ctl, cv);
	saved.state = cv->vm.state;
	return control__vm_apply(ctl, cv, &saved, err);
}

int brink_control_usb_attach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err)
{
	struct brink_hostdev d;
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	if (rc == 0)
		rc = control__usb_present(ctl, dev_id, &d, err);
	if (rc == 0 && d.vm_id[0] && strcmp(d.vm_id, cv->vm.id))
		rc = brink_error_make(err, BRINK_E_CONFLICT, "USB device %d is attached to another VM",
				      dev_id);
	if (rc == 0)
		rc = change_devs(ctl, cv, dev_id, true, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_usb_detach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	struct ctl_vm *cv = control__vm_find(ctl, tenant_id, vm_id);
	int rc = cv ? control__vm_need_rt(ctl, err) : control__vm_not_found(err, vm_id);
	if (rc == 0)
		rc = change_devs(ctl, cv, dev_id, false, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
