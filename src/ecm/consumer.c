/* A tenant's listening port: ECM's consumer program connects, sends the
 * tenant key (raw bytes) and reads the output of the tenant's listening or
 * analysis service as JSON objects back to back, with no delimiter. A wrong
 * key gets ECM's "ERROR. Conexion no permitida" and the connection closes;
 * so does a key with no running service behind the port (in ECM nothing
 * listened then). The service's lines come from a router subscriber whose
 * buffer (ECM_CONSUMER_BUF) bounds what a slow consumer can hold up: beyond
 * it lines are dropped and counted, as for the other stream clients. */
#include <stdlib.h>
#include <string.h>

#include "brink/log.h"
#include "ecm/ecm-internal.h"
#include "ecm/peer.h"

#define NOT_ALLOWED "ERROR. Conexion no permitida"

/* A line of the service's output, as ECM's consumer expects it
 * (brink_ecm_output); 0 (dropped, counted) when it does not fit. */
static size_t ecm_format(const char *line, size_t len, char *out, size_t cap)
{
	static char tmp[ECM_OBJECT_MAX * 2 + 1]; /* the loop thread only */
	size_t n = brink_ecm_output(line, len, tmp, sizeof(tmp));
	if (n == 0 || n > cap)
		return 0;
	memcpy(out, tmp, n);
	return n;
}

struct consumer_write {
	uv_write_t req;
	struct ecm_peer *p;
	char data[];
};

static void flush(struct ecm_peer *p);

static void on_written(uv_write_t *req, int status)
{
	struct consumer_write *w = (struct consumer_write *)req;
	struct ecm_peer *p = w->p;
	free(w);
	p->writing = false;
	if (status < 0)
		ecm__peer_close(p);
	else if (!p->closing)
		flush(p);
}

/* Takes what the subscriber holds and writes it; sub->lock held. */
static void flush_locked(struct ecm_peer *p)
{
	struct brink_stream_sub *sub = p->sub;
	if (p->writing || p->closing || sub->len == 0)
		return;
	struct consumer_write *w = malloc(sizeof(*w) + sub->len);
	if (!w)
		return; /* the next line tries again */
	w->p = p;
	memcpy(w->data, sub->buf, sub->len);
	uv_buf_t buf = uv_buf_init(w->data, (unsigned)sub->len);
	sub->len = 0;
	p->writing = true;
	if (uv_write(&w->req, (uv_stream_t *)&p->tcp, &buf, 1, on_written) < 0) {
		free(w);
		p->writing = false;
	}
}

static void flush(struct ecm_peer *p)
{
	if (!p->sub)
		return;
	pthread_mutex_lock(&p->sub->lock);
	flush_locked(p);
	bool closed = p->sub->closed && p->sub->len == 0;
	pthread_mutex_unlock(&p->sub->lock);
	if (closed && !p->writing)
		ecm__peer_close(p); /* the service went away and everything was sent */
}

static void on_sub_closed(uv_timer_t *t)
{
	struct ecm_peer *p = t->data;
	if (!p->writing)
		ecm__peer_close(p);
}

/* The router's notify, on the loop thread with sub->lock held. */
static void on_lines(void *ctx)
{
	struct ecm_peer *p = ctx;
	flush_locked(p);
	if (p->sub->closed && !p->sub_closed) {
		p->sub_closed = true; /* closed outside the lock, from the timer */
		uv_timer_start(&p->timer, on_sub_closed, 0, 0);
	}
}

static void not_allowed(struct ecm_peer *p)
{
	ecm__peer_write(p, NOT_ALLOWED, sizeof(NOT_ALLOWED) - 1);
	ecm__peer_close(p);
}

static void subscribe(struct ecm_peer *p, const char *key)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	if (brink_control_ecm_auth(p->ecm->ctl, key, &t, &e, &err) < 0 ||
	    strcmp(t.id, p->tenant_id) != 0) {
		brink_error_free(&err);
		not_allowed(p);
		return;
	}
	p->authed = true;
	uv_timer_stop(&p->timer);
	if (!brink_id_valid(e.data_service)) {
		ecm__peer_close(p); /* no service behind the port */
		return;
	}
	p->sub = brink_router_subscribe(p->ecm->router, brink_id_to_u64(e.data_service),
					ECM_CONSUMER_BUF, ecm_format, on_lines, p);
	if (!p->sub)
		ecm__peer_close(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ecm_peer *p = h->data;
	static char scratch[4096]; /* the loop thread only: after the key, input is dropped */
	(void)suggested;
	if (p->authed)
		*buf = uv_buf_init(scratch, sizeof(scratch));
	else
		*buf = uv_buf_init(p->buf + p->len, (unsigned)(ECM_KEY_MAX + 1 - p->len));
}

static void take_key(struct ecm_peer *p, bool eof)
{
	char key[ECM_KEY_MAX + 1];
	enum ecm_parse st = brink_ecm_key_parse(p->buf, p->len, eof, key);
	if (st == ECM_PARSE_OK)
		subscribe(p, key);
	else if (st != ECM_PARSE_AGAIN || eof)
		not_allowed(p);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ecm_peer *p = s->data;
	(void)buf;
	if (n < 0) {
		if (!p->authed && p->len)
			take_key(p, true);
		ecm__peer_close(p);
		return;
	}
	if (p->authed)
		return;
	p->len += (size_t)n;
	take_key(p, false);
}

static void on_key_timeout(uv_timer_t *t)
{
	struct ecm_peer *p = t->data;
	if (p->len)
		take_key(p, true);
	else
		ecm__peer_close(p);
}

void ecm__consumer_accept(struct ecm_tport *tp, uv_stream_t *server)
{
	struct ecm_peer *p = ecm__peer_accept(tp, server, true);
	if (!p)
		return;
	uv_timer_start(&p->timer, on_key_timeout, (uint64_t)p->ecm->cfg.ecm_timeout_ms, 0);
	if (uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read) < 0)
		ecm__peer_close(p);
}
