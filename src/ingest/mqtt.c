/* MQTT ingest and output: brinkd's own libmosquitto client, run on the
 * router's I/O thread (its socket watched by a uv_poll_t, its keepalive by a
 * uv_timer_t), so readings reach router__publish exactly as TCP lines do and
 * services' output is published without a lock or another thread.
 *
 * In: it subscribes to brink/+/things/+; the broker's plugin let only the
 * thing named in a topic publish there, and brinkd remembers the things it
 * accepted (mqtt-auth.c), so a topic names a known thing or is refused.
 * Out: each line of a running service goes to brink/<tenant>/services/<id>/out
 * at QoS 0; when the broker is slower than the lines, libmosquitto keeps at
 * most OUT_QUEUE of them waiting and further ones are dropped and counted, so
 * the client's queue stays bounded. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "brink/log.h"
#include "ingest/mqtt-internal.h"
#include "ingest/reading.h"

#define BACKOFF_MAX_MS 5000
#define READS_PER_WAKE 256 /* packets read before other handles get a turn */
#define OUT_QUEUE 4096     /* output messages waiting for the broker, at most */

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool supervised(const struct brink_config *cfg)
{
	return strcmp(cfg->mqtt_broker, "external") != 0;
}

static void on_own_closed(uv_handle_t *h)
{
	struct brink_mqtt_ingest *m = h->data;
	if (--m->open_handles > 0)
		return;
	mosquitto_destroy(m->mosq);
	mqtt__things_free(m);
	mqtt__watches_free(m);
	sodium_memzero(m->secret, sizeof(m->secret));
	free(m);
}

void mqtt__close_own(struct brink_mqtt_ingest *m, uv_handle_t *h)
{
	h->data = m;
	uv_close(h, on_own_closed);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void on_timer(uv_timer_t *t);

/* The connection is gone (libmosquitto closed its socket): try again later. */
static void connection_lost(struct brink_mqtt_ingest *m)
{
	if (m->poll) {
		uv_close((uv_handle_t *)m->poll, free_handle);
		m->poll = NULL;
	}
	if (m->connected)
		log_warn("mqtt: lost the broker; reconnecting");
	m->connected = false;
	atomic_store(&m->r->stats.mqtt_connected, 0);
	if (m->stopping)
		return;
	m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : 100;
	if (m->backoff_ms > BACKOFF_MAX_MS)
		m->backoff_ms = BACKOFF_MAX_MS;
	uv_timer_start(&m->timer, on_timer, (uint64_t)m->backoff_ms, 0);
}

static void watch(struct brink_mqtt_ingest *m);

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct brink_mqtt_ingest *m = h->data;
	int rc = status < 0 ? MOSQ_ERR_CONN_LOST : MOSQ_ERR_SUCCESS;
	/* one packet per libmosquitto call: read on until the socket is empty */
	for (int i = 0; rc == MOSQ_ERR_SUCCESS && (events & UV_READABLE) && i < READS_PER_WAKE;
	     i++) {
		errno = 0;
		rc = mosquitto_loop_read(m->mosq, 1);
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
	if (rc == MOSQ_ERR_SUCCESS && m->poll && (events & UV_WRITABLE))
		rc = mosquitto_loop_write(m->mosq, 1);
	if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(m->mosq) < 0) {
		connection_lost(m);
		return;
	}
	watch(m);
}

static void watch(struct brink_mqtt_ingest *m)
{
	bool backlog = mosquitto_want_write(m->mosq);
	int ev = UV_READABLE | (backlog ? UV_WRITABLE : 0);
	if (!backlog)
		m->queued = 0;
	if (m->poll)
		uv_poll_start(m->poll, ev, on_poll);
}

