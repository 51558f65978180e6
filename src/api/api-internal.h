#ifndef BRINK_API_INTERNAL_H
#define BRINK_API_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>

#include "api/api.h"
#include "api/jsonw.h"

#define API_LATENCY_BUCKETS 14

struct api_metrics {
	atomic_ullong requests;
	atomic_ullong by_class[6]; /* 1xx..5xx */
	atomic_ullong bucket[API_LATENCY_BUCKETS + 1]; /* last: +Inf */
	atomic_ullong sum_ns;
};

struct api_ws_set;
struct api_sessions;

struct brink_api {
	struct MHD_Daemon *mhd;
	struct api_ws_set *ws; /* open WebSockets (websocket.c) */
	struct brink_control *ctl;
	struct brink_router *router;
	int ingest_port;
	int coap_port, coap_dtls_port; /* bootstrap.c (dtls 0: off) */
	int mqtt_port; /* 0: MQTT is off */
	atomic_size_t max_body;
	atomic_size_t max_model; /* POST /v1/models bodies (models.max_bytes) */
	struct api_metrics metrics;
	struct api_sessions *sessions; /* session.c */
	char admin_tenant[65];         /* admin.tenant */
	atomic_int gql_max_depth, gql_max_cost;
};

struct api_request {
	struct brink_api *api;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const char *param; /* the {id} of the route, NUL-terminated copy below */
	char param_buf[64];
	char *body;
	size_t body_len;
	bool body_too_large;
	struct brink_tenant tenant; /* set for authenticated routes */
	uint64_t start_ns;
	/* the reply */
	unsigned status;
	char *reply; /* malloc'd */
	size_t reply_len;
	const char *content_type;
	struct MHD_Response *custom; /* a prepared response (streams), sent as is */
	uint64_t stream_service;     /* a WebSocket upgrade: the service it streams */
	char set_cookie[160];        /* a Set-Cookie header for the reply, "" none */
	bool page;                   /* the console: send its security headers */
};

typedef void (*api_handler)(struct api_request *rq);

/* routes.c: finds and runs the route for rq (auth included). */
void api__dispatch(struct api_request *rq);

/* reply.c */
void api__reply_json(struct api_request *rq, unsigned status, json_t *body); /* steals body */
void api__reply_text(struct api_request *rq, unsigned status, const char *type, char *text,
		     size_t len); /* steals text */
void api__reply_error(struct api_request *rq, const struct brink_error *err);
void api__reply_errorf(struct api_request *rq, unsigned status, const char *code, const char *fmt,
		       ...) BRINK_PRINTF(4, 5);
void api__reply_no_content(struct api_request *rq);

/* render.c: model records as JSON (new references). */
json_t *api__tenant_json(const struct brink_tenant *t);
json_t *api__thing_json(const struct brink_thing *t);
/* Services are written as text directly (see jsonw.h for why). */
void api__service_write(struct jsonw *w, const struct brink_service_view *v);
struct api_service_list {
	struct jsonw w;
	size_t n;
};
/* A brink_service_cb that appends the service to the api_service_list ctx. */
void api__service_append(void *ctx, const struct brink_service_view *v);
/* A brink_service_cb that writes the service as one object into the jsonw ctx. */
void api__service_set(void *ctx, const struct brink_service_view *v);
/* Replies with the text of w (status, or 500 when it ran out of memory). */
void api__reply_jsonw(struct api_request *rq, unsigned status, struct jsonw *w);

/* metrics.c */
void api__metrics_record(struct api_metrics *m, unsigned status, uint64_t elapsed_ns);
void api__metrics_handler(struct api_request *rq);

