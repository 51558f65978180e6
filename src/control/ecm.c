/* The control plane's side of the ECM front end: ECM-shaped keys, the
 * tenant's ECM thing and its block of ports. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control/control-internal.h"

#define ECM_THING "ecm"

static void new_ecm_key(brink_ecm_key out)
{
	unsigned char raw[BRINK_ECM_KEY_LEN / 2]; /* 160 random bits */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, sizeof(brink_ecm_key), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

/* The first base of BRINK_ECM_BLOCK consecutive free ports; lock held. */
static int find_block(struct brink_control *ctl, int *base, struct brink_error **err)
{
	int last = ctl->cfg.ports_last - BRINK_ECM_BLOCK + 1;
	for (int b = ctl->cfg.ports_first; b <= last; b++) {
		int i = 0;
		while (i < BRINK_ECM_BLOCK && !control__port_taken(ctl, b + i))
			i++;
		if (i == BRINK_ECM_BLOCK) {
			*base = b;
			return 0;
		}
		b += i; /* b + i is taken: no block starts before it */
	}
	return brink_error_make(err, BRINK_E_CAPACITY, "no block of %d free ports left in %d-%d",
				BRINK_ECM_BLOCK, ctl->cfg.ports_first, ctl->cfg.ports_last);
}

/* Gives tenant_id its ECM thing and port block in one transaction; lock held. */
static int add_row(struct brink_control *ctl, const char *tenant_id, struct brink_ecm_tenant *out,
		   struct brink_error **err)
{
	struct brink_thing t = {.created = (int64_t)time(NULL)};
	struct brink_ecm_tenant e = {0};
	brink_key thing_key; /* never shown: the device port authenticates by tenant key */
	uint8_t hash[BRINK_KEY_HASH_LEN];
	if (find_block(ctl, &e.base_port, err) < 0)
		return -1;
	control__new_id(t.id);
	snprintf(t.tenant_id, sizeof(t.tenant_id), "%s", tenant_id);
	snprintf(t.name, sizeof(t.name), ECM_THING);
	snprintf(t.info, sizeof(t.info), "readings from the ECM device port");
	control__new_key(thing_key);
	control__key_hash(thing_key, hash);
	sodium_memzero(thing_key, sizeof(thing_key));
	snprintf(e.tenant_id, sizeof(e.tenant_id), "%s", tenant_id);
	memcpy(e.thing_id, t.id, sizeof(e.thing_id));
	if (brink_store_begin(ctl->st, err) < 0)
		return -1;
	if (brink_store_thing_insert(ctl->st, &t, hash, err) < 0 ||
	    brink_store_ecm_insert(ctl->st, &e, err) < 0 || brink_store_commit(ctl->st, err) < 0) {
		brink_store_rollback(ctl->st);
		return brink_error_wrap(err, "ECM ports");
	}
	*out = e;
	return 0;
}

int brink_control_ecm_register(struct brink_control *ctl, const char *name, brink_ecm_key key_out,
			       struct brink_ecm_tenant *out, struct brink_error **err)
{
	struct brink_tenant t = {.created = (int64_t)time(NULL)};
	uint8_t hash[BRINK_KEY_HASH_LEN];
	if (!brink_name_valid(name))
		return brink_error_make(err, BRINK_E_INVALID,
					"name must be 1-64 characters of A-Z a-z 0-9 . _ -");
	snprintf(t.name, sizeof(t.name), "%s", name);
	control__new_id(t.id);
	new_ecm_key(key_out);
	control__key_hash(key_out, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_insert(ctl->st, &t, hash, err);
	if (rc == 0 && (rc = add_row(ctl, t.id, out, err)) < 0)
		brink_store_tenant_delete(ctl->st, t.id, NULL);
	pthread_mutex_unlock(&ctl->lock);
	if (rc < 0)
		sodium_memzero(key_out, sizeof(brink_ecm_key));
	return rc;
}

int brink_control_ecm_auth(struct brink_control *ctl, const char *key, struct brink_tenant *t,
			   struct brink_ecm_tenant *out, struct brink_error **err)
{
	uint8_t hash[BRINK_KEY_HASH_LEN];
	size_t len = strlen(key);
	if (len != BRINK_ECM_KEY_LEN && len != BRINK_KEY_LEN)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED, "the key was refused");
	control__key_hash(key, hash);
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_tenant_by_key(ctl->st, hash, t, err);
	if (rc < 0 && (*err)->code == BRINK_E_NOT_FOUND)
		brink_error_make(err, BRINK_E_UNAUTHORIZED, "the key was refused");
	else if (rc == 0 && brink_store_ecm_get(ctl->st, t->id, out, err) < 0) {
		rc = -1;
		if ((*err)->code == BRINK_E_NOT_FOUND) { /* a tenant new to ECM */
			brink_error_free(err);
			rc = add_row(ctl, t->id, out, err);
		}
	}
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_ecm_get(struct brink_control *ctl, const char *tenant_id,
			  struct brink_ecm_tenant *out, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_ecm_get(ctl->st, tenant_id, out, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_ecm_list(struct brink_control *ctl,
			   int (*cb)(void *ctx, const struct brink_ecm_tenant *e), void *ctx,
			   struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_ecm_list(ctl->st, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_ecm_set_service(struct brink_control *ctl, const char *tenant_id,
				  const char *service_id, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = brink_store_ecm_set_service(ctl->st, tenant_id, service_id, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

void brink_control_on_unsubscribe(struct brink_control *ctl,
				  void (*fn)(void *ctx, const char *tenant_id), void *ctx)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->on_unsubscribe = fn;
	ctl->on_unsubscribe_ctx = ctx;
	pthread_mutex_unlock(&ctl->lock);
}
