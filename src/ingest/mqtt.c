/* MQTT ingest and output: brinkd's own MQTT 3.1.1 client (packets:
 * mqtt/codec.c, which says why it is not libmosquitto), run on the router's
 * I/O thread (its nonblocking socket watched by a uv_poll_t, keepalive and
 * reconnecting by a uv_timer_t), so readings reach router__publish exactly as
 * TCP lines do and services' output is published without a lock or another
 * thread.
 *
 * In: it subscribes to brink/+/things/+; the broker's plugin let only the
 * thing named in a topic publish there, and brinkd remembers the things it
 * accepted (mqtt-auth.c), so a topic names a known thing or is refused. It
 * also subscribes to $brink/in: brink's plugin then sends the readings in
 * batches on its channel instead (mqtt/batch.h, mqtt__on_batch), and takes
 * this client's output in batches too. One recv() takes what the socket has
 * and every complete packet in it is parsed in place; a packet larger than
 * max_packet is skipped and counted.
 * Out: mqtt-out.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "ingest/mqtt-internal.h"
#include "ingest/reading.h"
#include "mqtt/batch.h"
#include "mqtt/codec.h"

#define BACKOFF_MAX_MS 5000
#define KEEPALIVE_S 30
#define CONNECT_TIMEOUT_MS 10000 /* TCP connect and CONNACK */
#define READS_PER_WAKE 16        /* recv() calls before other handles get a turn */
#define IN_CHUNK 65536           /* what one recv() may take beyond a packet's start */
#define OUT_HIGH (MQTT_OUT_MAX / 2) /* above it, no reading until the broker took some */
#define OUT_FIRST 16384          /* the output buffer's first size; it doubles */
#define TOPIC_ROOM 512           /* a readings topic and headers beside ingest.max_line */
#define READINGS_FILTER "brink/+/things/+"
#define SUB_READINGS 1 /* packet ids of the two subscriptions */
#define SUB_BATCHES 2

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

static size_t in_cap(const struct brink_mqtt_ingest *m)
{
	return m->max_packet + IN_CHUNK;
}

