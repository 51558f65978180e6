/* GET /v1/services/{id}/stream as Server-Sent Events: every line the
 * service outputs becomes one `data:` event. The connection is suspended
 * while there is nothing to send and resumed by the router's I/O thread when
 * a line arrives (libmicrohttpd's suspend/resume: no busy loop, no thread
 * per client). With "Upgrade: websocket" the same stream is a WebSocket
 * (websocket.c). */
#include <stdlib.h>
#include <string.h>

#include "api/api-internal.h"

#define SSE_BUFFER (1u << 20) /* per client; lines beyond it are dropped */

struct sse {
	struct brink_router *router;
	struct MHD_Connection *conn;
	struct brink_stream_sub *sub;
	bool suspended; /* under sub->lock */
	struct sse *prev, *next; /* every open SSE stream, under open_lock */
};

/* Open SSE streams, so that brinkd can end them before it stops
 * libmicrohttpd, which must not stop with suspended connections (a client
 * that went away while its stream was idle stays suspended until a line
 * comes). One API per process. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sse *open_streams;

static void track(struct sse *s)
{
	pthread_mutex_lock(&open_lock);
	s->next = open_streams;
	if (open_streams)
		open_streams->prev = s;
	open_streams = s;
	pthread_mutex_unlock(&open_lock);
}

static void untrack(struct sse *s)
{
	pthread_mutex_lock(&open_lock);
	if (s->prev)
		s->prev->next = s->next;
	else if (open_streams == s)
		open_streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&open_lock);
}

void api__sse_stop(void)
{
	pthread_mutex_lock(&open_lock);
	for (struct sse *s = open_streams; s; s = s->next) {
		pthread_mutex_lock(&s->sub->lock);
		s->sub->closed = true;
		if (s->suspended) {
			s->suspended = false;
			MHD_resume_connection(s->conn);
		}
		pthread_mutex_unlock(&s->sub->lock);
	}
	pthread_mutex_unlock(&open_lock);
}

static size_t sse_format(const char *line, size_t len, char *out, size_t cap)
{
	if (len + 8 > cap)
		return 0;
	memcpy(out, "data: ", 6);
	memcpy(out + 6, line, len);
	memcpy(out + 6 + len, "\n\n", 2);
	return len + 8;
}

/* Called by the I/O thread with sub->lock held. */
static void sse_notify(void *ctx)
{
	struct sse *s = ctx;
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	struct brink_stream_sub *sub = s->sub;
	(void)pos;
	pthread_mutex_lock(&sub->lock);
	if (sub->len) {
		size_t n = sub->len < max ? sub->len : max;
		memcpy(buf, sub->buf, n);
		memmove(sub->buf, sub->buf + n, sub->len - n);
		sub->len -= n;
		pthread_mutex_unlock(&sub->lock);
		return (ssize_t)n;
	}
	if (sub->closed) {
		pthread_mutex_unlock(&sub->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	s->suspended = true;
	MHD_suspend_connection(s->conn);
	pthread_mutex_unlock(&sub->lock);
	return 0;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	untrack(s);
	brink_stream_sub_release(s->router, s->sub);
	free(s);
}

struct service_state {
	bool found, running;
	uint64_t key;
};

static void note_state(void *ctx, const struct brink_service_view *v)
{
	struct service_state *st = ctx;
	st->found = true;
	st->running = v->rec->state == BRINK_STATE_RUNNING;
	st->key = brink_id_to_u64(v->rec->id);
}

void api__service_stream(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct service_state st = {0};
	if (brink_control_service_get(rq->api->ctl, rq->tenant.id, rq->param, note_state, &st,
				      &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	if (!st.running || !rq->api->router) {
		api__reply_errorf(rq, 409, "conflict", "service %s is not running", rq->param);
		return;
	}
	if (api__ws_wanted(rq)) {
		api__ws_upgrade(rq, st.key); /* websocket.c */
		return;
	}
	struct sse *s = calloc(1, sizeof(*s));
	if (s) {
		s->router = rq->api->router;
		s->conn = rq->conn;
		s->sub = brink_router_subscribe(s->router, st.key, SSE_BUFFER, sse_format, sse_notify,
						s);
	}
	struct MHD_Response *resp =
		s && s->sub ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read,
								 s, sse_free)
			    : NULL;
	if (!resp) {
		if (s && s->sub)
			sse_free(s);
		else
			free(s);
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	track(s);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	rq->custom = resp;
	rq->status = 200;
}
