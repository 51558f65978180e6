#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control/control-internal.h"

int brink_control_register(struct brink_control *ctl, const char *name, const char *password,
			   struct brink_tenant *out, brink_key key_out, struct brink_error **err)
{
	struct brink_tenant t = {.created = (int64_t)time(NULL)};
	uint8_t hash[BRINK_KEY_HASH_LEN];
	if (!brink_name_valid(name))
		return brink_error_make(err, BRINK_E_INVALID,
					"name must be 1-64 characters of A-Z a-z 0-9 . _ -");
	snprintf(t.name, sizeof(t.name), "%s", name);
	/* argon2id takes tens of milliseconds: outside the lock */
	if (password && control__password_hash(password, t.pw_hash, sizeof(t.pw_hash), err) < 0)
		return -1;
	control__new_id(t.id);
	control__new_key(key_out);
	control__key_hash(key_out, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_insert(ctl->st, &t, hash, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0) {
		sodium_memzero(key_out, sizeof(brink_key));
		if ((*err)->code == BRINK_E_CONFLICT)
			brink_error_make(err, BRINK_E_CONFLICT, "the name %s is taken", name);
		return -1;
	}
	*out = t;
	return 0;
}

int brink_control_auth(struct brink_control *ctl, const char *key, struct brink_tenant *out,
		       struct brink_error **err)
{
	uint8_t hash[BRINK_KEY_HASH_LEN];
	if (strlen(key) != BRINK_KEY_LEN)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "the key was refused");
	control__key_hash(key, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_by_key(ctl->st, hash, out, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0 && (*err)->code == BRINK_E_NOT_FOUND)
		brink_error_make(err, BRINK_E_UNAUTHORIZED, "the key was refused");
	return rc;
}

int brink_control_tenant_get(struct brink_control *ctl, const char *id, struct brink_tenant *out,
			     struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_get(ctl->st, id, out, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_rotate_key(struct brink_control *ctl, const char *tenant_id, brink_key key_out,
			     struct brink_error **err)
{
	uint8_t hash[BRINK_KEY_HASH_LEN];
	control__new_key(key_out);
	control__key_hash(key_out, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_set_key(ctl->st, tenant_id, hash, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_unsubscribe(struct brink_control *ctl, const char *tenant_id,
			      struct brink_error **err)
{
	struct ctl_service *s, *tmp;
	pthread_mutex_lock(&ctl->lock);
	/* the rows first, in one transaction: if that fails nothing changed */
	int rc = brink_store_tenant_delete(ctl->st, tenant_id, err);
	if (rc == 0) {
		HASH_ITER(hh, ctl->services, s, tmp) {
			if (strcmp(s->rec.tenant_id, tenant_id) != 0)
				continue;
			HASH_DEL(ctl->services, s);
			control__service_unplace(ctl, s);
			control__service_free(s);
		}
		control__vm_tenant_gone(ctl, tenant_id);
		control__cpu_rebalance(ctl, NULL);
		if (ctl->on_unsubscribe)
			ctl->on_unsubscribe(ctl->on_unsubscribe_ctx, tenant_id);
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
