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

/* Gives back the memory SQLite caches (pages, statements' scratch); it
 * fills again with use. */
void brink_store_release_memory(struct brink_store *st);

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

/* Thing keys sealed for DTLS (thing_key.c): an opaque blob of at most
 * BRINK_SEALED_MAX bytes the control plane makes and opens. */
#define BRINK_SEALED_MAX 128
/* Stores the sealed key of thing id; NOT_FOUND when there is no such thing. */
int brink_store_thing_set_sealed(struct brink_store *st, const char *id, const uint8_t *sealed,
				 size_t len, struct brink_error **err);
/* Replaces the tenant's thing's key hash and sealed key; NOT_FOUND when the
 * tenant has no thing with that id. */
int brink_store_thing_rekey(struct brink_store *st, const char *tenant_id, const char *id,
			    const uint8_t key_hash[BRINK_KEY_HASH_LEN], const uint8_t *sealed,
			    size_t len, struct brink_error **err);
/* The thing named thing_name of the tenant named tenant_name, with its sealed
 * key in sealed[0..*len) (*len 0: none stored); NOT_FOUND otherwise. */
int brink_store_thing_by_names(struct brink_store *st, const char *tenant_name,
			       const char *thing_name, struct brink_thing *out,
			       uint8_t sealed[BRINK_SEALED_MAX], size_t *len,
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

/* Models, scoped by tenant: another tenant's id is NOT_FOUND. insert:
 * CONFLICT when the tenant has a model of that name. data: *out gets a
 * malloc'd copy of the file (caller frees), *len its size. */
int brink_store_model_insert(struct brink_store *st, const struct brink_model_rec *m,
			     const void *data, size_t len, struct brink_error **err);
int brink_store_model_get(struct brink_store *st, const char *tenant_id, const char *id,
			  struct brink_model_rec *out, struct brink_error **err);
int brink_store_model_data(struct brink_store *st, const char *tenant_id, const char *id,
			   void **out, size_t *len, struct brink_error **err);
/* The bytes a service worker loads: the model's compiled image when it has
 * one (*compiled true), else its file. *out is malloc'd (caller frees).
 * NOT_FOUND as brink_store_model_data. */
int brink_store_model_start_data(struct brink_store *st, const char *tenant_id, const char *id,
				 void **out, size_t *len, bool *compiled, struct brink_error **err);
/* Stores the compiled image of model id (bytes the check wrote: untrusted,
 * loaded only by brink-worker). NOT_FOUND when there is no such model. */
int brink_store_model_set_image(struct brink_store *st, const char *tenant_id, const char *id,
				const void *image, size_t len, struct brink_error **err);
/* Calls cb for each of the tenant's models in creation order (the record is
 * borrowed for the call); a non-zero return from cb stops and is returned. */
int brink_store_model_list(struct brink_store *st, const char *tenant_id,
			   int (*cb)(void *ctx, const struct brink_model_rec *m), void *ctx,
			   struct brink_error **err);
int brink_store_model_delete(struct brink_store *st, const char *tenant_id, const char *id,
			     struct brink_error **err);
/* The ECM front end's tenants (store/ecm.c): a block of BRINK_ECM_BLOCK ports
 * from base_port, the tenant's ECM thing and the service its ECM listening
 * port serves ("" when none). Rows go with their tenant. get: NOT_FOUND when
 * the tenant has none; insert: CONFLICT when the tenant or the base is taken;
 * list calls cb for each row (a non-zero return stops and is returned). */
#define BRINK_ECM_BLOCK 10
struct brink_ecm_tenant {
	brink_id tenant_id;
	int base_port;
	brink_id thing_id;
	brink_id data_service;
};
int brink_store_ecm_insert(struct brink_store *st, const struct brink_ecm_tenant *e,
			   struct brink_error **err);
int brink_store_ecm_get(struct brink_store *st, const char *tenant_id,
			struct brink_ecm_tenant *out, struct brink_error **err);
int brink_store_ecm_list(struct brink_store *st,
			 int (*cb)(void *ctx, const struct brink_ecm_tenant *e), void *ctx,
			 struct brink_error **err);
int brink_store_ecm_set_service(struct brink_store *st, const char *tenant_id,
				const char *service_id, struct brink_error **err);
/* Whether port lies in some tenant's ECM block (false when the store fails). */
bool brink_store_ecm_port_taken(struct brink_store *st, int port);

#endif
