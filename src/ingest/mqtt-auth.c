/* brinkd's side of the Mosquitto plugin's channel (mqtt/authproto.h): each
 * AUTH line is checked against the store (the single source of truth, so a
 * rotated key or a deleted thing is refused at once) and answered; DENIED
 * and DROPPED reports are counted (DENIED logged); the records after a BATCH
 * line are readings (mqtt__on_batch). The store is asked on the I/O thread,
 * as the TCP ingest does when a thing authenticates. A thing brinkd accepts
 * is remembered for its readings' topic (mqtt__thing_find). */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brink/log.h"
#include "ingest/mqtt-internal.h"

/* Room for a line; a batch gets room for itself and a line after it. */
#define CHANNEL_BUF_FIRST (2 * BRINK_MQTT_LINE_MAX)

struct mqtt_channel {
	uv_pipe_t pipe;
	struct brink_mqtt_ingest *m;
	bool closing;
	struct brink_mqtt_reader reader;
	char *buf; /* received, not handled yet: len of cap bytes */
	size_t len, cap;
	struct mqtt_channel *next;
};

const struct mqtt_thing *mqtt__thing_find(struct brink_mqtt_ingest *m, const char *user)
{
	struct mqtt_thing *t;
	HASH_FIND_STR(m->things, user, t);
	return t;
}

static void thing_forget(struct brink_mqtt_ingest *m, const char *user)
{
	struct mqtt_thing *t;
	HASH_FIND_STR(m->things, user, t);
	if (t) {
		HASH_DEL(m->things, t);
		m->nthings--;
		free(t);
	}
}

static void thing_remember(struct brink_mqtt_ingest *m, const char *user,
			   const struct brink_thing *bt)
{
	struct mqtt_thing *t;
	HASH_FIND_STR(m->things, user, t);
	if (!t) {
		if (m->nthings >= MQTT_THINGS_MAX || !(t = calloc(1, sizeof(*t))))
			return; /* its readings are refused: counted, never unbounded */
		snprintf(t->user, sizeof(t->user), "%s", user);
		HASH_ADD_STR(m->things, user, t);
		m->nthings++;
	}
	router__thing_ref(&t->ref, bt);
}

bool mqtt__watched(struct brink_mqtt_ingest *m, const char *tenant)
{
	struct mqtt_watch *w;
	if (!m->channels)
		return true;
	HASH_FIND_STR(m->watched, tenant, w);
	return w != NULL;
}

static void set_watch(struct brink_mqtt_ingest *m, const char *tenant, bool on)
{
	struct mqtt_watch *w;
	HASH_FIND_STR(m->watched, tenant, w);
	if (on && !w && (w = calloc(1, sizeof(*w)))) {
		snprintf(w->tenant, sizeof(w->tenant), "%s", tenant);
		HASH_ADD_STR(m->watched, tenant, w);
	} else if (!on && w) {
		HASH_DEL(m->watched, w);
		free(w);
	}
	router__retap_all(m->r);
}

void mqtt__watches_free(struct brink_mqtt_ingest *m)
{
	struct mqtt_watch *w, *tmp;
	HASH_ITER(hh, m->watched, w, tmp) {
		HASH_DEL(m->watched, w);
		free(w);
	}
}

void mqtt__things_free(struct brink_mqtt_ingest *m)
{
	struct mqtt_thing *t, *tmp;
	HASH_ITER(hh, m->things, t, tmp) {
		HASH_DEL(m->things, t);
		free(t);
	}
	m->nthings = 0;
}

static bool thing_ok(struct brink_mqtt_ingest *m, const struct brink_mqtt_who *who,
		     const struct brink_mqtt_request *rq)
{
	struct brink_thing t;
	struct brink_tenant ten;
	struct brink_error *err = NULL;
	bool ok = brink_control_thing_auth(m->r->ctl, rq->pass, &t, &err) == 0 &&
		  strcmp(t.name, who->thing) == 0 &&
		  brink_control_tenant_get(m->r->ctl, t.tenant_id, &ten, &err) == 0 &&
		  strcmp(ten.name, who->tenant) == 0;
	brink_error_free(&err);
	if (ok)
		thing_remember(m, rq->user, &t);
	else
		thing_forget(m, rq->user);
	return ok;
}

