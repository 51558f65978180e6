#ifndef BRINK_ROUTER_INTERNAL_H
#define BRINK_ROUTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <uthash.h>
#include <uv.h>

#include "brink/wire.h"
#include "router/router.h"

struct stream_client;

#define ROUTE_QUEUE 32 /* frames of up to 64 KiB waiting for a unit */
struct brink_coap;

/* A running service as the I/O thread sees it. Freed only from the close
 * callback of its last handle (libuv ownership). */
struct route {
	uint64_t id;
	brink_id tenant;
	size_t nthings;
	brink_id *things;
	int data_fd;
	uv_poll_t poll;
	uv_tcp_t listener;
	bool listening, removed;
	bool gone; /* its unit's channel failed: readings are dropped until removal */
	int open_handles;
	struct stream_client *clients;
	unsigned handed;      /* stream clients whose socket the unit writes to */
	unsigned served;      /* authenticated stream clients brinkd writes to itself */
	bool tapped;          /* the unit sends its RESULTS (see router__route_retap) */
	uint64_t client_seq;  /* the last id given to a handed client */
	struct brink_stream_sub *subs;
	struct brink_wire_batch batch; /* RECORDS being filled, sent at the end of a loop turn */
	/* Frames the unit could not take yet, oldest first; when full the
	 * oldest is dropped (counted): a slow service loses its oldest
	 * readings, never grows memory beyond ROUTE_QUEUE frames. */
	struct {
		uint8_t *frame;
		size_t len;
		uint32_t readings; /* in it: 0 for a frame that is not RECORDS */
	} queue[ROUTE_QUEUE];
	unsigned qhead, qcount;
	bool dirty;
	uint64_t seq;
	struct route *next_dirty;
	struct brink_router *r;
	UT_hash_handle hh;
	uint8_t *out; /* BRINK_WIRE_MAX_FRAME bytes, from the first reading on (NULL before) */
	char *mqtt_topic; /* where its output is published; NULL: MQTT is off */
	char mqtt_tenant[BRINK_NAME_MAX + 1]; /* its tenant's name */
	struct mqtt_svc *mqtt_svc; /* its worker's own broker connection (ingest/mqtt-svc.c) */
	uint64_t mqtt_svc_retry_ms; /* no new one before (loop time) */
};

struct router_cmd {
	enum { CMD_ADD, CMD_REMOVE, CMD_STOP, CMD_SUB, CMD_UNSUB, CMD_CALL } kind;
	struct brink_stream_sub *sub;
	void (*fn)(uv_loop_t *loop, void *ctx); /* CALL */
	void *ctx;
	struct brink_route route; /* ADD: things copied into owned */
	brink_id *owned_things;
	struct router_cmd *next;
};

struct brink_router {
	struct brink_config cfg;
	struct brink_control *ctl;
	uv_loop_t loop;
	uv_async_t wake;
	uv_check_t flush;
	uv_tcp_t ingest;
	uv_tcp_t bootstrap;
	pthread_t thread;
	pthread_mutex_t qlock;
	struct router_cmd *queue, *queue_tail;
	struct route *routes; /* by id */
	struct route *dirty;  /* routes with records to send */
	struct brink_coap *coap; /* NULL until started */
	struct brink_mqtt_ingest *mqtt; /* NULL: MQTT is off */
	int thing_conns;         /* open TCP ingest connections */
	uint8_t in[BRINK_WIRE_MAX_FRAME]; /* RESULTS being read (the loop thread only) */
	uint64_t accept_warned_ms;
	struct {
		atomic_ullong readings, delivered_lines, dropped_batches, dropped_readings,
			refused_lines, refused_auth, connections, stream_dropped;
		atomic_ullong refused_dtls, refused_malformed;
		atomic_ullong mqtt_refused_auth, mqtt_refused_acl, mqtt_published, mqtt_dropped,
			mqtt_broker_starts, mqtt_dropped_readings;
		atomic_int mqtt_connected, mqtt_service_conns;
	} stats;
};

/* What the data plane keeps of an authenticated thing (not the whole record:
 * ten thousand connections hold one each). */
struct thing_ref {
	brink_id id;
	brink_id tenant_id;
	char name[BRINK_NAME_MAX + 1];
};

void router__thing_ref(struct thing_ref *out, const struct brink_thing *t);