static void on_own_closed(uv_handle_t *h)
{
	struct brink_mqtt_ingest *m = h->data;
	if (--m->open_handles > 0)
		return;
	mqtt__things_free(m);
	mqtt__watches_free(m);
	sodium_memzero(m->secret, sizeof(m->secret));
	free(m->in);
	free(m->out);
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

/* Closes the socket and forgets what was read or waited to be written. */
static void drop_socket(struct brink_mqtt_ingest *m)
{
	if (m->poll) {
		uv_close((uv_handle_t *)m->poll, free_handle);
		m->poll = NULL;
	}
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->tcp_up = false;
	m->events = 0;
	atomic_fetch_add(&m->r->stats.mqtt_dropped, m->out_lines); /* never written */
	m->out_lines = 0;
	m->in_len = m->skip = m->out_len = m->out_sent = 0;
	m->ping_ms = m->pings = m->pongs = 0;
	m->batched = false;
}

void mqtt__connection_lost(struct brink_mqtt_ingest *m)
{
	drop_socket(m);
	if (m->connected) {
		log_warn("mqtt: lost the broker; reconnecting");
		m->connected = false;
		router__retap_all(m->r);
	}
	atomic_store(&m->r->stats.mqtt_connected, 0);
	if (m->stopping)
		return;
	m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : 100;
	if (m->backoff_ms > BACKOFF_MAX_MS)
		m->backoff_ms = BACKOFF_MAX_MS;
	uv_timer_start(&m->timer, on_timer, (uint64_t)m->backoff_ms, 0);
}

static void on_poll(uv_poll_t *h, int status, int events);

static bool backlogged(const struct brink_mqtt_ingest *m)
{
	return m->out_len - m->out_sent >= OUT_HIGH;
}

/* Asks for UV_WRITABLE exactly while output waits (or the connect does), and
 * for UV_READABLE unless much output waits: readings, which make output,
 * then wait in the broker rather than be read only to be dropped. */
static void watch(struct brink_mqtt_ingest *m)
{
	int ev = (!m->tcp_up || m->out_len > m->out_sent ? UV_WRITABLE : 0) |
		 (backlogged(m) ? 0 : UV_READABLE);
	if (m->poll && ev != m->events) {
		m->events = ev;
		uv_poll_start(m->poll, ev, on_poll);
	}
}

/* Services' lines count as published once the broker's socket took them:
 * all that waited when it took everything, else in proportion to the bytes
 * it took (the lines left count later, or as dropped if the connection
 * ends first). */
static void count_published(struct brink_mqtt_ingest *m, size_t waited)
{
	size_t left = m->out_len - m->out_sent;
	uint64_t n = left ? m->out_lines * (waited - left) / waited : m->out_lines;
	m->out_lines -= n;
	atomic_fetch_add(&m->r->stats.mqtt_published, n);
}

int mqtt__flush(struct brink_mqtt_ingest *m)
{
	size_t waited = m->out_len - m->out_sent;
	while (m->out_sent < m->out_len) {
		ssize_t n = send(m->fd, m->out + m->out_sent, m->out_len - m->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		m->out_sent += (size_t)n;
		m->wrote_ms = uv_now(&m->r->loop);
	}
	if (waited)
		count_published(m, waited);
	if (m->out_sent == m->out_len)
		m->out_sent = m->out_len = 0;
	watch(m);
	return 0;
}

uint8_t *mqtt__out_room(struct brink_mqtt_ingest *m, size_t n, size_t limit)
{
	size_t pending = m->out_len - m->out_sent;
	if (pending + n > limit)
		return NULL;
	if (m->out_len + n > m->out_cap && m->out_sent) {
		memmove(m->out, m->out + m->out_sent, pending);
		m->out_len = pending;
		m->out_sent = 0;
	}
	if (m->out_len + n > m->out_cap) {
		size_t cap = m->out_cap ? m->out_cap : OUT_FIRST;
		while (cap < m->out_len + n)
			cap *= 2;
		size_t most = MQTT_OUT_MAX + MQTT_OUT_RESERVE;
		if (cap > most && m->out_len + n <= most)
			cap = most;
		uint8_t *p = realloc(m->out, cap);
		if (!p)
			return NULL;
		m->out = p;
		m->out_cap = cap;
	}
	return m->out + m->out_len;
}

/* Queues a control packet (made by encode into the buffer) and writes it.
 * -1: no room even in the reserve, or the connection broke. */
static int send_control(struct brink_mqtt_ingest *m, size_t max,
			size_t (*encode)(uint8_t *, size_t, const void *), const void *arg)
{
	uint8_t *p = mqtt__out_room(m, max, MQTT_OUT_MAX + MQTT_OUT_RESERVE);
	size_t n = p ? encode(p, max, arg) : 0;
	if (!n)
		return -1;
	bool was_empty = m->out_len == m->out_sent;
	m->out_len += n;
	return was_empty ? mqtt__flush(m) : 0;
}

static size_t enc_connect(uint8_t *p, size_t cap, const void *arg)
{
	return brink_mqtt_encode_connect(arg, p, cap);
}

static size_t enc_sub_readings(uint8_t *p, size_t cap, const void *arg)
{
	(void)arg;
	return brink_mqtt_encode_subscribe(SUB_READINGS, READINGS_FILTER, 0, p, cap);
}

static size_t enc_sub_batches(uint8_t *p, size_t cap, const void *arg)
{
	(void)arg;
	return brink_mqtt_encode_subscribe(SUB_BATCHES, BRINK_MQTT_BATCH_IN, 0, p, cap);
}

static size_t enc_puback(uint8_t *p, size_t cap, const void *arg)
{
	return brink_mqtt_encode_puback(*(const uint16_t *)arg, p, cap);
}

static size_t enc_pingreq(uint8_t *p, size_t cap, const void *arg)
{
	(void)arg;
	return brink_mqtt_encode_pingreq(p, cap);
}

static size_t enc_disconnect(uint8_t *p, size_t cap, const void *arg)
{
	(void)arg;
	return brink_mqtt_encode_disconnect(p, cap);
}

static const char *broker_host(const struct brink_config *cfg)
{
	if (!supervised(cfg))
		return cfg->mqtt_host;
	return strcmp(cfg->mqtt_bind, "0.0.0.0") == 0 ? "127.0.0.1" : cfg->mqtt_bind;
}

/* The TCP connection is up: log in, as the supervised broker's plugin knows
 * brinkd (":brinkd" and the secret given it at start) or as mqtt.username
 * and mqtt.password say for an external broker. */
static int send_connect(struct brink_mqtt_ingest *m)
{
	const struct brink_config *cfg = &m->r->cfg;
	bool own = supervised(cfg);
	struct brink_mqtt_connect c = {
		.client_id = m->client_id,
		.username = own || !cfg->mqtt_username[0] ? BRINK_MQTT_INTERNAL_USER
							  : cfg->mqtt_username,
		.password = own || cfg->mqtt_password[0] ? m->secret : NULL,
		.keepalive_s = KEEPALIVE_S,
		.clean_session = true,
	};
	size_t max = 64 + strlen(c.client_id) + strlen(c.username) + sizeof(m->secret);
	return send_control(m, max, enc_connect, &c);
}

static void refuse(struct brink_mqtt_ingest *m, const char *topic, size_t topic_len,
		   const char *why)
{
	atomic_fetch_add(&m->r->stats.refused_lines, 1);
	if (mqtt__may_log(m, &m->refused_logged_ms))
		log_info("mqtt: a reading on '%.*s' refused: %s (further refusals within 10 s "
			 "not logged)",
			 (int)(topic_len < 160 ? topic_len : 160), topic, why);
}

/* A thing's reading (a PUBLISH from the broker, or a record of a batch), to
 * the router. */
static void on_reading(struct brink_mqtt_ingest *m, const struct brink_mqtt_record *rec)
{
	static char line[65536]; /* the loop thread only */
	static struct brink_reading reading;
	struct brink_mqtt_who who;
	char user[BRINK_MQTT_USER_MAX + 1], why[128];
	uint64_t now = realtime_ns();
	if (brink_mqtt_thing_topic_parse(rec->topic, rec->topic_len, &who) != BRINK_MQTT_OK)
		return; /* not a readings topic: the subscription cannot give one */
	snprintf(user, sizeof(user), "%s/%s", who.tenant, who.thing);
	const struct mqtt_thing *t = mqtt__thing_find(m, user);
	if (!t) {
		refuse(m, rec->topic, rec->topic_len, "no such thing logged in");
		return;
	}
	size_t n = rec->payload_len;
	if (n > (size_t)m->r->cfg.ingest_max_line || n > sizeof(line)) {
		refuse(m, rec->topic, rec->topic_len, "reading too long");
		return;
	}
	const uint8_t *p = rec->payload;
	for (size_t i = 0; i < n; i++) /* the record separates lines with '\n' */
		line[i] = p[i] == '\n' || p[i] == '\r' ? ' ' : (char)p[i];
	if (brink_reading_parse_json(line, n, &reading, why, sizeof(why)) != BRINK_READING_OK) {
		refuse(m, rec->topic, rec->topic_len, why);
		return;
	}
	router__publish(m->r, &t->ref, now, line, n);
}

/* CONNACK: logged in (subscribe) or refused (try again later). */
static int on_connack(struct brink_mqtt_ingest *m, const struct brink_mqtt_packet *pk)
{
	if (pk->return_code != 0) {
		log_warn("mqtt: the broker refused brinkd's client: %s",
			 brink_mqtt_connack_string(pk->return_code));
		return -1;
	}
	m->connected = true;
	router__retap_all(m->r);
	m->backoff_ms = 0;
	atomic_store(&m->r->stats.mqtt_connected, 1);
	log_info("mqtt: connected to the broker at %s:%d", broker_host(&m->r->cfg),
		 m->r->cfg.mqtt_port);
	if (send_control(m, 64, enc_sub_readings, NULL) < 0)
		return -1;
	return send_control(m, 64, enc_sub_batches, NULL);
}

void mqtt__on_batch(struct brink_mqtt_ingest *m, const uint8_t *records, size_t len)
{
	struct brink_mqtt_record rec;
	size_t off = 0;
	enum brink_mqtt_batch_next rc;
	if (!len && m->connected && !m->batched) {
		log_info("mqtt: the broker's plugin batches readings and output");
		m->batched = true;
	}
	while ((rc = brink_mqtt_record_next(records, len, &off, &rec)) == BRINK_MQTT_BATCH_RECORD)
		on_reading(m, &rec);
	if (rc != BRINK_MQTT_BATCH_END)
		refuse(m, "(a batch)", strlen("(a batch)"),
		       "a malformed batch from the broker's plugin (the rest of it dropped)");
}

/* A reading on a thing's topic: from a broker without brink's plugin (with
 * it, readings come in batches on the plugin's channel). */
static void on_publish(struct brink_mqtt_ingest *m, const struct brink_mqtt_packet *pk)
{
	struct brink_mqtt_record rec = {pk->topic, pk->topic_len, pk->payload, pk->payload_len};
	on_reading(m, &rec);
}

/* One packet from the broker. -1: the connection is to be dropped. */
static int on_packet(struct brink_mqtt_ingest *m, const struct brink_mqtt_packet *pk)
{
	if (!m->connected && pk->type != BRINK_MQTT_PKT_CONNACK) {
		log_warn("mqtt: the broker sent a packet before CONNACK; reconnecting");
		return -1;
	}
	switch (pk->type) {
	case BRINK_MQTT_PKT_CONNACK:
		return m->connected ? 0 : on_connack(m, pk);
	case BRINK_MQTT_PKT_PUBLISH:
		on_publish(m, pk);
		return pk->qos ? send_control(m, 8, enc_puback, &pk->packet_id) : 0;
	case BRINK_MQTT_PKT_SUBACK:
		if (pk->return_code == 0x80)
			log_warn("mqtt: the broker refused brinkd's subscription to %s",
				 pk->packet_id == SUB_READINGS ? READINGS_FILTER : BRINK_MQTT_BATCH_IN);
		return 0;
	case BRINK_MQTT_PKT_PINGRESP:
		if (m->pongs < m->pings && ++m->pongs == m->pings)
			m->ping_ms = 0;
		router__mqtt_svc_pong(m);
		return 0;
	default: /* PUBACK: brinkd publishes at QoS 0 only */
		return 0;
	}
}

/* Parses every complete packet in m->in, keeps the rest. -1: drop the connection. */
static int parse_input(struct brink_mqtt_ingest *m)
{
	size_t off = 0, used = 0;
	int rc = 0;
	while (off < m->in_len && rc == 0) {
		struct brink_mqtt_packet pk;
		if (m->skip) {
			size_t k = m->in_len - off < m->skip ? m->in_len - off : m->skip;
			off += k;
			m->skip -= k;
			continue;
		}
		enum brink_mqtt_parse pr = brink_mqtt_packet_parse(m->in + off, m->in_len - off,
								  m->max_packet, &pk, &used);
		if (pr == BRINK_MQTT_PARSE_MORE)
			break;
		if (pr == BRINK_MQTT_PARSE_TOO_BIG) {
			refuse(m, "(not read)", 10, "larger than the maximum packet size");
			m->skip = used;
			continue;
		}
		if (pr != BRINK_MQTT_PARSE_OK) {
			log_warn("mqtt: the broker sent %s; reconnecting", brink_mqtt_parse_strerror(pr));
			return -1;
		}
		rc = on_packet(m, &pk);
		off += used;
	}
	memmove(m->in, m->in + off, m->in_len - off);
	m->in_len -= off;
	return rc;
}

/* Reads what the socket has, a few large recv()s at most. -1: connection gone. */
static int read_input(struct brink_mqtt_ingest *m)
{
	for (int i = 0; i < READS_PER_WAKE && m->fd >= 0; i++) {
		size_t room = in_cap(m) - m->in_len;
		ssize_t n = recv(m->fd, m->in + m->in_len, room, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		m->in_len += (size_t)n;
		if (parse_input(m) < 0)
			return -1;
		if ((size_t)n < room || backlogged(m))
			return 0; /* the socket is empty, or the broker is to take output first */
	}
	return 0;
}

/* The nonblocking connect finished: its outcome, and then CONNECT. */
static int connect_done(struct brink_mqtt_ingest *m)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
		if (m->backoff_ms >= BACKOFF_MAX_MS / 2)
			log_debug("mqtt: no broker at %s:%d yet: %s", broker_host(&m->r->cfg),
				  m->r->cfg.mqtt_port, strerror(soerr ? soerr : errno));
		return -1;
	}
	m->tcp_up = true;
	return send_connect(m);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct brink_mqtt_ingest *m = h->data;
	int rc = status < 0 ? -1 : 0;
	if (rc == 0 && !m->tcp_up && (events & (UV_WRITABLE | UV_READABLE)))
		rc = connect_done(m);
	else if (rc == 0 && (events & UV_READABLE))
		rc = read_input(m);
	if (rc == 0 && m->poll && (events & UV_WRITABLE) && m->tcp_up)
		rc = mqtt__flush(m);
	if (rc < 0)
		mqtt__connection_lost(m);
}

/* The broker's address: numeric, or looked up (a blocking lookup, as
 * libmosquitto's was: mqtt.host names a nearby broker). */
static int broker_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return 0;
	}
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	v4->sin_port = htons((uint16_t)port); /* sin6_port is at the same offset */
	freeaddrinfo(ai);
	return 0;
}

