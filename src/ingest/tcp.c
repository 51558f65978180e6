/* Native TCP ingest: newline-delimited JSON. The first line authenticates
 * the thing ({"thing": NAME, "key": KEY}); each further line is one reading,
 * a JSON object, handed to the router with the gateway's receive time.
 * Refused lines are answered with an error line, counted, and the connection
 * goes on; a failed authentication, or none within ingest.auth_timeout_ms,
 * closes it. Errors are logged at most once per connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "ingest/lines.h"
#include "ingest/reading.h"
#include "router/router-internal.h"

struct thing_conn {
	uv_tcp_t tcp;
	uv_timer_t auth_timer;
	struct brink_router *r;
	bool authed, closing, logged;
	int open_handles;
	struct thing_ref thing;
	struct brink_lines *lines;
	char peer[64];
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_conn_closed(uv_handle_t *h)
{
	struct thing_conn *c = h->data;
	if (--c->open_handles == 0) {
		c->r->thing_conns--;
		brink_lines_free(c->lines);
		free(c);
	}
}

static void conn_close(struct thing_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
	uv_close((uv_handle_t *)&c->auth_timer, on_conn_closed);
}

static void reply(struct thing_conn *c, const char *fmt, const char *text)
{
	char line[320];
	int n = snprintf(line, sizeof(line), fmt, text);
	uv_buf_t buf = uv_buf_init(line, (unsigned)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
}

static void refuse_line(struct thing_conn *c, const char *why)
{
	atomic_fetch_add(&c->r->stats.refused_lines, 1);
	if (!c->logged)
		log_info("ingest %s: %s (further refusals on this connection not logged)", c->peer,
			 why);
	c->logged = true;
	reply(c, "{\"error\":\"%s\"}\n", why);
}

static void authenticate(struct thing_conn *c, const char *line, size_t len)
{
	struct brink_reading_auth a;
	struct brink_thing t;
	struct brink_error *err = NULL;
	char msg[128];
	if (brink_reading_parse_auth(line, len, &a, msg, sizeof(msg)) != BRINK_READING_OK ||
	    brink_control_thing_auth(c->r->ctl, a.key, &t, &err) < 0 ||
	    strcmp(t.name, a.thing) != 0) {
		brink_error_free(&err);
		atomic_fetch_add(&c->r->stats.refused_auth, 1);
		log_info("ingest %s: authentication refused", c->peer);
		reply(c, "{\"error\":\"%s\"}\n", "authentication refused");
		conn_close(c);
		return;
	}
	c->authed = true;
	router__thing_ref(&c->thing, &t);
	uv_timer_stop(&c->auth_timer);
	reply(c, "{\"ok\":\"%s\"}\n", c->thing.name);
}

static void on_line(struct thing_conn *c, const char *line, size_t len)
{
	if (!c->authed) {
		authenticate(c, line, len);
		return;
	}
	static struct brink_reading reading; /* the loop thread only */
	char msg[128];
	if (brink_reading_parse_json(line, len, &reading, msg, sizeof(msg)) != BRINK_READING_OK) {
		refuse_line(c, msg);
		return;
	}
	router__publish(c->r, &c->thing, realtime_ns(), line, len);
}

/* Splits what arrived into lines (ingest/lines.c: a line over
 * ingest.max_line, or one holding a NUL, is refused once and skipped). */
static void take_bytes(struct thing_conn *c, const char *p, size_t n)
{
	struct brink_line line;
	enum brink_lines_status st;
	while (!c->closing && (st = brink_lines_feed(c->lines, &p, &n, &line)) != BRINK_LINES_AGAIN) {
		if (st == BRINK_LINES_OK)
			on_line(c, line.data, line.len);
		else
			refuse_line(c, st == BRINK_LINES_TOO_LONG ? "line too long" : "binary data");
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char scratch[65536]; /* the loop thread only */
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct thing_conn *c = s->data;
	if (n < 0) {
		conn_close(c);
		return;
	}
	take_bytes(c, buf->base, (size_t)n);
}

static void on_auth_timeout(uv_timer_t *t)
{
	struct thing_conn *c = t->data;
	atomic_fetch_add(&c->r->stats.refused_auth, 1);
	reply(c, "{\"error\":\"%s\"}\n", "no authentication in time");
	conn_close(c);
}

static void name_peer(struct thing_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	snprintf(c->peer, sizeof(c->peer), "?");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		char ip[32];
		uv_ip4_name(in, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, ntohs(in->sin_port));
	}
}

/* Says, at most once a second, why connections are being turned away. */
static void warn_accept(struct brink_router *r, const char *why)
{
	uint64_t now = uv_now(&r->loop);
	atomic_fetch_add(&r->stats.refused_auth, 1);
	if (now - r->accept_warned_ms < 1000 && r->accept_warned_ms)
		return;
	r->accept_warned_ms = now;
	log_warn("ingest: refusing connections: %s", why);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

/* Accepts and closes at once: over ingest.max_connections (descriptors stay
 * free for the control plane), or out of memory. */
static void turn_away(uv_stream_t *server, const char *why)
{
	uv_tcp_t *t = malloc(sizeof(*t));
	warn_accept(server->data, why);
	if (!t)
		return;
	uv_tcp_init(server->loop, t);
	uv_accept(server, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, free_handle);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct brink_router *r = server->data;
	if (status < 0) {
		warn_accept(r, uv_strerror(status));
		return;
	}
	if (r->thing_conns >= r->cfg.ingest_max_connections) {
		turn_away(server, "ingest.max_connections reached");
		return;
	}
	struct thing_conn *c = calloc(1, sizeof(*c));
	if (c && !(c->lines = brink_lines_new((size_t)r->cfg.ingest_max_line))) {
		free(c);
		c = NULL;
	}
	if (!c) {
		turn_away(server, "out of memory");
		return;
	}
	r->thing_conns++;
	c->r = r;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->auth_timer);
	c->tcp.data = c->auth_timer.data = c;
	c->open_handles = 2;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c);
		return;
	}
	atomic_fetch_add(&r->stats.connections, 1);
	name_peer(c);
	uv_tcp_nodelay(&c->tcp, 1);
	uv_timer_start(&c->auth_timer, on_auth_timeout, (uint64_t)r->cfg.ingest_auth_timeout_ms, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		conn_close(c);
}

int brink_ingest_tcp_start(struct brink_router *r, struct brink_error **err)
{
	struct sockaddr_in addr;
	if (uv_ip4_addr(r->cfg.ingest_bind, r->cfg.ingest_tcp_port, &addr) < 0)
		return brink_error_make(err, BRINK_E_INVALID, "ingest.bind: '%s' is not an IPv4 address",
					r->cfg.ingest_bind);
	int rc = uv_tcp_bind(&r->ingest, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&r->ingest, 511, on_connection);
	if (rc < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "ingest: cannot listen on %s:%d: %s",
					r->cfg.ingest_bind, r->cfg.ingest_tcp_port, uv_strerror(rc));
	log_info("ingest listening on tcp %s:%d", r->cfg.ingest_bind, r->cfg.ingest_tcp_port);
	return 0;
}
