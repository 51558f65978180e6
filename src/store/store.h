/* The durable store: SQLite in WAL mode with synchronous=FULL, numbered
 * migrations, every statement prepared once. The only user of sqlite3.h.
 *
 * A function returning int returns 0 on success and -1 with *err set
 * (BRINK_E_NOT_FOUND, BRINK_E_CONFLICT, BRINK_E_INTERNAL). When a function
 * returns, its change is durable (committed and synced) unless it runs inside
 * brink_store_begin()/commit(). Not thread-safe: the control plane serialises. */
#ifndef BRINK_STORE_H
#define BRINK_STORE_H

#include <stdint.h>

#include "brink/error.h"
#include "brink/model.h"

struct brink_store;

/* Opens (creating and migrating) the database at `path`. */
int brink_store_open(const char *path, struct brink_store **out, struct brink_error **err);
void brink_store_close(struct brink_store *st);

/* The schema version after migration. */
int brink_store_version(struct brink_store *st);

/* A transaction around several changes; rollback is safe after a failure. */
int brink_store_begin(struct brink_store *st, struct brink_error **err);
int brink_store_commit(struct brink_store *st, struct brink_error **err);
void brink_store_rollback(struct brink_store *st);

/* Tenants. Keys are stored only as hashes. insert: CONFLICT when the name is
 * taken. by_key: NOT_FOUND for an unknown key. delete removes the tenant with
 * its keys, things and service rows. */
int brink_store_tenant_insert(struct brink_store *st, const struct brink_tenant *t,
			      const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err);
int brink_store_tenant_get(struct brink_store *st, const char *id, struct brink_tenant *out,
			   struct brink_error **err);
int brink_store_tenant_by_key(struct brink_store *st, const uint8_t key_hash[BRINK_KEY_HASH_LEN],
			      struct brink_tenant *out, struct brink_error **err);
int brink_store_tenant_set_key(struct brink_store *st, const char *id,
			       const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err);
int brink_store_tenant_delete(struct brink_store *st, const char *id, struct brink_error **err);
int brink_store_tenant_count(struct brink_store *st, int64_t *out, struct brink_error **err);
/* tenant_lookup.c: by_name gives NOT_FOUND for an unknown name; list calls
 * cb for every tenant (creation order), stopping at a non-zero return. */
int brink_store_tenant_by_name(struct brink_store *st, const char *name, struct brink_tenant *out,
			       struct brink_error **err);
int brink_store_tenant_list(struct brink_store *st,
			    int (*cb)(void *ctx, const struct brink_tenant *t), void *ctx,
			    struct brink_error **err);

/* Things, always scoped by tenant: another tenant's id is NOT_FOUND. */
int brink_store_thing_insert(struct brink_store *st, const struct brink_thing *t,
			     const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err);
int brink_store_thing_get(struct brink_store *st, const char *tenant_id, const char *id,
			  struct brink_thing *out, struct brink_error **err);
/* The thing whose key hashes to key_hash (any tenant); NOT_FOUND otherwise. */
int brink_store_thing_by_key(struct brink_store *st, const uint8_t key_hash[BRINK_KEY_HASH_LEN],
			     struct brink_thing *out, struct brink_error **err);
/* Calls cb for each of the tenant's things in creation order; a non-zero
 * return from cb stops the walk and is returned. */
int brink_store_thing_list(struct brink_store *st, const char *tenant_id,
			   int (*cb)(void *ctx, const struct brink_thing *t), void *ctx,
			   struct brink_error **err);
int brink_store_thing_delete(struct brink_store *st, const char *tenant_id, const char *id,
			     struct brink_error **err);

/* Services. */
int brink_store_service_insert(struct brink_store *st, const struct brink_service_rec *s,
			       struct brink_error **err);
int brink_store_service_set_state(struct brink_store *st, const char *id, bool desired_running,
				  enum brink_state state, const char *reason,
				  struct brink_error **err);
int brink_store_service_delete(struct brink_store *st, const char *id, struct brink_error **err);
/* Calls cb for every service (all tenants) in creation order; the record is
 * borrowed for the call. */
int brink_store_service_load(struct brink_store *st,
			     int (*cb)(void *ctx, const struct brink_service_rec *s), void *ctx,
			     struct brink_error **err);

#endif