int mqtt__broker_addr(struct brink_mqtt_ingest *m, struct sockaddr_storage *ss, socklen_t *len)
{
	return broker_addr(broker_host(&m->r->cfg), m->r->cfg.mqtt_port, ss, len);
}

/* Starts a nonblocking connect; on_poll learns how it ends. */
static void try_connect(struct brink_mqtt_ingest *m)
{
	const struct brink_config *cfg = &m->r->cfg;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	if (mqtt__broker_addr(m, &ss, &len) < 0) {
		log_debug("mqtt: cannot resolve %s", broker_host(cfg));
		mqtt__connection_lost(m);
		return;
	}
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || (connect(m->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) ||
	    !(m->poll = malloc(sizeof(*m->poll)))) {
		mqtt__connection_lost(m);
		return;
	}
	setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* latency-bound */
	uv_poll_init(&m->r->loop, m->poll, m->fd);
	m->poll->data = m;
	m->events = UV_READABLE | UV_WRITABLE;
	uv_poll_start(m->poll, m->events, on_poll);
	m->connect_ms = m->wrote_ms = uv_now(&m->r->loop);
	uv_timer_start(&m->timer, on_timer, 1000, 0);
}

/* Keepalive (3.1.2.10): a PINGREQ after half the keepalive without writing;
 * no PINGRESP within the keepalive, or no CONNACK in time, drops the connection. */
