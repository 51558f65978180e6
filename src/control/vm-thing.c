#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "control/vm-internal.h"

static int vm_exists(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
		     struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = control__vm_find(ctl, tenant_id, vm_id) ? 0 : control__vm_not_found(err, vm_id);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_thing_create(struct brink_control *ctl, const char *tenant_id,
				  const char *vm_id, const char *name, const char *info,
				  struct brink_thing *out, brink_key key_out,
				  struct brink_error **err)
{
	if (vm_exists(ctl, tenant_id, vm_id, err) < 0 ||
	    brink_control_thing_create(ctl, tenant_id, name, info, out, key_out, err) < 0)
		return -1;
	pthread_mutex_lock(&ctl->lock);
	int rc = control__vm_find(ctl, tenant_id, vm_id) ? 0 : control__vm_not_found(err, vm_id);
	if (rc == 0)
		rc = brink_store_thing_vm_set(ctl->st, out->id, vm_id, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0) { /* the VM went away meanwhile: no half-made thing */
		struct brink_error *e2 = NULL;
		if (brink_control_thing_delete(ctl, tenant_id, out->id, &e2) < 0)
			brink_error_free(&e2);
		sodium_memzero(key_out, sizeof(brink_key));
	}
	return rc;
}

int brink_control_vm_thing_attach(struct brink_control *ctl, const char *tenant_id,
				  const char *thing_id, const char *vm_id, struct brink_error **err)
{
	struct brink_thing t;
	pthread_mutex_lock(&ctl->lock);
	int rc = control__vm_find(ctl, tenant_id, vm_id) ? 0 : control__vm_not_found(err, vm_id);
	if (rc == 0 && !brink_id_valid(thing_id))
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %.32s", thing_id);
	if (rc == 0)
		rc = brink_store_thing_get(ctl->st, tenant_id, thing_id, &t, err);
	if (rc == 0)
		rc = brink_store_thing_vm_set(ctl->st, thing_id, vm_id, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_vm_thing_list(struct brink_control *ctl, const char *tenant_id,
				const char *vm_id, brink_thing_cb cb, void *ctx,
				struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = control__vm_find(ctl, tenant_id, vm_id) ? 0 : control__vm_not_found(err, vm_id);
	if (rc == 0)
		rc = brink_store_vm_things(ctl->st, tenant_id, vm_id, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_thing_vm(struct brink_control *ctl, const char *tenant_id, const char *thing_id,
			   brink_id vm_id_out, char *server_uri, size_t server_uri_len,
			   struct brink_error **err)
{
	struct brink_thing t;
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_id_valid(thing_id)
			 ? brink_store_thing_get(ctl->st, tenant_id, thing_id, &t, err)
			 : brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %.32s", thing_id);
	if (rc == 0)
		rc = brink_store_thing_vm_get(ctl->st, thing_id, vm_id_out, err);
	struct ctl_vm *cv = rc == 0 ? control__vm_find(ctl, tenant_id, vm_id_out) : NULL;
	if (rc == 0 && !cv)
		rc = control__vm_not_found(err, vm_id_out);
	if (rc == 0) {
		control__vm_refresh(ctl, cv);
		const char *ip = cv->vm.ip;
		bool v6 = strchr(ip, ':') != NULL;
		if (!ip[0])
			snprintf(server_uri, server_uri_len, "%s", "");
		else
			snprintf(server_uri, server_uri_len, "coap://%s%s%s:5683", v6 ? "[" : "", ip,
				 v6 ? "]" : "");
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
