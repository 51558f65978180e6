#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "router/router-internal.h"

/* ---- routes ---- */

static void on_results(uv_poll_t *h, int status, int events);

static void queue_free(struct route *rt)
{
	for (; rt->qcount; rt->qcount--, rt->qhead = (rt->qhead + 1) % ROUTE_QUEUE)
		free(rt->queue[rt->qhead].frame);
}

void router__route_release(struct route *rt)
{
	if (!rt->removed || rt->open_handles > 0)
		return;
	if (rt->data_fd >= 0)
		close(rt->data_fd);
	queue_free(rt);
	free(rt->out);
	free(rt->mqtt_topic);
	free(rt->things);
	free(rt);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct route *rt = h->data;
	rt->open_handles--;
	router__route_release(rt);
}

void router__close_handle(struct route *rt, uv_handle_t *h)
{
	h->data = rt;
	uv_close(h, on_handle_closed);
}

static bool route_reads(const struct route *rt, const char *thing_id)
{
	if (rt->nthings == 0)
		return true;
	for (size_t i = 0; i < rt->nthings; i++)
		if (memcmp(rt->things[i], thing_id, sizeof(brink_id)) == 0)
			return true;
	return false;
}

enum send_result { SENT, LATER, GONE };

/* LATER: the unit's channel is full; GONE: the unit is gone (the control
 * plane will remove the route when it hears of it). */