static const char *broker_host(const struct brink_config *cfg)
{
	if (!supervised(cfg))
		return cfg->mqtt_host;
	return strcmp(cfg->mqtt_bind, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->mqtt_bind;
}

/* Connects (a blocking TCP connect: the broker is brinkd's own, on this
 * machine, or mqtt.host, which should be as near). */
static void try_connect(struct brink_mqtt_ingest *m)
{
	const struct brink_config *cfg = &m->r->cfg;
	int rc = mosquitto_connect(m->mosq, broker_host(cfg), cfg->mqtt_port, 30);
	int fd = mosquitto_socket(m->mosq);
	if (rc != MOSQ_ERR_SUCCESS || fd < 0 || !(m->poll = malloc(sizeof(*m->poll)))) {
		if (m->backoff_ms >= BACKOFF_MAX_MS / 2)
			log_debug("mqtt: no broker at %s:%d yet: %s", broker_host(cfg), cfg->mqtt_port,
				  mosquitto_strerror(rc));
		connection_lost(m);
		return;
	}
	uv_poll_init(&m->r->loop, m->poll, fd);
	m->poll->data = m;
	watch(m);
	uv_timer_start(&m->timer, on_timer, 1000, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct brink_mqtt_ingest *m = t->data;
	if (m->stopping)
		return;
	if (!m->poll) {
		try_connect(m);
		return;
	}
	if (mosquitto_loop_misc(m->mosq) != MOSQ_ERR_SUCCESS || mosquitto_socket(m->mosq) < 0) {
		connection_lost(m);
		return;
	}
	watch(m);
	uv_timer_start(&m->timer, on_timer, 1000, 0);
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
	struct brink_mqtt_ingest *m = ctx;
	if (rc != 0) {
		log_warn("mqtt: the broker refused brinkd's client: %s", mosquitto_connack_string(rc));
		return;
	}
	m->connected = true;
	m->backoff_ms = 0;
	atomic_store(&m->r->stats.mqtt_connected, 1);
	mosquitto_subscribe(mosq, NULL, "brink/+/things/+", 0);
	log_info("mqtt: connected to the broker at %s:%d", broker_host(&m->r->cfg),
		 m->r->cfg.mqtt_port);
}

static void refuse(struct brink_mqtt_ingest *m, const char *topic, const char *why)
{
	atomic_fetch_add(&m->r->stats.refused_lines, 1);
	if (mqtt__may_log(m, &m->refused_logged_ms))
		log_info("mqtt: a reading on '%.160s' refused: %s (further refusals within 10 s "
			 "not logged)",
			 topic, why);
}

static void on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
	static char line[65536]; /* the loop thread only */
	static struct brink_reading reading;
	struct brink_mqtt_ingest *m = ctx;
	struct brink_mqtt_who who;
	char user[BRINK_MQTT_USER_MAX + 1], why[128];
	(void)mosq;
	uint64_t now = realtime_ns();
	if (brink_mqtt_thing_topic_parse(msg->topic, strlen(msg->topic), &who) != BRINK_MQTT_OK)
		return; /* not a readings topic: the subscription cannot give one */
	snprintf(user, sizeof(user), "%s/%s", who.tenant, who.thing);
	const struct mqtt_thing *t = mqtt__thing_find(m, user);
	if (!t) {
		refuse(m, msg->topic, "no such thing logged in");
		return;
	}
	size_t n = (size_t)msg->payloadlen;
	if (n > (size_t)m->r->cfg.ingest_max_line || n > sizeof(line)) {
		refuse(m, msg->topic, "reading too long");
		return;
	}
	const char *p = msg->payload;
	for (size_t i = 0; i < n; i++) /* the record separates lines with '\n' */
		line[i] = p[i] == '\n' || p[i] == '\r' ? ' ' : p[i];
	if (brink_reading_parse_json(line, n, &reading, why, sizeof(why)) != BRINK_READING_OK) {
		refuse(m, msg->topic, why);
		return;
	}
	router__publish(m->r, &t->ref, now, line, n);
}

void router__mqtt_send(struct route *rt, const char *lines, size_t len)
{
	struct brink_mqtt_ingest *m = rt->r->mqtt;
	if (!m || !m->connected || !rt->mqtt_topic || !mqtt__watched(m, rt->mqtt_tenant))
		return; /* nobody reads it over MQTT: the stream path pays nothing */
	uint64_t sent = 0, dropped = 0;
	for (const char *p = lines, *end = lines + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool full = m->queued >= OUT_QUEUE && mosquitto_want_write(m->mosq);
		if (!full && mosquitto_publish(m->mosq, NULL, rt->mqtt_topic, (int)n, p, 0, false) ==
				     MOSQ_ERR_SUCCESS) {
			sent++;
			m->queued++;
		} else {
			dropped++;
		}
		p += n + 1;
	}
	atomic_fetch_add(&rt->r->stats.mqtt_published, sent);
	atomic_fetch_add(&rt->r->stats.mqtt_dropped, dropped);
	watch(m);
}

void router__mqtt_route_added(struct brink_router *r, struct route *rt)
{
	struct brink_tenant t;
	struct brink_error *err = NULL;
	char topic[BRINK_MQTT_PART_MAX + 64];
	if (!r->mqtt)
		return;
	if (brink_control_tenant_get(r->ctl, rt->tenant, &t, &err) < 0) {
		brink_error_free(&err);
		return;
	}
	if (brink_mqtt_service_topic(t.name, rt->id, topic, sizeof(topic)))
		rt->mqtt_topic = strdup(topic);
	snprintf(rt->mqtt_tenant, sizeof(rt->mqtt_tenant), "%s", t.name);
}

static int make_client(struct brink_mqtt_ingest *m, struct brink_error **err)
{
	const struct brink_config *cfg = &m->r->cfg;
	char id[64];
	unsigned char raw[24];
	if (supervised(cfg)) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(m->secret, sizeof(m->secret), raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} else {
		snprintf(m->secret, sizeof(m->secret), "%s", cfg->mqtt_password);
	}
	snprintf(id, sizeof(id), "brinkd-%d", (int)getpid());
	mosquitto_lib_init();
	if (!(m->mosq = mosquitto_new(id, true, m)))
		return brink_error_make(err, BRINK_E_INTERNAL, "mqtt: cannot make a client");
	const char *user = supervised(cfg) || !cfg->mqtt_username[0] ? BRINK_MQTT_INTERNAL_USER
								      : cfg->mqtt_username;
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* readings are latency-bound */
	mosquitto_username_pw_set(m->mosq, user, supervised(cfg) || cfg->mqtt_password[0]
							 ? m->secret
							 : NULL);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_message_callback_set(m->mosq, on_message);
	return 0;
}

int brink_ingest_mqtt_start(struct brink_router *r, struct brink_error **err)
{
	if (!r->cfg.mqtt_enabled)
		return 0;
	if (strcmp(r->cfg.mqtt_broker, "supervised") != 0 && strcmp(r->cfg.mqtt_broker, "external"))
		return brink_error_make(err, BRINK_E_INVALID,
					"mqtt.broker is supervised or external, not '%s'",
					r->cfg.mqtt_broker);
	struct brink_mqtt_ingest *m = calloc(1, sizeof(*m));
	if (!m)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	m->r = r;
	r->mqtt = m;
	uv_timer_init(&r->loop, &m->timer);
	m->timer.data = m;
	m->open_handles = 1;
	if (make_client(m, err) < 0 || (!supervised(&r->cfg) && mqtt__auth_listen(m, err) < 0))
		return -1; /* close_all frees m */
	uv_timer_start(&m->timer, on_timer, 0, 0);
	return 0;
}

void brink_ingest_mqtt_stop(struct brink_router *r)
{
	struct brink_mqtt_ingest *m = r->mqtt;
	if (!m)
		return;
	r->mqtt = NULL;
	m->stopping = true;
	if (m->connected)
		mosquitto_disconnect(m->mosq);
	if (m->poll)
		uv_close((uv_handle_t *)m->poll, free_handle);
	m->poll = NULL;
	mqtt__auth_close_all(m);
	uv_timer_stop(&m->timer);
	mqtt__close_own(m, (uv_handle_t *)&m->timer);
}

struct channel_handover {
	struct brink_router *r;
	int fd;
};

static void open_channel(uv_loop_t *loop, void *ctx)
{
	struct channel_handover *h = ctx;
	(void)loop;
	if (h->r->mqtt)
		mqtt__channel_open(h->r->mqtt, h->fd);
	else
		close(h->fd);
	free(h);
}

void brink_router_mqtt_channel(struct brink_router *r, int fd)
{
	struct channel_handover *h = malloc(sizeof(*h));
	atomic_fetch_add(&r->stats.mqtt_broker_starts, 1);
	if (h) {
		h->r = r;
		h->fd = fd;
	}
	if (!h || brink_router_call(r, open_channel, h) < 0) {
		close(fd);
		free(h);
	}
}
