/* Services that publish on MQTT themselves: while a tenant has MQTT readers
 * and brink's plugin serves the broker, each of its running services gets a
 * connection to the broker of its own. brinkd connects and logs in as the
 * service (":service/<tenant>/<id>" and a secret made for that login, which
 * mqtt-auth.c checks when the plugin asks), then hands the socket to the
 * service's worker (an MQTT frame, include/brink/wire.h), which publishes
 * its lines there as $brink/out batches of its own topic, the only thing
 * that login may do (mqtt/authproto.h). A line then reaches MQTT readers
 * without a pass through brinkd: one process hop fewer on every reading.
 *
 * Exactly once and in order: until the worker says it takes over (its own
 * MQTT frame back on the data channel, in order with its RESULTS), brinkd
 * publishes the lines it gets as before (mqtt-out.c); from then on the
 * worker does, and brinkd stops asking for RESULTS unless someone else of
 * its own reads them. The worker holds its lines until MQTT_GO, which
 * brinkd sends once the broker answered a PINGREQ written after brinkd's
 * last lines of the service: the broker reads a connection's packets in
 * order, so it has taken those before any of the worker's.
 *
 * brinkd keeps its copy of the socket only to learn of its end (the broker
 * stopped): the worker is then told CLIENT_GONE and brinkd publishes again
 * until a new connection is handed over (tried again after RETRY_MS, as is a
 * login that failed or did not finish within LOGIN_MS). The connection
 * ends (CLIENT_GONE) when the tenant's last reader leaves, brinkd's own
 * client loses the broker, or the service stops. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brink/log.h"
#include "ingest/mqtt-internal.h"
#include "mqtt/codec.h"

#define LOGIN_MS 5000  /* TCP connect and CONNACK */
#define RETRY_MS 5000  /* after a connection failed or ended */

struct mqtt_svc {
	struct route *rt; /* NULL once detached (its poll handle closing) */
	uv_poll_t poll;
	int fd;
	enum {
		SVC_CONNECTING,
		SVC_LOGGING_IN,
		SVC_HANDED,     /* the worker has the socket */
		SVC_FENCED,     /* it took over; the broker has not answered the PINGREQ yet */
		SVC_PUBLISHING, /* MQTT_GO sent */
	} state;
	uint64_t fence;    /* SVC_FENCED: the number of that PINGREQ (mqtt__ping) */
	uint64_t id;       /* the connection's id for the worker (a client id) */
	uint64_t started_ms;
	char secret[48];
	uint8_t in[16];    /* the CONNACK, as it arrives */
	size_t in_len;
};

static void free_svc(uv_handle_t *h)
{
	struct mqtt_svc *s = h->data;
	sodium_memzero(s->secret, sizeof(s->secret));
	free(s);
}

/* Ends the connection: the worker lets go of it (when it had it), brinkd
 * publishes again. `retry`: not before RETRY_MS. */
static void svc_end(struct route *rt, bool retry)
{
	struct mqtt_svc *s = rt->mqtt_svc;
	if (!s)
		return;
	if (s->state >= SVC_HANDED)
		router__route_send_u64(rt, BRINK_WIRE_CLIENT_GONE, s->id);
	if (s->state == SVC_PUBLISHING)
		atomic_fetch_sub(&rt->r->stats.mqtt_service_conns, 1);
	rt->mqtt_svc = NULL;
	if (retry)
		rt->mqtt_svc_retry_ms = uv_now(&rt->r->loop) + RETRY_MS;
	s->rt = NULL;
	uv_poll_stop(&s->poll);
	close(s->fd);
	uv_close((uv_handle_t *)&s->poll, free_svc);
	router__route_retap(rt);
}

static void on_svc_poll(uv_poll_t *h, int status, int events);

static int send_login(struct mqtt_svc *s)
{
	struct route *rt = s->rt;
	char user[BRINK_MQTT_USER_MAX + 1], client_id[40];
	uint8_t pkt[64 + sizeof(user) + sizeof(client_id) + sizeof(s->secret)];
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr ||
	    !brink_mqtt_service_user(rt->mqtt_tenant, rt->id, user, sizeof(user)))
		return -1;
	snprintf(client_id, sizeof(client_id), "brink-svc-%016llx", (unsigned long long)rt->id);
	struct brink_mqtt_connect c = {.client_id = client_id, .username = user,
				       .password = s->secret, .keepalive_s = 0,
				       .clean_session = true};
	size_t n = brink_mqtt_encode_connect(&c, pkt, sizeof(pkt));
	if (!n || send(s->fd, pkt, n, MSG_NOSIGNAL) != (ssize_t)n)
		return -1; /* a fresh socket takes a CONNECT whole */
	s->state = SVC_LOGGING_IN;
	return uv_poll_start(&s->poll, UV_READABLE, on_svc_poll);
}

/* Logged in: the worker takes the socket (brinkd keeps a copy to watch). */
static int hand_over(struct mqtt_svc *s)
{
	uint8_t frame[BRINK_WIRE_HDR_SIZE + 8 + BRINK_WIRE_TOPIC_MAX];
	size_t n = brink_wire_encode_mqtt(frame, sizeof(frame), s->id, s->rt->mqtt_topic);
	if (!n || router__route_send_fd(s->rt, frame, n, s->fd) < 0)
		return -1;
	s->state = SVC_HANDED;
	log_debug("service %016llx: its broker connection handed to its worker",
		  (unsigned long long)s->rt->id);
	return 0;
}

