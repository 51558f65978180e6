/* A tenant's device port: ECM's sensor program connects and sends JSON
 * objects {"id": KEY, "temp": "31.2", ...} back to back, with no delimiter.
 * Each object whose id is a key of this port's tenant becomes one reading of
 * the tenant's ECM thing (the id dropped, the rest as ECM's listening
 * container re-encoded it) and goes to brink's router like a TCP ingest
 * line. As in ECM, an object with another id, or bytes that are not JSON
 * objects, close the connection. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "ecm/ecm-internal.h"
#include "ecm/peer.h"
#include "ingest/reading.h"
#include "router/router-internal.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void refuse(struct ecm_peer *p, const char *why)
{
	atomic_fetch_add(&p->ecm->router->stats.refused_lines, 1);
	log_info("ecm device port of tenant %s: %s; closing", p->tenant_id, why);
	ecm__peer_close(p);
}

/* Whether key belongs to this port's tenant (asked once per key). */
static bool key_ok(struct ecm_peer *p, const char *key)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	if (p->authed && strcmp(p->key, key) == 0)
		return true;
	if (brink_control_ecm_auth(p->ecm->ctl, key, &t, &e, &err) < 0) {
		brink_error_free(&err);
		return false;
	}
	if (strcmp(t.id, p->tenant_id) != 0)
		return false;
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->authed = true;
	uv_timer_stop(&p->timer);
	return true;
}

static void take_object(struct ecm_peer *p, const char *obj, size_t len)
{
	static char text[ECM_OBJECT_MAX * 2];    /* the loop thread only */
	static struct brink_reading reading;     /* the loop thread only */
	char id[ECM_KEY_MAX + 1], msg[128];
	if (brink_ecm_sensor_object(obj, len, id, text, sizeof(text), msg, sizeof(msg)) !=
	    ECM_PARSE_OK) {
		refuse(p, msg);
		return;
	}
	if (!key_ok(p, id)) {
		atomic_fetch_add(&p->ecm->router->stats.refused_auth, 1);
		refuse(p, "an object whose id is not the tenant's key");
		return;
	}
	size_t n = strlen(text);
	if (brink_reading_parse_json(text, n, &reading, msg, sizeof(msg)) != BRINK_READING_OK) {
		refuse(p, msg);
		return;
	}
	struct thing_ref thing = {.name = "ecm"};
	memcpy(thing.id, p->thing_id, sizeof(brink_id));
	memcpy(thing.tenant_id, p->tenant_id, sizeof(brink_id));
	router__publish(p->ecm->router, &thing, realtime_ns(), text, n);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ecm_peer *p = h->data;
	(void)suggested;
	*buf = uv_buf_init(p->buf + p->len, (unsigned)(ECM_OBJECT_MAX - p->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ecm_peer *p = s->data;
	bool bad;
	(void)buf;
	if (n < 0) {
		ecm__peer_close(p);
		return;
	}
	p->len += (size_t)n;
	size_t end;
	while (!p->closing && (end = brink_ecm_object_end(p->buf, p->len, &p->scan, &bad)) > 0) {
		take_object(p, p->buf, end);
		memmove(p->buf, p->buf + end, p->len - end);
		p->len -= end;
		memset(&p->scan, 0, sizeof(p->scan));
	}
	if (!p->closing && (bad || p->len == ECM_OBJECT_MAX))
		refuse(p, "not a stream of JSON objects, or an object over 4096 bytes");
}

static void on_silent(uv_timer_t *t)
{
	refuse(t->data, "no reading with the tenant's key in time");
}

void ecm__device_accept(struct ecm_tport *tp, uv_stream_t *server)
{
	struct ecm_peer *p = ecm__peer_accept(tp, server, false);
	if (!p)
		return;
	/* a connection that never sends the tenant's key does not hold a descriptor */
	uv_timer_start(&p->timer, on_silent, (uint64_t)p->ecm->cfg.ecm_timeout_ms, 0);
	if (uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read) < 0)
		ecm__peer_close(p);
}
