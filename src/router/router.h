/* The data plane: one I/O thread with a libuv loop that takes readings from
 * things (TCP ingest), hands each to every running service of the thing's
 * tenant that reads it (batched RECORDS frames on the unit's data channel),
 * and streams what the services send back (RESULTS) to the tenant's clients
 * on each service's stream port.
 *
 * The control plane tells the router about services asynchronously: calls
 * post a command to the I/O thread and return at once, so the control plane
 * never waits for it (the I/O thread takes the control plane's lock to check
 * keys). The router keeps its own duplicate of a data channel, so stopping a
 * unit never pulls a descriptor from under it. */
#ifndef BRINK_ROUTER_H
#define BRINK_ROUTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "brink/error.h"
#include "brink/model.h"
#include "control/control.h"
#include "core/config.h"

struct brink_router;

struct brink_route {
	uint64_t service;
	brink_id tenant;
	int data_fd;     /* duplicated by the router */
	int stream_fd;   /* a listening socket for the stream port (taken over), -1: none */
	size_t nthings;  /* 0: every thing of the tenant */
	const brink_id *things;
};

/* Counters for /metrics. */
struct brink_router_stats {
	uint64_t readings, delivered_lines, dropped_batches, refused_lines, refused_auth,
		connections;
	uint64_t dropped_readings; /* in the batches dropped */
	uint64_t refused_dtls; /* CoAP DTLS handshakes that failed */
	uint64_t refused_malformed; /* CoAP datagrams libcoap dropped or refused itself */
	uint64_t stream_dropped; /* lines stream-port clients were too slow to take */
	uint64_t mqtt_refused_auth, mqtt_refused_acl, mqtt_published, mqtt_dropped,
		mqtt_broker_starts;
	uint64_t mqtt_dropped_readings; /* readings the broker's plugin could not give brinkd */
	bool mqtt_connected;
	int mqtt_service_conns; /* services whose worker publishes on its own connection */
};

/* Starts the I/O thread and the TCP ingest listener (ingest.bind,
 * ingest.tcp.port). ctl is borrowed and must outlive the router. */
int brink_router_start(const struct brink_config *cfg, struct brink_control *ctl,
		       struct brink_router **out, struct brink_error **err);
/* Stops the thread, closes every connection, frees. Safe on NULL. */
void brink_router_stop(struct brink_router *r);

/* Opens the listening socket of a stream port on `bind`, at once, so the
 * port answers before the service's creation is acknowledged. Returns the
 * socket, or -errno. Thread-safe (touches no router state). */
int brink_router_listen(const char *bind, int port);

/* Posts: a service is running (route is copied; its stream_fd is taken
 * over) / is no longer. */
void brink_router_add(struct brink_router *r, const struct brink_route *route);
void brink_router_remove(struct brink_router *r, uint64_t service);

void brink_router_stats(struct brink_router *r, struct brink_router_stats *out);

/* A subscriber to a service's output from another thread (an HTTP stream):
 * the I/O thread appends each line, formatted by `format`, to its bounded
 * buffer (dropping lines when it is full) and calls notify(ctx); when the
 * service goes away it sets `closed` and calls notify too. notify is called
 * with `lock` held, and never after brink_stream_sub_release(); readers take
 * `lock` around the buffer. Create with brink_router_subscribe(); release
 * your side with brink_stream_sub_release() (the router releases its own). */
struct brink_stream_sub {
	pthread_mutex_t lock;
	char *buf;
	size_t len, cap;
	bool closed;
	bool released; /* the subscriber let go: notify no more */
	uint64_t dropped;
	void (*notify)(void *ctx);
	void *ctx;
	/* writes one line into out[0..cap) as the subscriber wants it; returns its length */
	size_t (*format)(const char *line, size_t len, char *out, size_t cap);
	atomic_int refs;
	uint64_t service;
	struct brink_stream_sub *next; /* the router's list */
};

/* Creates a subscriber for `service` (which must be the tenant's; the
 * caller checked) with a buffer of cap bytes. Returns NULL when out of memory. */
struct brink_stream_sub *brink_router_subscribe(struct brink_router *r, uint64_t service,
						size_t cap,
						size_t (*format)(const char *, size_t, char *,
								 size_t),
						void (*notify)(void *), void *ctx);
/* Drops the caller's reference (and asks the router to drop its own). */
void brink_stream_sub_release(struct brink_router *r, struct brink_stream_sub *sub);

/* Runs fn(loop, ctx) once on the I/O thread, after every command posted
 * before it (e.g. a brink_router_subscribe()): how code outside the router
 * serves a socket on the I/O thread without a thread of its own (the API's
 * WebSocket clients). ctx is the caller's. Handles fn opens on loop must all
 * be closed before brink_router_stop(), whose loop ends only when none is
 * left. Returns 0, or -1 when out of memory (fn is then never called). */
struct uv_loop_s;
int brink_router_call(struct brink_router *r, void (*fn)(struct uv_loop_s *loop, void *ctx),
		      void *ctx);

/* Hands the router brinkd's end of a new Mosquitto plugin channel (fd, a
 * connected stream socket, taken over; mqtt/broker.c makes one per broker
 * start). Thread-safe. */
void brink_router_mqtt_channel(struct brink_router *r, int fd);

#endif
