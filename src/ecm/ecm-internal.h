#ifndef BRINK_ECM_INTERNAL_H
#define BRINK_ECM_INTERNAL_H

#include <pthread.h>
#include <uthash.h>
#include <uv.h>

#include "ecm/ecm.h"
#include "ecm/request.h"

#define ECM_MAX_CONNS 1024     /* request connections at once; more are closed at once */
#define ECM_CONSUMER_BUF (1u << 20)
#define ECM_LINGER_MS 1000 /* after a reply, until the client closes */
#define ECM_PENDING_POLL_MS 100
#define ECM_PENDING_MAX_MS (10 * 60 * 1000) /* an image pull, at most */

struct ecm_conn;

/* One tenant's device port (base) and listening port (base + 1). */
struct ecm_tport {
	brink_id tenant_id;
	brink_id thing_id;
	int base;
	uv_tcp_t device, listening;
	int handles;
	bool closing;
	struct brink_ecm *ecm;
	UT_hash_handle hh;
};

struct brink_ecm {
	struct brink_config cfg;
	struct brink_control *ctl;
	struct brink_router *router;
	uv_loop_t *loop;
	uv_tcp_t listeners[ECM_VERB_COUNT];
	bool listening[ECM_VERB_COUNT];
	struct ecm_tport *tports; /* by tenant id */
	struct ecm_conn *conns;   /* request connections, for closing them all */
	struct ecm_peer *peers;   /* device and consumer connections */
	int nconns;
	int npeers; /* at most ingest.max_connections */
	int handles; /* every open handle of ours, so stop can wait for none */
	bool stopping;
	pthread_mutex_t lock; /* start and stop wait on cond */
	pthread_cond_t cond;
	bool done;
	struct brink_error *start_err;
};

/* A request connection on one of ECM's service ports. */
struct ecm_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct brink_ecm *ecm;
	enum ecm_verb verb;
	int handles;
	bool closing, replied, model_phase, draining, dispatched;
	uv_shutdown_t shutdown;
	size_t len;
	char buf[ECM_REQUEST_MAX + 2]; /* one byte past the limit, and a NUL */
	struct ecm_request req;
	brink_id tenant_id; /* analysis: whom the model is for */
	uint8_t *model;
	size_t model_len, model_cap;
	uint64_t model_size; /* 0 until the superblock is in */
	brink_id pending; /* a service whose runtime is preparing it (an image pull) */
	uint64_t pending_since;
	void (*ready)(struct ecm_conn *c, const void *svc); /* then: the reply */
	brink_id model_id; /* analysis: the model stored for it, dropped if it fails */
	struct ecm_conn *prev, *next;
};

/* A device (sensor) or consumer connection on a tenant's port. */
struct ecm_peer {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct brink_ecm *ecm;
	bool consumer, closing, authed, writing, sub_closed;
	int handles;
	brink_id tenant_id;
	brink_id thing_id;
	char key[ECM_KEY_MAX + 1];
	size_t len;
	struct ecm_scan scan;
	struct brink_stream_sub *sub; /* consumer: the service's output */
	char buf[ECM_OBJECT_MAX + 1];
	struct ecm_peer *prev, *next;
};

/* server.c */
void ecm__handle_closed(struct brink_ecm *ecm);
/* Sends ECM's reply; the connection closes once it is written. */
void ecm__reply(struct ecm_conn *c, bool ok, const char *fmt, ...) BRINK_PRINTF(3, 4);
/* Sends raw bytes and keeps the connection (the analysis "model" prompt). */
void ecm__send_raw(struct ecm_conn *c, const char *data, size_t len);
void ecm__conn_close(struct ecm_conn *c);

/* tenants.c: a tenant's device and listening ports (idempotent open). */
int ecm__tenant_open(struct brink_ecm *ecm, const struct brink_ecm_tenant *e,
		     struct brink_error **err);
void ecm__tenant_close(struct brink_ecm *ecm, const char *tenant_id);
void ecm__tenants_close_all(struct brink_ecm *ecm);

/* device.c, consumer.c: connections on those ports. */
void ecm__device_accept(struct ecm_tport *tp, uv_stream_t *server);
void ecm__consumer_accept(struct ecm_tport *tp, uv_stream_t *server);
void ecm__peer_close(struct ecm_peer *p);

/* verbs: each answers the request with ecm__reply (exactly once). */
/* The tenant whose key the request carries (and its ports open), or -1
 * after replying ECM's unknown-key error. */
int ecm__auth(struct ecm_conn *c, const char *key, struct brink_tenant *t,
	      struct brink_ecm_tenant *e);
/* ECM's service number of a brink service id (63 bits of it). */
int64_t ecm__number(const char *service_id);
/* Replies ECM's error for a control-plane failure of `what`. */
void ecm__reply_error(struct ecm_conn *c, const struct brink_error *err);

void ecm__verb_register(struct ecm_conn *c);
void ecm__verb_bootstrap(struct ecm_conn *c, const char *key);
void ecm__verb_listening(struct ecm_conn *c);
void ecm__verb_analysis(struct ecm_conn *c);
void ecm__analysis_model_in(struct ecm_conn *c); /* more model bytes arrived */
void ecm__verb_custom(struct ecm_conn *c);
void ecm__verb_info(struct ecm_conn *c);
void ecm__verb_stop(struct ecm_conn *c);
void ecm__verb_remove(struct ecm_conn *c);
void ecm__verb_unsubscribe(struct ecm_conn *c);

#endif