static enum send_result send_frame(struct route *rt, const uint8_t *frame, size_t len)
{
	if (rt->gone)
		return GONE;
	if (send(rt->data_fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return SENT;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return LATER;
	rt->gone = true;
	return GONE;
}

static void watch_writable(struct route *rt, bool on)
{
	uv_poll_start(&rt->poll, on ? UV_READABLE | UV_WRITABLE : UV_READABLE, on_results);
}

static void count_dropped(struct brink_router *r, uint32_t readings)
{
	atomic_fetch_add(&r->stats.dropped_batches, 1);
	atomic_fetch_add(&r->stats.dropped_readings, readings);
}

/* Keeps a frame (of `readings` readings) the unit cannot take now,
 * dropping the oldest when full. */
static void enqueue(struct route *rt, const uint8_t *frame, size_t len, uint32_t readings)
{
	uint8_t *copy = malloc(len);
	if (!copy) {
		count_dropped(rt->r, readings);
		return;
	}
	memcpy(copy, frame, len);
	if (rt->qcount == ROUTE_QUEUE) {
		count_dropped(rt->r, rt->queue[rt->qhead].readings);
		free(rt->queue[rt->qhead].frame);
		rt->qhead = (rt->qhead + 1) % ROUTE_QUEUE;
		rt->qcount--;
	}
	unsigned tail = (rt->qhead + rt->qcount) % ROUTE_QUEUE;
	rt->queue[tail].frame = copy;
	rt->queue[tail].len = len;
	rt->queue[tail].readings = readings;
	if (rt->qcount++ == 0)
		watch_writable(rt, true);
}

static void route_flush(struct route *rt, bool held_too);

/* Sends what waits, oldest first, while the unit takes it, then the batch
 * held back meanwhile. */
static void drain(struct route *rt)
{
	enum send_result res = SENT;
	while (rt->qcount &&
	       (res = send_frame(rt, rt->queue[rt->qhead].frame, rt->queue[rt->qhead].len)) == SENT) {
		free(rt->queue[rt->qhead].frame);
		rt->qhead = (rt->qhead + 1) % ROUTE_QUEUE;
		rt->qcount--;
	}
	if (res == GONE)
		queue_free(rt); /* nobody will read them: no busy loop on a dead channel */
	route_flush(rt, false); /* only once nothing waits */
	if (rt->qcount == 0)
		watch_writable(rt, false);
}

/* Sends a frame behind any still waiting, or queues it; false: the unit is gone. */
static bool send_or_queue(struct route *rt, const uint8_t *frame, size_t len, uint32_t readings)
{
	enum send_result res = rt->qcount ? LATER : send_frame(rt, frame, len);
	if (res == LATER)
		enqueue(rt, frame, len, readings);
	return res != GONE;
}

/* A frame of its own (not readings) goes behind the readings that came
 * before it, the batch held back included: the unit sees them in order. */
bool router__route_send(struct route *rt, const uint8_t *frame, size_t len)
{
	route_flush(rt, true);
	return send_or_queue(rt, frame, len, 0);
}

bool router__route_send_u64(struct route *rt, enum brink_wire_type type, uint64_t v)
{
	uint8_t frame[BRINK_WIRE_HDR_SIZE + 8];
	return router__route_send(rt, frame, brink_wire_encode_u64(frame, sizeof(frame), type, v));
}

int router__route_send_fd(struct route *rt, const uint8_t *frame, size_t len, int fd)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)frame, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			   .msg_controllen = sizeof(ctl.space)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (rt->gone || sendmsg(rt->data_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

void router__route_retap(struct route *rt)
{
	router__mqtt_svc_update(rt);
	bool want = rt->subs || rt->served ||
		    (router__mqtt_wants(rt) && !router__mqtt_svc_publishes(rt));
	if (want == rt->tapped || rt->removed)
		return;
	rt->tapped = want;
	router__route_send_u64(rt, BRINK_WIRE_TAP, want);
}

void router__retap_all(struct brink_router *r)
{
	for (struct route *rt = r->routes; rt; rt = rt->hh.next)
		router__route_retap(rt);
}

/* Sends the route's batch, behind any frames still waiting. While frames
 * wait (the unit is behind: its CPU cap, a burst), the batch is held and
 * goes on filling unless held_too: a burst of single readings then takes
 * ROUTE_QUEUE full frames to lose anything, not ROUTE_QUEUE loop turns.
 * drain() sends it when the queue is empty; a full batch is queued. */
static void route_flush(struct route *rt, bool held_too)
{
	if (!rt->out || !rt->batch.count || (rt->qcount && !held_too))
		return;
	uint32_t readings = rt->batch.count;
	size_t n = brink_wire_batch_end(&rt->batch);
	if (!send_or_queue(rt, rt->out, n, readings))
		count_dropped(rt->r, readings);
	brink_wire_batch_begin(&rt->batch, rt->out, BRINK_WIRE_MAX_FRAME, BRINK_WIRE_RECORDS);
}

static void mark_dirty(struct brink_router *r, struct route *rt)
{
	if (rt->dirty)
		return;
	rt->dirty = true;
	rt->next_dirty = r->dirty;
	r->dirty = rt;
}

static void route_add_record(struct brink_router *r, struct route *rt, uint64_t time_ns,
			     const char *rec, uint32_t len)
{
	/* the batch buffer comes with the first reading: idle services hold none */
	if (!rt->out) {
		if (!(rt->out = malloc(BRINK_WIRE_MAX_FRAME)))
			return;
		brink_wire_batch_begin(&rt->batch, rt->out, BRINK_WIRE_MAX_FRAME, BRINK_WIRE_RECORDS);
	}
	if (brink_wire_batch_add(&rt->batch, rt->seq, time_ns, rec, len) != BRINK_WIRE_OK) {
		route_flush(rt, true);
		if (brink_wire_batch_add(&rt->batch, rt->seq, time_ns, rec, len) != BRINK_WIRE_OK)
			return;
	}
	rt->seq++;
	mark_dirty(r, rt);
}

void router__thing_ref(struct thing_ref *out, const struct brink_thing *t)
{
	memcpy(out->id, t->id, sizeof(brink_id));
	memcpy(out->tenant_id, t->tenant_id, sizeof(brink_id));
	memcpy(out->name, t->name, sizeof(out->name));
}

/* The record, built once for all the routes that read the thing, is
 * "<thing name>\n<reading JSON>" (see worker/forward.h). */
void router__publish(struct brink_router *r, const struct thing_ref *thing, uint64_t time_ns,
		     const char *json, size_t len)
{
	static char rec[BRINK_NAME_MAX + 2 + 65536]; /* the loop thread only */
	size_t nl = strlen(thing->name);
	atomic_fetch_add(&r->stats.readings, 1);
	if (nl + 1 + len > sizeof(rec))
		return;
	memcpy(rec, thing->name, nl);
	rec[nl] = '\n';
	memcpy(rec + nl + 1, json, len);
	for (struct route *rt = r->routes; rt; rt = rt->hh.next)
		if (!rt->removed && memcmp(rt->tenant, thing->tenant_id, sizeof(brink_id)) == 0 &&
		    route_reads(rt, thing->id))
			route_add_record(r, rt, time_ns, rec, (uint32_t)(nl + 1 + len));
}

/* At the end of every loop turn: what came in during it goes out in one frame. */
static void on_flush(uv_check_t *h)
{
	struct brink_router *r = h->data;
	struct route *rt = r->dirty;
	r->dirty = NULL;
	while (rt) {
		struct route *next = rt->next_dirty;
		rt->dirty = false;
		if (!rt->removed)
			route_flush(rt, false);
		rt = next;
	}
}

/* Joins a RESULTS frame's lines (each + '\n') and hands them to the clients
 * in one write each: a syscall per line would cost more than the rest. */
static void deliver(struct route *rt, struct brink_wire_record_iter *it)
{
	static char lines[2 * BRINK_WIRE_MAX_FRAME]; /* the loop thread only */
	struct brink_wire_record rec;
	size_t len = 0, count = 0;
	while (brink_wire_records_next(it, &rec) == BRINK_WIRE_OK) {
		if (len + rec.length + 1 > sizeof(lines))
			break; /* cannot happen: a frame holds less */
		memcpy(lines + len, rec.data, rec.length);
		len += rec.length;
		lines[len++] = '\n';
		count++;
	}
	router__stream_send(rt, lines, len, count);
	router__subs_send(rt, lines, len);
	router__mqtt_send(rt, lines, len);
}

/* RESULTS from the unit: their lines go to the service's clients brinkd
 * serves; OUTPUT: the lines it produced and its own clients lost. */
static void on_results(uv_poll_t *h, int status, int events)
{
	struct route *rt = h->data;
	if (status < 0)
		return;
	if (events & UV_WRITABLE)
		drain(rt);
	if (!(events & UV_READABLE))
		return;
	for (;;) {
		uint8_t *in = rt->r->in;
		ssize_t n = recv(rt->data_fd, in, sizeof(rt->r->in), MSG_DONTWAIT);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				uv_poll_stop(h);
			return;
		}
		struct brink_wire_frame f;
		struct brink_wire_record_iter it;
		struct brink_wire_output o;
		if (brink_wire_parse_msg(in, (size_t)n, &f) != BRINK_WIRE_OK)
			continue;
		if (f.type == BRINK_WIRE_OUTPUT && brink_wire_output_decode(&f, &o) == BRINK_WIRE_OK) {
			atomic_fetch_add(&rt->r->stats.delivered_lines, o.lines);
			atomic_fetch_add(&rt->r->stats.stream_dropped, o.lost);
			atomic_fetch_add(&rt->r->stats.mqtt_published, o.mqtt);
			atomic_fetch_add(&rt->r->stats.mqtt_dropped, o.mqtt_lost);
		} else if (f.type == BRINK_WIRE_MQTT) {
			router__mqtt_svc_acked(rt, &f);
		} else if (f.type == BRINK_WIRE_RESULTS && brink_wire_records_begin(&f, &it) == BRINK_WIRE_OK)
			deliver(rt, &it);
	}
}

static void route_add(struct brink_router *r, struct router_cmd *c)
{
	struct route *rt = calloc(1, sizeof(*rt));
	if (!rt) {
		close(c->route.data_fd);
		if (c->route.stream_fd >= 0)
			close(c->route.stream_fd);
		free(c->owned_things);
		return;
	}
	rt->r = r;
	rt->id = c->route.service;
	memcpy(rt->tenant, c->route.tenant, sizeof(brink_id));
	rt->nthings = c->route.nthings;
	rt->things = c->owned_things;
	c->owned_things = NULL;
	rt->data_fd = c->route.data_fd;
	uv_poll_init(&r->loop, &rt->poll, rt->data_fd);
	rt->poll.data = rt;
	rt->open_handles = 1;
	uv_poll_start(&rt->poll, UV_READABLE, on_results);
	if (c->route.stream_fd >= 0 && router__stream_listen(rt, c->route.stream_fd) < 0)
		log_warn("service %016llx: cannot serve its stream port", (unsigned long long)rt->id);
	router__mqtt_route_added(r, rt);
	HASH_ADD(hh, r->routes, id, sizeof(uint64_t), rt);
	rt->tapped = true; /* as the unit starts */
	router__route_retap(rt);
}

static void route_remove(struct brink_router *r, uint64_t id)
{
	struct route *rt;
	HASH_FIND(hh, r->routes, &id, sizeof(id), rt);
	if (!rt)
		return;
	HASH_DEL(r->routes, rt);
	rt->removed = true;
	router__mqtt_svc_end(rt);
	router__stream_close_all(rt);
	router__subs_close_all(rt);
	if (rt->listening)
		router__close_handle(rt, (uv_handle_t *)&rt->listener);
	uv_poll_stop(&rt->poll);
	router__close_handle(rt, (uv_handle_t *)&rt->poll);
}

/* ---- commands from other threads ---- */

static void post(struct brink_router *r, struct router_cmd *c)
{
	pthread_mutex_lock(&r->qlock);
	if (r->queue_tail)
		r->queue_tail->next = c;
	else
		r->queue = c;
	r->queue_tail = c;
	pthread_mutex_unlock(&r->qlock);
	uv_async_send(&r->wake);
}

static void close_all(struct brink_router *r)
{
	struct route *rt, *tmp;
	HASH_ITER(hh, r->routes, rt, tmp) route_remove(r, rt->id);
	brink_ingest_coap_stop(r);
	brink_ingest_mqtt_stop(r);
	uv_close((uv_handle_t *)&r->ingest, NULL);
	uv_close((uv_handle_t *)&r->bootstrap, NULL);
	uv_close((uv_handle_t *)&r->flush, NULL);
	uv_close((uv_handle_t *)&r->wake, NULL);
}

static void on_wake(uv_async_t *h)
{
	struct brink_router *r = h->data;
	pthread_mutex_lock(&r->qlock);
	struct router_cmd *c = r->queue;
	r->queue = r->queue_tail = NULL;
	pthread_mutex_unlock(&r->qlock);
	while (c) {
		struct router_cmd *next = c->next;
		if (c->kind == CMD_ADD)
			route_add(r, c);
		else if (c->kind == CMD_REMOVE)
			route_remove(r, c->route.service);
		else if (c->kind == CMD_SUB)
			router__sub_attach(r, c->sub);
		else if (c->kind == CMD_UNSUB) {
			router__sub_detach(r, c->sub);
			router__sub_unref(c->sub); /* the releaser's */
		} else if (c->kind == CMD_CALL)
			c->fn(&r->loop, c->ctx);
		else
			close_all(r);
		free(c->owned_things);
		free(c);
		c = next;
	}
}

int brink_router_listen(const char *bind_addr, int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	if (inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

void brink_router_add(struct brink_router *r, const struct brink_route *route)
{
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (!c) {
		if (route->stream_fd >= 0)
			close(route->stream_fd);
		return;
	}
	c->kind = CMD_ADD;
	c->route = *route;
	c->route.things = NULL;
	c->route.data_fd = fcntl(route->data_fd, F_DUPFD_CLOEXEC, 0);
	if (route->nthings) {
		c->owned_things = malloc(route->nthings * sizeof(brink_id));
		if (!c->owned_things) {
			c->route.nthings = 0; /* fail closed below */
			c->route.data_fd = (close(c->route.data_fd), -1);
		} else {
			memcpy(c->owned_things, route->things, route->nthings * sizeof(brink_id));
		}
	}
	if (c->route.data_fd < 0) {
		log_error("service %016llx: cannot route readings to it",
			  (unsigned long long)route->service);
		if (route->stream_fd >= 0)
			close(route->stream_fd);
		free(c->owned_things);
		free(c);
		return;
	}
	post(r, c);
}

void brink_router_remove(struct brink_router *r, uint64_t service)
{
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->kind = CMD_REMOVE;
	c->route.service = service;
	post(r, c);
}

struct brink_stream_sub *brink_router_subscribe(struct brink_router *r, uint64_t service,
						size_t cap,
						size_t (*format)(const char *, size_t, char *,
								 size_t),
						void (*notify)(void *), void *ctx)
{
	struct brink_stream_sub *sub = calloc(1, sizeof(*sub));
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (!sub || !c || !(sub->buf = malloc(cap))) {
		free(sub ? sub->buf : NULL);
		free(sub);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&sub->lock, NULL);
	sub->cap = cap;
	sub->service = service;
	sub->format = format;
	sub->notify = notify;
	sub->ctx = ctx;
	atomic_store(&sub->refs, 2); /* the caller's and the router's */
	c->kind = CMD_SUB;
	c->sub = sub;
	post(r, c);
	return sub;
}

void brink_stream_sub_release(struct brink_router *r, struct brink_stream_sub *sub)
{
	pthread_mutex_lock(&sub->lock);
	sub->released = true;
	pthread_mutex_unlock(&sub->lock);
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (!c) {
		router__sub_unref(sub); /* the router's reference keeps it until the route goes */
		return;
	}
	/* The command carries the caller's reference: the router may have let go
	 * of its own already (the service stopped), and detaching reads sub. */
	c->kind = CMD_UNSUB;
	c->sub = sub;
	post(r, c);
}

int brink_router_call(struct brink_router *r, void (*fn)(uv_loop_t *loop, void *ctx), void *ctx)
{
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->kind = CMD_CALL;
	c->fn = fn;
	c->ctx = ctx;
	post(r, c);
	return 0;
}

void brink_router_stats(struct brink_router *r, struct brink_router_stats *out)
{
	out->readings = atomic_load(&r->stats.readings);
	out->delivered_lines = atomic_load(&r->stats.delivered_lines);
	out->stream_dropped = atomic_load(&r->stats.stream_dropped);
	out->dropped_batches = atomic_load(&r->stats.dropped_batches);
	out->dropped_readings = atomic_load(&r->stats.dropped_readings);
	out->refused_lines = atomic_load(&r->stats.refused_lines);
	out->refused_auth = atomic_load(&r->stats.refused_auth);
	out->refused_dtls = atomic_load(&r->stats.refused_dtls);
	out->refused_malformed = atomic_load(&r->stats.refused_malformed);
	out->connections = atomic_load(&r->stats.connections);
	out->mqtt_refused_auth = atomic_load(&r->stats.mqtt_refused_auth);
	out->mqtt_refused_acl = atomic_load(&r->stats.mqtt_refused_acl);
	out->mqtt_published = atomic_load(&r->stats.mqtt_published);
	out->mqtt_dropped = atomic_load(&r->stats.mqtt_dropped);
	out->mqtt_broker_starts = atomic_load(&r->stats.mqtt_broker_starts);
	out->mqtt_dropped_readings = atomic_load(&r->stats.mqtt_dropped_readings);
	out->mqtt_connected = atomic_load(&r->stats.mqtt_connected) != 0;
	out->mqtt_service_conns = atomic_load(&r->stats.mqtt_service_conns);
}

/* ---- the thread ---- */

static void *router_main(void *arg)
{
	struct brink_router *r = arg;
	uv_run(&r->loop, UV_RUN_DEFAULT);
	return NULL;
}

static int loop_init(struct brink_router *r, struct brink_error **err)
{
	if (uv_loop_init(&r->loop) < 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "router: libuv loop");
	uv_async_init(&r->loop, &r->wake, on_wake);
	r->wake.data = r;
	uv_check_init(&r->loop, &r->flush);
	r->flush.data = r;
	uv_check_start(&r->flush, on_flush);
	uv_tcp_init(&r->loop, &r->ingest);
	uv_tcp_init(&r->loop, &r->bootstrap);
	r->ingest.data = r->bootstrap.data = r;
	return 0;
}

int brink_router_start(const struct brink_config *cfg, struct brink_control *ctl,
		       struct brink_router **out, struct brink_error **err)
{
	struct brink_router *r = calloc(1, sizeof(*r));
	if (!r)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	r->cfg = *cfg;
	r->ctl = ctl;
	pthread_mutex_init(&r->qlock, NULL);
	if (loop_init(r, err) < 0) {
		free(r);
		return -1;
	}
	if (brink_ingest_tcp_start(r, err) < 0 || brink_ingest_bootstrap_start(r, err) < 0 ||
	    brink_ingest_coap_start(r, err) < 0 || brink_ingest_mqtt_start(r, err) < 0 ||
	    pthread_create(&r->thread, NULL, router_main, r) != 0) {
		if (!*err)
			brink_error_make(err, BRINK_E_INTERNAL, "router: cannot start its thread");
		close_all(r);
		uv_run(&r->loop, UV_RUN_DEFAULT);
		uv_loop_close(&r->loop);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void brink_router_stop(struct brink_router *r)
{
	if (!r)
		return;
	struct router_cmd *c = calloc(1, sizeof(*c));
	if (c) {
		c->kind = CMD_STOP;
		post(r, c);
	}
	pthread_join(r->thread, NULL);
	uv_loop_close(&r->loop);
	pthread_mutex_destroy(&r->qlock);
	free(r);
}
