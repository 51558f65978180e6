/* Bootstrap, as in ECM: a thing connects to bootstrap.port, sends its key
 * (raw bytes, a newline optional) and gets the ingest port back as ECM
 * replies, `{"status":"OK","body":"7000"}` with no newline, then the
 * connection closes. An unknown key gets ECM's error reply. The key must
 * arrive within ingest.auth_timeout_ms and fit in 128 bytes. brink's things
 * may name their protocol after the key, in the same write and ending with
 * a newline ("<key> coaps\n"): tcp (the default), coap, coaps, mqtt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brink/log.h"
#include "ingest/thingid.h"
#include "router/router-internal.h"

#define KEY_MAX 128

struct boot_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct brink_router *r;
	int open_handles;
	bool done;
	size_t len;
	char key[KEY_MAX + 1];
};

static void on_closed(uv_handle_t *h)
{
	struct boot_conn *c = h->data;
	if (--c->open_handles == 0)
		free(c);
}

static void finish(struct boot_conn *c, const char *status, const char *body)
{
	char reply[256];
	if (c->done)
		return;
	c->done = true;
	int n = snprintf(reply, sizeof(reply), "{\"status\":\"%s\",\"body\":\"%s\"}", status, body);
	uv_buf_t buf = uv_buf_init(reply, (unsigned)n);
	uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
	uv_close((uv_handle_t *)&c->tcp, on_closed);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}

/* The port of the protocol named ("": tcp); 0 when it is unknown or off. */
static int protocol_port(const struct brink_config *cfg, const char *proto)
{
	if (!*proto || strcmp(proto, "tcp") == 0)
		return cfg->ingest_tcp_port;
	if (strcmp(proto, "coap") == 0)
		return cfg->coap_port;
	if (strcmp(proto, "coaps") == 0)
		return cfg->coap_dtls_port;
	if (strcmp(proto, "mqtt") == 0)
		return cfg->mqtt_enabled ? cfg->mqtt_port : 0;
	return 0;
}

static void answer(struct boot_conn *c)
{
	struct brink_thing t;
	struct brink_error *err = NULL;
	char port[16], key[BRINK_BOOT_KEY_MAX + 1], proto[BRINK_BOOT_PROTO_MAX + 1];
	if (brink_bootstrap_parse(c->key, c->len, key, proto) != BRINK_THINGID_OK) {
		atomic_fetch_add(&c->r->stats.refused_lines, 1);
		finish(c, "ERROR", "want: KEY [PROTOCOL]");
		return;
	}
	int p = protocol_port(&c->r->cfg, proto);
	if (p == 0) {
		atomic_fetch_add(&c->r->stats.refused_lines, 1);
		finish(c, "ERROR", "unknown protocol: tcp, coap, coaps or mqtt (when they are on)");
		return;
	}
	if (brink_control_thing_auth(c->r->ctl, key, &t, &err) < 0) {
		brink_error_free(&err);
		atomic_fetch_add(&c->r->stats.refused_auth, 1);
		finish(c, "ERROR", "ERROR: No existe compania con el ID proporcionado");
		return;
	}
	snprintf(port, sizeof(port), "%d", p);
	finish(c, "OK", port);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct boot_conn *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(c->key + c->len, (unsigned)(KEY_MAX - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct boot_conn *c = s->data;
	(void)buf;
	if (n < 0) {
		if (c->len)
			answer(c); /* the key, then the end of the stream */
		else
			finish(c, "ERROR", "empty request");
		return;
	}
	c->len += (size_t)n;
	if (memchr(c->key, '\n', c->len) || c->len == KEY_MAX || c->len == 32)
		answer(c); /* a newline, or a whole key: brink's keys are 32 bytes */
}

static void on_timeout(uv_timer_t *t)
{
	struct boot_conn *c = t->data;
	if (c->len)
		answer(c);
	else
		finish(c, "ERROR", "no key in time");
}

static void on_connection(uv_stream_t *server, int status)
{
	struct brink_router *r = server->data;
	struct boot_conn *c = status < 0 ? NULL : calloc(1, sizeof(*c));
	if (!c)
		return;
	c->r = r;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		finish(c, "ERROR", "internal");
		return;
	}
	uv_timer_start(&c->timer, on_timeout, (uint64_t)r->cfg.ingest_auth_timeout_ms, 0);
}

int brink_ingest_bootstrap_start(struct brink_router *r, struct brink_error **err)
{
	struct sockaddr_in addr;
	if (r->cfg.bootstrap_port == 0)
		return 0;
	/* ECM's front end answers thing keys on its bootstrap port the same way */
	if (r->cfg.ecm_enabled && r->cfg.bootstrap_port == 3000 + r->cfg.ecm_port_offset) {
		log_info("bootstrap: port %d is served by the ECM front end", r->cfg.bootstrap_port);
		return 0;
	}
	uv_ip4_addr(r->cfg.ingest_bind, r->cfg.bootstrap_port, &addr);
	int rc = uv_tcp_bind(&r->bootstrap, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&r->bootstrap, 128, on_connection);
	if (rc < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"bootstrap: cannot listen on %s:%d: %s", r->cfg.ingest_bind,
					r->cfg.bootstrap_port, uv_strerror(rc));
	log_info("bootstrap listening on tcp %s:%d", r->cfg.ingest_bind, r->cfg.bootstrap_port);
	return 0;
}