static bool tenant_ok(struct brink_mqtt_ingest *m, const struct brink_mqtt_who *who,
		      const struct brink_mqtt_request *rq)
{
	struct brink_tenant t;
	struct brink_error *err = NULL;
	bool ok = brink_control_auth(m->r->ctl, rq->pass, &t, &err) == 0 &&
		  strcmp(t.name, who->tenant) == 0;
	brink_error_free(&err);
	return ok;
}

static bool internal_ok(struct brink_mqtt_ingest *m, const struct brink_mqtt_request *rq)
{
	size_t n = strlen(m->secret);
	return n && strlen(rq->pass) == n && sodium_memcmp(rq->pass, m->secret, n) == 0;
}

/* The role these credentials have, NONE when refused. */
static enum brink_mqtt_role verdict(struct brink_mqtt_ingest *m,
				    const struct brink_mqtt_request *rq)
{
	struct brink_mqtt_who who;
	if (brink_mqtt_who_parse(rq->user, &who) != BRINK_MQTT_OK)
		return BRINK_MQTT_NONE;
	switch (who.role) {
	case BRINK_MQTT_INTERNAL:
		return internal_ok(m, rq) ? who.role : BRINK_MQTT_NONE;
	case BRINK_MQTT_THING:
		return thing_ok(m, &who, rq) ? who.role : BRINK_MQTT_NONE;
	case BRINK_MQTT_TENANT:
		return tenant_ok(m, &who, rq) ? who.role : BRINK_MQTT_NONE;
	case BRINK_MQTT_SERVICE:
		return mqtt__svc_login_ok(m, &who, rq->pass) ? who.role : BRINK_MQTT_NONE;
	default:
		return BRINK_MQTT_NONE;
	}
}

/* At most once every 10 s per kind: a flood of refusals fills no disk. */
bool mqtt__may_log(struct brink_mqtt_ingest *m, uint64_t *last)
{
	uint64_t now = uv_now(&m->r->loop);
	if (*last && now - *last < 10000)
		return false;
	*last = now;
	return true;
}

static void channel_on_closed(uv_handle_t *h)
{
	struct mqtt_channel *c = h->data;
	free(c->buf);
	free(c);
}