/* router.c: hands one reading of a thing to every route that reads it. */
void router__publish(struct brink_router *r, const struct thing_ref *thing, uint64_t time_ns,
		     const char *json, size_t len);

/* subs.c: subscribers from other threads. */
/* lines: one or more, each ending with '\n' */
void router__subs_send(struct route *rt, const char *lines, size_t len);
void router__subs_close_all(struct route *rt);
void router__sub_attach(struct brink_router *r, struct brink_stream_sub *sub);
void router__sub_detach(struct brink_router *r, struct brink_stream_sub *sub);
void router__sub_unref(struct brink_stream_sub *sub);

/* stream.c: a service's stream port. */
/* Serves the stream port on listening socket fd (taken over, closed on failure). */
int router__stream_listen(struct route *rt, int fd);
/* lines: `count` of them, each ending with '\n' */
void router__stream_send(struct route *rt, const char *lines, size_t len, unsigned count);
void router__stream_close_all(struct route *rt);

/* ingest/tcp.c, ingest/bootstrap.c: bind and listen on the loop's handles
 * r->ingest and r->bootstrap (initialised by the router). */
int brink_ingest_tcp_start(struct brink_router *r, struct brink_error **err);
int brink_ingest_bootstrap_start(struct brink_router *r, struct brink_error **err);

/* ingest/coap.c: CoAP on ingest.bind:coap.port (UDP). start returns 0, or -1
 * with *err set and nothing left open; stop closes it from the I/O thread
 * (freed in its handles' close callbacks); safe when not started. */
int brink_ingest_coap_start(struct brink_router *r, struct brink_error **err);
void brink_ingest_coap_stop(struct brink_router *r);

/* ingest/mqtt.c: brinkd's MQTT client on the I/O thread (mqtt.enabled).
 * start makes it and starts connecting; stop closes it from the I/O thread;
 * route_added names a new route's output topic; send publishes a service's
 * lines (each ending with '\n') on it. */
struct brink_mqtt_ingest;
int brink_ingest_mqtt_start(struct brink_router *r, struct brink_error **err);
void brink_ingest_mqtt_stop(struct brink_router *r);
void router__mqtt_route_added(struct brink_router *r, struct route *rt);
void router__mqtt_send(struct route *rt, const char *lines, size_t len);
/* Whether the route's lines would be published now (someone reads them). */
bool router__mqtt_wants(const struct route *rt);
/* ingest/mqtt-svc.c: the worker's own connection to the broker. update
 * starts or ends it as the route's MQTT readers come and go (called on every
 * retap); end ends it (the route goes); publishes: the worker took over
 * the lines (brinkd publishes none); acked: the worker's MQTT frame saying
 * so; pong: brinkd's connection had a PINGRESP (the worker may publish). */
void router__mqtt_svc_update(struct route *rt);
void router__mqtt_svc_end(struct route *rt);
bool router__mqtt_svc_publishes(const struct route *rt);
void router__mqtt_svc_acked(struct route *rt, const struct brink_wire_frame *f);
void router__mqtt_svc_pong(struct brink_mqtt_ingest *m);

/* router.c: frames to the route's unit outside the batches. route_send
 * sends a frame behind any still waiting, or queues it (false: the unit is
 * gone); route_send_fd sends one with descriptor fd as SCM_RIGHTS, now or
 * not at all (-1: the channel is full or gone). */
bool router__route_send(struct route *rt, const uint8_t *frame, size_t len);
/* route_send of a frame whose payload is one u64 (TAP, CLIENT_GONE, MQTT_GO). */
bool router__route_send_u64(struct route *rt, enum brink_wire_type type, uint64_t v);
/* Tells the unit whether brinkd wants its RESULTS (a TAP frame when that
 * changed): only while brinkd itself has someone to give them to, an HTTP
 * stream, an MQTT reader or a stream client it serves. retap_all does it
 * for every route (when MQTT's readers changed). */
void router__route_retap(struct route *rt);
void router__retap_all(struct brink_router *r);
int router__route_send_fd(struct route *rt, const uint8_t *frame, size_t len, int fd);

/* Closes a handle that belongs to rt (counted in open_handles); a removed
 * route is freed after its last handle closed. */
void router__close_handle(struct route *rt, uv_handle_t *h);
/* Frees rt if it is removed and has no open handle left. */
void router__route_release(struct route *rt);

#endif
