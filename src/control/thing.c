#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control/control-internal.h"

int brink_control_thing_create(struct brink_control *ctl, const char *tenant_id, const char *name,
			       const char *info, struct brink_thing *out, brink_key key_out,
			       struct brink_error **err)
{
	struct brink_thing t = {.created = (int64_t)time(NULL)};
	uint8_t hash[BRINK_KEY_HASH_LEN], sealed[CONTROL_SEALED_LEN];
	if (!brink_name_valid(name))
		return brink_error_make(err, BRINK_E_INVALID,
					"name must be 1-64 characters of A-Z a-z 0-9 . _ -");
	if (strlen(info) > BRINK_INFO_MAX)
		return brink_error_make(err, BRINK_E_INVALID, "info is longer than %d bytes",
					BRINK_INFO_MAX);
	control__new_id(t.id);
	snprintf(t.tenant_id, sizeof(t.tenant_id), "%s", tenant_id);
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.info, sizeof(t.info), "%s", info);
	control__new_key(key_out);
	control__key_hash(key_out, hash);
	control__key_seal(ctl, key_out, sealed);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_begin(ctl->st, err);
	if (rc == 0)
		rc = brink_store_thing_insert(ctl->st, &t, hash, err);
	if (rc == 0)
		rc = brink_store_thing_set_sealed(ctl->st, t.id, sealed, sizeof(sealed), err);
	if (rc == 0)
		rc = brink_store_commit(ctl->st, err);
	if (rc < 0)
		brink_store_rollback(ctl->st);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0) {
		if ((*err)->code == BRINK_E_CONFLICT)
			brink_error_make(err, BRINK_E_CONFLICT, "you already have a thing named %s",
					 name);
		return -1;
	}
	*out = t;
	return 0;
}

int brink_control_thing_auth(struct brink_control *ctl, const char *key, struct brink_thing *out,
			     struct brink_error **err)
{
	uint8_t hash[BRINK_KEY_HASH_LEN];
	if (strlen(key) != BRINK_KEY_LEN)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "the thing key was refused");
	control__key_hash(key, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_by_key(ctl->st, hash, out, err);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0 && (*err)->code == BRINK_E_NOT_FOUND)
		brink_error_make(err, BRINK_E_UNAUTHORIZED, "the thing key was refused");
	return rc;
}

int brink_control_thing_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			    struct brink_thing *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_get(ctl->st, tenant_id, id, out, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_thing_list(struct brink_control *ctl, const char *tenant_id, brink_thing_cb cb,
			     void *ctx, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_list(ctl->st, tenant_id, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_thing_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
			       struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_thing_delete(ctl->st, tenant_id, id, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