/* handlers, one file per resource */
void api__tenant_create(struct api_request *rq);
void api__tenant_get(struct api_request *rq);
void api__tenant_delete(struct api_request *rq);
void api__tenant_rotate_key(struct api_request *rq);
void api__thing_rekey(struct api_request *rq);
void api__thing_create(struct api_request *rq);
void api__thing_list(struct api_request *rq);
void api__thing_get(struct api_request *rq);
void api__thing_delete(struct api_request *rq);
void api__service_create(struct api_request *rq);
void api__service_list(struct api_request *rq);
void api__service_get(struct api_request *rq);
void api__service_delete(struct api_request *rq);
void api__service_stop(struct api_request *rq);
void api__service_start(struct api_request *rq);
void api__service_stream(struct api_request *rq);
void api__system_get(struct api_request *rq);
void api__model_create(struct api_request *rq);
void api__model_list(struct api_request *rq);
void api__model_get(struct api_request *rq);
void api__model_delete(struct api_request *rq);
/* The body limit of rq: the model limit for an upload, else api.max_body. */
size_t api__body_limit(const struct api_request *rq);
void api__healthz(struct api_request *rq);
void api__bootstrap(struct api_request *rq);

/* vms.c: VMs and USB devices */
void api__vm_create(struct api_request *rq);
void api__vm_list(struct api_request *rq);
void api__vm_get(struct api_request *rq);
void api__vm_update(struct api_request *rq);
void api__vm_delete(struct api_request *rq);
void api__vm_start(struct api_request *rq);
void api__vm_stop(struct api_request *rq);
void api__vm_off(struct api_request *rq);
void api__vm_things(struct api_request *rq);
void api__vm_thing_create(struct api_request *rq);
void api__vm_thing_attach(struct api_request *rq);
void api__usb_list(struct api_request *rq);
void api__usb_attach(struct api_request *rq);
void api__usb_detach(struct api_request *rq);

uint64_t api__now_ns(void);

/* session.c (see there). init: 0 or -1 out of memory. open: a gql
 * open_session callback (ctx: the api). auth: UNAUTHORIZED unless token is a
 * live session. cookie_token: the brink_session cookie or NULL. */
int api__sessions_init(struct brink_api *api, const struct brink_config *cfg);
void api__sessions_reload(struct brink_api *api, const struct brink_config *cfg);
void api__sessions_free(struct brink_api *api);
int api__session_open(void *ctx, const struct brink_tenant *t, char *token, size_t len);
bool api__is_session_token(const char *token);
int api__session_auth(struct brink_api *api, const char *token, struct brink_tenant *out,
		      struct brink_error **err);
const char *api__cookie_token(struct api_request *rq);
void api__session_create(struct api_request *rq);
void api__session_delete(struct api_request *rq);
void api__session_get(struct api_request *rq);
/* routes.c: the caller of rq from its bearer key or token, or (when
 * allow_cookie) its session cookie. 1 authenticated, 0 no credentials,
 * -1 refused (*err set). */
int api__identify(struct api_request *rq, bool allow_cookie, struct brink_error **err);
/* graphql.c: POST and GET /graphql. console.c: the web console. */
void api__graphql(struct api_request *rq);
void api__console(struct api_request *rq);

/* websocket.c: GET /v1/services/{id}/stream as a WebSocket (see there).
 * wanted: the request asks for "Upgrade: websocket". upgrade: checks the
 * handshake headers and prepares the 101 (or a 400) for the running service
 * `service` of rq's tenant (the caller checked). init: 0, or -1 when out of
 * memory. stop: closes every open WebSocket and waits for them (at most a few
 * seconds); call it before MHD_stop_daemon(), with the router still running.
 * free: after MHD_stop_daemon(); safe when init failed. */
bool api__ws_wanted(struct api_request *rq);
void api__ws_upgrade(struct api_request *rq, uint64_t service);
int api__ws_init(struct brink_api *api);
void api__ws_stop(struct brink_api *api);
/* stream.c: ends every SSE stream (resuming the suspended ones), so that
 * libmicrohttpd can stop. */
void api__sse_stop(void);
void api__ws_free(struct brink_api *api);

#endif
