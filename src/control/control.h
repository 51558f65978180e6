/* The control plane: tenants, things and services, their lifecycle, the CPU
 * allocator's decisions and the runtimes that carry them out. The API calls
 * only this; this calls the store, the allocator and runtime drivers.
 *
 * All functions are thread-safe (one lock). Functions that return int return
 * 0 or -1 with *err set. Functions that take a `cb` call it once per record,
 * under the lock, with borrowed records (render them, do not keep them). */
#ifndef BRINK_CONTROL_H
#define BRINK_CONTROL_H

#include "brink/error.h"
#include "brink/model.h"
#include "core/config.h"
#include "store/store.h"

struct brink_control;

/* A secret shown once: 32 characters of base64url (192 random bits). */
#define BRINK_KEY_LEN 32
typedef char brink_key[BRINK_KEY_LEN + 1];

/* What a service looks like to a reader: the record plus live figures. */
/* A reader's rendering of a service's spec, which never changes after
 * creation: the reader may fill it once (malloc'd text) and reuse it; it is
 * freed with the service. Used under the control plane's lock only. */
struct brink_spec_cache {
	char *text;
	size_t len;
};

struct brink_service_view {
	const struct brink_service_rec *rec;
	double assigned; /* cores now; 0 when not running */
	int pid;         /* the unit's main process, 0 if none */
	double worker_cpu;
	struct brink_spec_cache *cache;
	/* an analyze worker's counters (detail views of running services) */
	bool has_stats;
	uint64_t readings, results, skipped_missing, skipped_bad;
	/* the last lines of its latest preparation (an image pull), each ending
	 * in '\n', "" if none; progress_seq counts every line it ever had, so a
	 * reader that polls can tell which lines are new */
	const char *progress;
	unsigned progress_seq;
	bool has_usage;       /* the runtime reported usage (detail views only) */
	uint64_t cpu_usage_ns, memory_bytes, net_rx_bytes, net_tx_bytes;
};

typedef void (*brink_service_cb)(void *ctx, const struct brink_service_view *v);
typedef int (*brink_thing_cb)(void *ctx, const struct brink_thing *t);

struct brink_system {
	double capacity, assigned, sum_min;
	int64_t tenants;
	size_t services;
	size_t by_state[BRINK_STATE_FAILED + 1];
	size_t nruntimes;
	struct {
		const char *name;
		bool available;
		const char *reason;
	} runtimes[8];
};

/* Creates the control plane over an open store (borrowed; must outlive it). */
int brink_control_new(const struct brink_config *cfg, struct brink_store *st,
		      struct brink_control **out, struct brink_error **err);
struct brink_router;
/* Gives the control plane the data plane to tell about running services
 * (borrowed; call before brink_control_start). */
void brink_control_set_router(struct brink_control *ctl, struct brink_router *r);
/* Reconciles with reality: reaps what earlier runs left, then starts every
 * service whose desired state is running. */
int brink_control_start(struct brink_control *ctl, struct brink_error **err);
/* Stops every unit (their desired state stays stored) and frees everything. */
void brink_control_free(struct brink_control *ctl);
/* Applies the reloadable keys of cfg (capacity, defaults). */
int brink_control_reload(struct brink_control *ctl, const struct brink_config *cfg,
			 struct brink_error **err);

/* Tenants. register: CONFLICT when the name is taken; key_out gets the key. */
int brink_control_register(struct brink_control *ctl, const char *name, const char *password,
			   struct brink_tenant *out, brink_key key_out, struct brink_error **err);
/* UNAUTHORIZED unless key is a current key of some tenant. */
int brink_control_auth(struct brink_control *ctl, const char *key, struct brink_tenant *out,
		       struct brink_error **err);
/* The tenant with this id (the MQTT side names tenants in topics). */
int brink_control_tenant_get(struct brink_control *ctl, const char *id, struct brink_tenant *out,
			     struct brink_error **err);
int brink_control_rotate_key(struct brink_control *ctl, const char *tenant_id, brink_key key_out,
			     struct brink_error **err);
/* Stops and removes every service of the tenant, then deletes it with its
 * keys, things and services in one transaction. */
int brink_control_unsubscribe(struct brink_control *ctl, const char *tenant_id,
			      struct brink_error **err);

/* The thing whose key this is (any tenant); UNAUTHORIZED otherwise. */
int brink_control_thing_auth(struct brink_control *ctl, const char *key, struct brink_thing *out,
			     struct brink_error **err);

/* Things, scoped by tenant. */
int brink_control_thing_create(struct brink_control *ctl, const char *tenant_id, const char *name,
			       const char *info, struct brink_thing *out, brink_key key_out,
			       struct brink_error **err);
int brink_control_thing_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			    struct brink_thing *out, struct brink_error **err);
int brink_control_thing_list(struct brink_control *ctl, const char *tenant_id, brink_thing_cb cb,
			     void *ctx, struct brink_error **err);
int brink_control_thing_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
			       struct brink_error **err);

/* Thing keys for DTLS (psk.c). A thing's key is kept hashed for every
 * check and also sealed (libsodium secretbox, XChaCha20-Poly1305) under the
 * gateway master key in data_dir/master.key (0600, made on first start), so
 * that a DTLS server can hand it to the handshake as the PSK. */

/* Gives the tenant's thing a new key (shown once in key_out): the old one
 * stops working at once on every ingest. NOT_FOUND for another tenant's id. */