static void channel_close(struct mqtt_channel *c)
{
	if (c->closing)
		return;
	c->closing = true;
	mqtt__watches_free(c->m); /* what a plugin reported goes with its channel */
	for (struct mqtt_channel **p = &c->m->channels; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	router__retap_all(c->m->r);
	uv_close((uv_handle_t *)&c->pipe, channel_on_closed);
}

static void answer_auth(struct mqtt_channel *c, const struct brink_mqtt_request *rq)
{
	struct brink_mqtt_ingest *m = c->m;
	struct brink_mqtt_answer a = {.seq = rq->seq, .role = verdict(m, rq)};
	char line[BRINK_MQTT_LINE_MAX], user[BRINK_MQTT_USER_MAX + 1];
	if (a.role == BRINK_MQTT_NONE) {
		atomic_fetch_add(&m->r->stats.mqtt_refused_auth, 1);
		brink_mqtt_field_sanitize(rq->user, user, sizeof(user));
		if (mqtt__may_log(m, &m->refused_logged_ms))
			log_info("mqtt: credentials of '%s' refused (further refusals within 10 s "
				 "not logged)",
				 user);
	}
	size_t n = brink_mqtt_answer_format(&a, line, sizeof(line));
	uv_buf_t buf = uv_buf_init(line, (unsigned)n);
	if (uv_try_write((uv_stream_t *)&c->pipe, &buf, 1) != (int)n)
		channel_close(c); /* the plugin stopped reading: it fails closed */
}

static void note_denied(struct brink_mqtt_ingest *m, const struct brink_mqtt_request *rq)
{
	static const char *const what[] = {"?", "read", "publish", "?", "subscribe"};
	atomic_fetch_add(&m->r->stats.mqtt_refused_acl, rq->count);
	if (mqtt__may_log(m, &m->denied_logged_ms))
		log_info("mqtt: %u refused by the access rules, the last a %s by '%s' on '%s' "
			 "(further refusals within 10 s not logged)",
			 rq->count, rq->access < 5 ? what[rq->access] : "unsubscribe", rq->user,
			 rq->topic);
}

static void on_request(struct mqtt_channel *c, struct brink_mqtt_request *rq)
{
	if (rq->kind == BRINK_MQTT_AUTH)
		answer_auth(c, rq);
	else if (rq->kind == BRINK_MQTT_WATCH)
		set_watch(c->m, rq->user, rq->watching);
	else if (rq->kind == BRINK_MQTT_DROPPED)
		atomic_fetch_add(&c->m->r->stats.mqtt_dropped_readings, rq->count);
	else
		note_denied(c->m, rq);
	sodium_memzero(rq->pass, sizeof(rq->pass));
}

/* Offers the free end of the buffer, grown first when a batch needs it. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct mqtt_channel *c = h->data;
	size_t want = brink_mqtt_reader_room(&c->reader) + CHANNEL_BUF_FIRST;
	(void)suggested;
	if (want > c->cap) {
		char *p = realloc(c->buf, want);
		if (p) {
			c->buf = p;
			c->cap = want;
		}
	}
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

/* Handles every whole frame from `start` on; returns where the rest begins. */
static char *handle_input(struct mqtt_channel *c, char *start)
{
	char *end = c->buf + c->len;
	enum brink_mqtt_frame f = BRINK_MQTT_FRAME_REQUEST;
	while (!c->closing && f != BRINK_MQTT_FRAME_MORE) {
		struct brink_mqtt_request rq;
		const char *records = NULL;
		size_t used = 0, n = 0;
		f = brink_mqtt_frame_next(&c->reader, start, (size_t)(end - start), &used, &rq,
					  &records, &n);
		start += used;
		if (f == BRINK_MQTT_FRAME_REQUEST) {
			on_request(c, &rq);
		} else if (f == BRINK_MQTT_FRAME_BATCH) {
			mqtt__on_batch(c->m, (const uint8_t *)records, n);
		} else if (f == BRINK_MQTT_FRAME_BAD) {
			if (mqtt__may_log(c->m, &c->m->denied_logged_ms))
				log_warn("mqtt: a malformed line from the broker's plugin, ignored");
		} else if (f == BRINK_MQTT_FRAME_TOO_LONG) {
			log_warn("mqtt: a line longer than %d bytes from the broker's plugin: "
				 "closing its channel",
				 BRINK_MQTT_LINE_MAX);
			channel_close(c);
		}
	}
	return start;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct mqtt_channel *c = s->data;
	(void)buf;
	if (n < 0) {
		channel_close(c);
		return;
	}
	c->len += (size_t)n;
	char *start = handle_input(c, c->buf);
	if (c->closing)
		return;
	c->len -= (size_t)(start - c->buf);
	memmove(c->buf, start, c->len);
	if (c->len == c->cap) {
		log_warn("mqtt: no memory for a batch from the broker's plugin: closing its channel");
		channel_close(c);
	}
}

static struct mqtt_channel *channel_new(struct brink_mqtt_ingest *m)
{
	struct mqtt_channel *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->m = m;
	uv_pipe_init(&m->r->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = m->channels;
	m->channels = c;
	router__retap_all(m->r); /* from now on the plugin says who reads */
	return c;
}

void mqtt__channel_open(struct brink_mqtt_ingest *m, int fd)
{
	struct mqtt_channel *c = m->stopping ? NULL : channel_new(m);
	if (!c) {
		close(fd);
		return;
	}
	if (uv_pipe_open(&c->pipe, fd) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0) {
		close(fd);
		channel_close(c);
	}
}

static void on_plugin_connection(uv_stream_t *server, int status)
{
	struct brink_mqtt_ingest *m = server->data;
	struct mqtt_channel *c = status < 0 ? NULL : channel_new(m);
	if (!c)
		return;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		channel_close(c);
}

int mqtt__auth_listen(struct brink_mqtt_ingest *m, struct brink_error **err)
{
	char path[108];
	if (snprintf(path, sizeof(path), "%s/mqtt-auth.sock", m->r->cfg.data_dir) >= (int)sizeof(path))
		return brink_error_make(err, BRINK_E_INVALID,
					"mqtt: data_dir too long for a unix socket path");
	unlink(path);
	uv_pipe_init(&m->r->loop, &m->listener, 0);
	m->listener.data = m;
	m->listening = true;
	m->open_handles++;
	int rc = uv_pipe_bind(&m->listener, path);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->listener, 16, on_plugin_connection);
	if (rc < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "mqtt: cannot listen on %s: %s",
					path, uv_strerror(rc));
	chmod(path, 0660);
	log_info("mqtt: the broker's plugin may connect to %s", path);
	return 0;
}

void mqtt__auth_close_all(struct brink_mqtt_ingest *m)
{
	while (m->channels)
		channel_close(m->channels);
	if (m->listening)
		mqtt__close_own(m, (uv_handle_t *)&m->listener);
	m->listening = false;
}