static int read_connack(struct mqtt_svc *s)
{
	struct brink_mqtt_packet pk;
	size_t used;
	ssize_t n = recv(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, MSG_DONTWAIT);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	s->in_len += (size_t)n;
	enum brink_mqtt_parse rc = brink_mqtt_packet_parse(s->in, s->in_len, sizeof(s->in), &pk, &used);
	if (rc == BRINK_MQTT_PARSE_MORE)
		return 0;
	if (rc != BRINK_MQTT_PARSE_OK || pk.type != BRINK_MQTT_PKT_CONNACK || pk.return_code) {
		log_warn("mqtt: the broker refused service %016llx's own connection: %s",
			 (unsigned long long)s->rt->id,
			 rc == BRINK_MQTT_PARSE_OK && pk.type == BRINK_MQTT_PKT_CONNACK
				 ? brink_mqtt_connack_string(pk.return_code)
				 : "not a CONNACK");
		return -1;
	}
	return hand_over(s);
}

/* After the hand-over the broker sends nothing: readable means it closed. */
static int watch_end(struct mqtt_svc *s)
{
	uint8_t scratch[256];
	ssize_t n = recv(s->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) ? 0 : -1;
}

static void on_svc_poll(uv_poll_t *h, int status, int events)
{
	struct mqtt_svc *s = h->data;
	int rc = status < 0 ? -1 : 0;
	(void)events;
	if (rc == 0 && s->state == SVC_CONNECTING)
		rc = send_login(s);
	else if (rc == 0 && s->state == SVC_LOGGING_IN)
		rc = read_connack(s);
	else if (rc == 0)
		rc = watch_end(s);
	if (rc < 0)
		svc_end(s->rt, true);
}

static void svc_start(struct brink_mqtt_ingest *m, struct route *rt)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned char raw[24];
	int one = 1;
	struct mqtt_svc *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->fd = mqtt__broker_addr(m, &ss, &len) < 0
			? -1
			: socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || (connect(s->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		rt->mqtt_svc_retry_ms = uv_now(&rt->r->loop) + RETRY_MS;
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* latency-bound */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(s->secret, sizeof(s->secret), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	s->rt = rt;
	s->id = ++rt->client_seq;
	s->started_ms = uv_now(&rt->r->loop);
	uv_poll_init(&rt->r->loop, &s->poll, s->fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_WRITABLE, on_svc_poll);
	rt->mqtt_svc = s;
}

void router__mqtt_svc_update(struct route *rt)
{
	struct brink_mqtt_ingest *m = rt->r->mqtt;
	struct mqtt_svc *s = rt->mqtt_svc;
	uint64_t now = uv_now(&rt->r->loop);
	bool wanted = m && !m->stopping && m->connected && m->batched && rt->mqtt_topic &&
		      !rt->removed && !rt->gone && mqtt__watched(m, rt->mqtt_tenant);
	if (s && (!wanted || (s->state < SVC_HANDED && now - s->started_ms > LOGIN_MS)))
		svc_end(rt, wanted);
	else if (!s && wanted && now >= rt->mqtt_svc_retry_ms)
		svc_start(m, rt);
}

void router__mqtt_svc_end(struct route *rt)
{
	svc_end(rt, false);
}

bool router__mqtt_svc_publishes(const struct route *rt)
{
	return rt->mqtt_svc && rt->mqtt_svc->state >= SVC_FENCED;
}

void router__mqtt_svc_acked(struct route *rt, const struct brink_wire_frame *f)
{
	uint64_t id;
	char topic[BRINK_WIRE_TOPIC_MAX + 1];
	struct mqtt_svc *s = rt->mqtt_svc;
	if (!s || s->state != SVC_HANDED || brink_wire_mqtt_decode(f, &id, topic) != BRINK_WIRE_OK ||
	    id != s->id)
		return; /* an answer about a connection since ended */
	s->fence = mqtt__ping(rt->r->mqtt);
	if (!s->fence) {
		mqtt__connection_lost(rt->r->mqtt); /* ends s too */
		return;
	}
	s->state = SVC_FENCED;
	router__route_retap(rt);
}

/* The broker took brinkd's lines of the service: the worker publishes. */
static void svc_go(struct route *rt)
{
	struct mqtt_svc *s = rt->mqtt_svc;
	router__route_send_u64(rt, BRINK_WIRE_MQTT_GO, s->id);
	s->state = SVC_PUBLISHING;
	atomic_fetch_add(&rt->r->stats.mqtt_service_conns, 1);
	log_debug("service %016llx publishes on MQTT itself", (unsigned long long)rt->id);
}

void router__mqtt_svc_pong(struct brink_mqtt_ingest *m)
{
	struct route *rt, *tmp;
	HASH_ITER(hh, m->r->routes, rt, tmp) {
		if (rt->mqtt_svc && rt->mqtt_svc->state == SVC_FENCED && rt->mqtt_svc->fence <= m->pongs)
			svc_go(rt);
	}
}

bool mqtt__svc_login_ok(struct brink_mqtt_ingest *m, const struct brink_mqtt_who *who,
			const char *pass)
{
	struct route *rt;
	uint64_t id = who->service;
	HASH_FIND(hh, m->r->routes, &id, sizeof(id), rt);
	if (!rt || !rt->mqtt_svc || strcmp(rt->mqtt_tenant, who->tenant) != 0)
		return false;
	size_t n = strlen(rt->mqtt_svc->secret);
	return strlen(pass) == n && sodium_memcmp(rt->mqtt_svc->secret, pass, n) == 0;
}