int brink_control_thing_rekey(struct brink_control *ctl, const char *tenant_id, const char *id,
			      struct brink_thing *out, brink_key key_out, struct brink_error **err);
/* The key of the thing thing_name of the tenant tenant_name (psk gets it,
 * NUL-terminated). NOT_FOUND when there is no such thing, CONFLICT when it
 * has no sealed key (made before keys were sealed, or could not be opened:
 * the message says which). */
int brink_control_thing_psk(struct brink_control *ctl, const char *tenant_name,
			    const char *thing_name, struct brink_thing *out, brink_key psk,
			    struct brink_error **err);

/* The thing's DTLS-PSK identity, "<tenant name>/<thing name>", in out. */
int brink_control_thing_identity(struct brink_control *ctl, const struct brink_thing *t,
				 char *out, size_t size, struct brink_error **err);

/* Services, scoped by tenant. create takes ownership of spec's arrays (the
 * spec is emptied) whether it succeeds or not. */
int brink_control_service_create(struct brink_control *ctl, const char *tenant_id,
				 struct brink_spec *spec, brink_service_cb cb, void *ctx,
				 struct brink_error **err);
int brink_control_service_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			      brink_service_cb cb, void *ctx, struct brink_error **err);
int brink_control_service_list(struct brink_control *ctl, const char *tenant_id,
			       brink_service_cb cb, void *ctx, struct brink_error **err);
int brink_control_service_stop(struct brink_control *ctl, const char *tenant_id, const char *id,
			       brink_service_cb cb, void *ctx, struct brink_error **err);
int brink_control_service_start(struct brink_control *ctl, const char *tenant_id, const char *id,
				brink_service_cb cb, void *ctx, struct brink_error **err);
int brink_control_service_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
				 struct brink_error **err);
/* A service whose runtime must prepare first (kind custom on docker: the
 * image pull) comes back from create in state pending, with its host ports
 * already given; it becomes running or failed (with the reason) on its own.
 * This waits until it is no longer pending or timeout_ms passed, then calls
 * cb once with it as it is (still pending on timeout). NOT_FOUND as get. */
int brink_control_service_wait(struct brink_control *ctl, const char *tenant_id, const char *id,
			       unsigned timeout_ms, brink_service_cb cb, void *ctx,
			       struct brink_error **err);

/* Models, scoped by tenant (another tenant's id is NOT_FOUND). add checks
 * the file (format "h5" or "rules") in a sandboxed brink-worker, then stores
 * it: INVALID with the checker's message when refused (nothing stored),
 * TOO_LARGE over models.max_bytes, CONFLICT when the name is taken,
 * UNAVAILABLE without the sandbox runtime. delete: CONFLICT while one of the
 * tenant's services uses the model. list calls cb with borrowed records. */
int brink_control_model_add(struct brink_control *ctl, const char *tenant_id, const char *name,
			    const char *format, const void *data, size_t len,
			    struct brink_model_rec *out, struct brink_error **err);
int brink_control_model_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			    struct brink_model_rec *out, struct brink_error **err);
int brink_control_model_list(struct brink_control *ctl, const char *tenant_id,
			     int (*cb)(void *ctx, const struct brink_model_rec *m), void *ctx,
			     struct brink_error **err);
int brink_control_model_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
			       struct brink_error **err);
/* models.max_bytes as it is now. */
size_t brink_control_model_max_bytes(struct brink_control *ctl);

/* Figures for /v1/system and /metrics. */
int brink_control_system(struct brink_control *ctl, struct brink_system *out,
			 struct brink_error **err);

/* The ECM front end (control/ecm.c). ECM's keys are 40 lowercase hex
 * characters; brink's are random too (160 bits), stored hashed like every key. */
#define BRINK_ECM_KEY_LEN 40
typedef char brink_ecm_key[BRINK_ECM_KEY_LEN + 1];
/* Registers tenant `name` with an ECM key, its ECM thing ("ecm") and a block
 * of BRINK_ECM_BLOCK ports from ports.first..ports.last. CONFLICT when the
 * name is taken, CAPACITY when no block is free; nothing is left on failure. */
int brink_control_ecm_register(struct brink_control *ctl, const char *name, brink_ecm_key key_out,
			       struct brink_ecm_tenant *out, struct brink_error **err);
/* The tenant whose key (an ECM key or a brink key) this is, with its ECM
 * row, made at once for a tenant who never used ECM. UNAUTHORIZED otherwise. */
int brink_control_ecm_auth(struct brink_control *ctl, const char *key, struct brink_tenant *t,
			   struct brink_ecm_tenant *out, struct brink_error **err);
/* The ECM row of a tenant (NOT_FOUND when none); every row, to cb. */
int brink_control_ecm_get(struct brink_control *ctl, const char *tenant_id,
			  struct brink_ecm_tenant *out, struct brink_error **err);
int brink_control_ecm_list(struct brink_control *ctl,
			   int (*cb)(void *ctx, const struct brink_ecm_tenant *e), void *ctx,
			   struct brink_error **err);
/* fn(ctx, tenant_id) is called, under the control plane's lock, after
 * every unsubscribe (fn must not call the control plane); NULL: none. */
void brink_control_on_unsubscribe(struct brink_control *ctl,
				  void (*fn)(void *ctx, const char *tenant_id), void *ctx);
/* Records which service the tenant's ECM listening port serves. */
int brink_control_ecm_set_service(struct brink_control *ctl, const char *tenant_id,
				  const char *service_id, struct brink_error **err);

#endif