static int keepalive(struct brink_mqtt_ingest *m)
{
	uint64_t now = uv_now(&m->r->loop);
	if (!m->connected)
		return now - m->connect_ms < CONNECT_TIMEOUT_MS ? 0 : -1;
	if (m->ping_ms)
		return now - m->ping_ms < KEEPALIVE_S * 1000 ? 0 : -1;
	if (now - m->wrote_ms < KEEPALIVE_S * 1000 / 2)
		return 0;
	return mqtt__ping(m) ? 0 : -1;
}

uint64_t mqtt__ping(struct brink_mqtt_ingest *m)
{
	if (send_control(m, 2, enc_pingreq, NULL) < 0)
		return 0;
	if (!m->ping_ms)
		m->ping_ms = uv_now(&m->r->loop);
	return ++m->pings;
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
	if (keepalive(m) < 0) {
		if (m->connected)
			log_warn("mqtt: the broker does not answer");
		mqtt__connection_lost(m);
		return;
	}
	router__retap_all(m->r); /* services' own connections: retries and timeouts */
	uv_timer_start(&m->timer, on_timer, 1000, 0);
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
	unsigned char raw[24];
	if (supervised(cfg)) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(m->secret, sizeof(m->secret), raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} else {
		snprintf(m->secret, sizeof(m->secret), "%s", cfg->mqtt_password);
	}
	snprintf(m->client_id, sizeof(m->client_id), "brinkd-%d", (int)getpid());
	m->fd = -1;
	m->max_packet = (size_t)cfg->ingest_max_line + TOPIC_ROOM; /* batches come on the channel */
	if (!(m->in = malloc(in_cap(m))))
		return brink_error_make(err, BRINK_E_INTERNAL, "mqtt: out of memory");
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
	m->stopping = true;
	for (struct route *rt = r->routes; rt; rt = rt->hh.next)
		router__mqtt_svc_end(rt);
	r->mqtt = NULL;
	if (m->connected && send_control(m, 2, enc_disconnect, NULL) == 0)
		mqtt__flush(m);
	drop_socket(m);
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
