/* GET /v1/services/{id}/stream with "Upgrade: websocket" (RFC 6455): every
 * line the service outputs becomes one text message.
 *
 * After the 101 MHD hands the socket over; it is served on the router's I/O
 * thread (brink_router_call): a uv_poll_t watches it and a router subscriber
 * fills a bounded buffer with ready-made frames, so there is no thread per
 * client and a client too slow to read loses lines (counted by the
 * subscriber) instead of growing memory. Client frames are parsed from a
 * fixed buffer: ping gets pong, close gets close, data is ignored, a frame
 * larger than WS_MAX_PAYLOAD closes with 1009.
 *
 * Every socket is finished with MHD_upgrade_action(CLOSE) exactly once: from
 * the I/O thread in the close callback of its last handle (after libuv let go
 * of the descriptor), or from MHD's own thread in the upgrade handler when it
 * cannot be served. MHD allows that from any thread: it marks the connection
 * closed and resumes it (MHD_ALLOW_SUSPEND_RESUME), and its own thread does
 * the rest. Since MHD must not be stopped while an upgraded socket is open,
 * brink_api_stop() first closes them all (api__ws_stop) and waits. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "api/api-internal.h"
#include "api/websocket.h"
#include "brink/log.h"

#define WS_BUFFER (1u << 20) /* per client: frames waiting to be sent */
#define WS_RESERVE 256	     /* kept free of data frames: room for pong and close */
#define WS_LINGER_MS 5000    /* after our close frame, until the socket is closed anyway */
#define WS_STOP_WAIT_S 5     /* brink_api_stop waits that long for the sockets to close */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct ws;

/* The API's open WebSockets, so that it can close them before MHD stops. */
struct api_ws_set {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct ws *list;
	size_t count;
	bool stopping;
};

/* One upgraded connection; after the upgrade handler, the I/O thread's only. */
struct ws {
	struct api_ws_set *set;
	struct brink_router *router;
	struct brink_stream_sub *sub; /* NULL once released */
	struct MHD_UpgradeResponseHandle *urh;
	int fd; /* MHD's: never closed here */
	uv_poll_t poll;
	uv_timer_t linger;
	int handles;
	bool started, close_queued, wr_shut, finishing;
	char *tail; /* once the close frame is queued: the rest to send, taken from sub */
	size_t tail_len;
	size_t in_len;
	uint8_t in[WS_MAX_HEADER + WS_MAX_PAYLOAD];
	struct ws *prev, *next; /* in set->list */
};

/* ---- frames ---- */

static bool known_opcode(uint8_t op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

enum ws_parse api__ws_parse(const uint8_t *p, size_t n, size_t max, struct ws_frame *f)
{
	if (n < 2)
		return WS_AGAIN;
	uint8_t op = p[0] & 0x0f;
	bool fin = p[0] & 0x80;
	if ((p[0] & 0x70) || !(p[1] & 0x80) || !known_opcode(op))
		return WS_BAD;
	uint64_t len = p[1] & 0x7f;
	size_t h = 2;
	if (len == 126) {
		if (n < 4)
			return WS_AGAIN;
		len = (uint64_t)p[2] << 8 | p[3];
		h = 4;
	} else if (len == 127) {
		if (n < 10)
			return WS_AGAIN;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | p[2 + i];
		if (len >> 63)
			return WS_BAD;
		h = 10;
	}
	if ((op & 0x08) && (!fin || len > WS_CONTROL_MAX))
		return WS_BAD;
	if (len > max)
		return WS_TOO_BIG;
	if (n < h + 4 || n - h - 4 < len)
		return WS_AGAIN;
	f->fin = fin;
	f->opcode = op;
	memcpy(f->mask, p + h, 4);
	f->header = h + 4;
	f->len = (size_t)len;
	return WS_OK;
}

void api__ws_unmask(const struct ws_frame *f, const uint8_t *payload, uint8_t *out)
{
	for (size_t i = 0; i < f->len; i++)
		out[i] = payload[i] ^ f->mask[i & 3];
}

size_t api__ws_frame(uint8_t opcode, const void *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t h = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
	if (cap < h || cap - h < len)
		return 0;
	out[0] = (uint8_t)(0x80 | opcode);
	if (h == 2) {
		out[1] = (uint8_t)len;
	} else if (h == 4) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	}
	if (len)
		memcpy(out + h, payload, len);
	return h + len;
}

/* ---- the handshake (MHD's thread) ---- */

bool api__ws_wanted(struct api_request *rq)
{
	const char *up = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_UPGRADE);
	return up && strcasecmp(up, "websocket") == 0;
}

/* Sec-WebSocket-Accept = base64(SHA-1(key + GUID)). SHA-1 from GnuTLS,
 * which libmicrohttpd already loads (libsodium has no SHA-1, and this
 * libmicrohttpd, 0.9.75, ships no libmicrohttpd_ws; OpenSSL's libcrypto would
 * add ~3 MB to brinkd's RSS); base64 from libsodium. */
static bool accept_key(const char *key, char out[29])
{
	char buf[24 + sizeof(WS_GUID)];
	unsigned char digest[20];
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* 16 random bytes in base64 */
	if (!key || strlen(key) != 24 || strspn(key, b64) != 22 || strcmp(key + 22, "==") != 0)
		return false;
	memcpy(buf, key, 24);
	memcpy(buf + 24, WS_GUID, sizeof(WS_GUID) - 1);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, 24 + sizeof(WS_GUID) - 1, digest) < 0)
		return false;
	sodium_bin2base64(out, 29, digest, sizeof(digest), sodium_base64_VARIANT_ORIGINAL);
	return strlen(out) == 28;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh);

void api__ws_upgrade(struct api_request *rq, uint64_t service)
{
	const char *key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						      "Sec-WebSocket-Key");
	const char *version = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							  "Sec-WebSocket-Version");
	const char *connection = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONNECTION);
	char accept[29];
	if (!connection || !strcasestr(connection, "upgrade") || !version ||
	    strcmp(version, "13") != 0 || !accept_key(key, accept)) {
		api__reply_errorf(rq, 400, "invalid_request",
				  "a WebSocket upgrade needs 'Connection: Upgrade', "
				  "'Sec-WebSocket-Version: 13' and a Sec-WebSocket-Key");
		return;
	}
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, rq->api);
	if (!resp || MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket") != MHD_YES ||
	    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept) != MHD_YES) {
		if (resp)
			MHD_destroy_response(resp);
		api__reply_errorf(rq, 500, "internal", "out of memory");
		return;
	}
	rq->stream_service = service;
	rq->custom = resp;
	rq->status = MHD_HTTP_SWITCHING_PROTOCOLS;
}

/* ---- the set ---- */

static bool set_add(struct api_ws_set *set, struct ws *ws)
{
	pthread_mutex_lock(&set->lock);
	bool ok = !set->stopping;
	if (ok) {
		ws->next = set->list;
		if (set->list)
			set->list->prev = ws;
		set->list = ws;
		set->count++;
	}
	pthread_mutex_unlock(&set->lock);
	return ok;
}

static void set_remove(struct api_ws_set *set, struct ws *ws)
{
	pthread_mutex_lock(&set->lock);
	if (ws->prev)
		ws->prev->next = ws->next;
	else
		set->list = ws->next;
	if (ws->next)
		ws->next->prev = ws->prev;
	if (--set->count == 0)
		pthread_cond_broadcast(&set->idle);
	pthread_mutex_unlock(&set->lock);
}

static bool set_stopping(struct api_ws_set *set)
{
	pthread_mutex_lock(&set->lock);
	bool stopping = set->stopping;
	pthread_mutex_unlock(&set->lock);
	return stopping;
}

/* ---- output (the I/O thread) ---- */

/* The subscriber's format: one line, one text frame, leaving WS_RESERVE. */
static size_t ws_format(const char *line, size_t len, char *out, size_t cap)
{
	if (cap <= WS_RESERVE)
		return 0;
	return api__ws_frame(WS_OP_TEXT, line, len, (uint8_t *)out, cap - WS_RESERVE);
}

static void on_poll(uv_poll_t *h, int status, int events);
static void on_linger(uv_timer_t *t);

static void watch(struct ws *ws, int events)
{
	if (!ws->finishing)
		uv_poll_start(&ws->poll, events, on_poll);
}

/* Called by the router with sub->lock held: the sending is done in on_poll. */
static void ws_notify(void *ctx)
{
	struct ws *ws = ctx;
	if (ws->started)
		watch(ws, UV_READABLE | UV_WRITABLE);
}

/* Queues a control frame behind the data frames; with sub->lock held. After
 * the close frame the buffer is taken from the subscriber (its capacity set
 * to 0), so the router appends nothing behind it. */
static void queue_control_locked(struct ws *ws, uint8_t op, const void *payload, size_t len)
{
	struct brink_stream_sub *sub = ws->sub;
	if (ws->close_queued)
		return;
	size_t keep = op == WS_OP_CLOSE ? 0 : 8; /* a pong never takes the close frame's room */
	size_t room = sub->cap - sub->len;
	if (room > keep)
		sub->len += api__ws_frame(op, payload, len, (uint8_t *)sub->buf + sub->len,
					  room - keep);
	if (op != WS_OP_CLOSE)
		return;
	ws->close_queued = true;
	ws->tail = sub->buf;
	ws->tail_len = sub->len;
	sub->buf = NULL;
	sub->len = sub->cap = 0;
	ws->in_len = 0; /* what the client sends from now on is read and dropped */
	uv_timer_start(&ws->linger, on_linger, WS_LINGER_MS, 0);
}

static void queue_control(struct ws *ws, uint8_t op, const void *payload, size_t len)
{
	pthread_mutex_lock(&ws->sub->lock);
	queue_control_locked(ws, op, payload, len);
	pthread_mutex_unlock(&ws->sub->lock);
}

static void queue_close(struct ws *ws, unsigned code)
{
	uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
	queue_control(ws, WS_OP_CLOSE, p, code ? 2 : 0);
}

/* Sends what the socket takes from buf[0..*len); -1 when the connection is gone. */
static int send_some(int fd, char *buf, size_t *len)
{
	if (!*len)
		return 0;
	ssize_t n = send(fd, buf, *len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(buf, buf + n, *len - (size_t)n);
	*len -= (size_t)n;
	return 0;
}

static void finish(struct ws *ws);

/* Sends what is waiting, then watches for what comes next. After our close
 * frame has gone the write side is shut; the client's EOF (or the linger
 * timer) finishes the connection. */
static void pump(struct ws *ws)
{
	struct brink_stream_sub *sub = ws->sub;
	pthread_mutex_lock(&sub->lock);
	if (sub->closed && !ws->close_queued)
		queue_control_locked(ws, WS_OP_CLOSE, "\x03\xe8", 2); /* 1000: the service stopped */
	int rc = ws->close_queued ? send_some(ws->fd, ws->tail, &ws->tail_len)
				  : send_some(ws->fd, sub->buf, &sub->len);
	size_t left = ws->close_queued ? ws->tail_len : sub->len;
	pthread_mutex_unlock(&sub->lock);
	if (rc < 0) {
		finish(ws);
		return;
	}
	if (left) {
		watch(ws, UV_READABLE | UV_WRITABLE);
		return;
	}
	if (ws->close_queued && !ws->wr_shut) {
		shutdown(ws->fd, SHUT_WR);
		ws->wr_shut = true;
	}
	watch(ws, UV_READABLE);
}

/* ---- input (the I/O thread) ---- */

static void on_frame(struct ws *ws, const struct ws_frame *f, uint8_t *payload)
{
	if (f->opcode != WS_OP_PING && f->opcode != WS_OP_CLOSE)
		return; /* data, continuation and pong: a stream only listens */
	api__ws_unmask(f, payload, payload);
	if (f->opcode == WS_OP_PING)
		queue_control(ws, WS_OP_PONG, payload, f->len);
	else
		queue_control(ws, WS_OP_CLOSE, payload, f->len >= 2 ? 2 : 0); /* echo the code */
}

static void take_frames(struct ws *ws)
{
	size_t off = 0;
	enum ws_parse st = WS_AGAIN;
	struct ws_frame f;
	while (!ws->close_queued &&
	       (st = api__ws_parse(ws->in + off, ws->in_len - off, WS_MAX_PAYLOAD, &f)) == WS_OK) {
		on_frame(ws, &f, ws->in + off + f.header);
		off += f.header + f.len;
	}
	if (st == WS_TOO_BIG)
		queue_close(ws, 1009);
	else if (st == WS_BAD)
		queue_close(ws, 1002);
	if (ws->close_queued) {
		ws->in_len = 0;
		return;
	}
	memmove(ws->in, ws->in + off, ws->in_len - off);
	ws->in_len -= off;
}

static void read_input(struct ws *ws)
{
	uint8_t drop[512];
	uint8_t *to = ws->close_queued ? drop : ws->in + ws->in_len;
	size_t cap = ws->close_queued ? sizeof(drop) : sizeof(ws->in) - ws->in_len;
	ssize_t n = recv(ws->fd, to, cap, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		finish(ws);
		return;
	}
	if (n < 0 || ws->close_queued)
		return;
	ws->in_len += (size_t)n;
	take_frames(ws);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct ws *ws = h->data;
	if (status < 0) {
		finish(ws);
		return;
	}
	if (events & UV_READABLE)
		read_input(ws);
	if (!ws->finishing)
		pump(ws);
}

static void on_linger(uv_timer_t *t)
{
	finish(t->data);
}

/* ---- lifetime ---- */

static void ws_free(struct ws *ws)
{
	MHD_upgrade_action(ws->urh, MHD_UPGRADE_ACTION_CLOSE);
	set_remove(ws->set, ws);
	free(ws->tail);
	free(ws);
}

static void on_closed(uv_handle_t *h)
{
	struct ws *ws = h->data;
	if (--ws->handles == 0)
		ws_free(ws);
}

static void finish(struct ws *ws)
{
	if (ws->finishing)
		return;
	ws->finishing = true;
	pthread_mutex_lock(&ws->sub->lock);
	uint64_t dropped = ws->sub->dropped;
	pthread_mutex_unlock(&ws->sub->lock);
	if (dropped)
		log_info("websocket: %llu lines dropped (slow client)", (unsigned long long)dropped);
	brink_stream_sub_release(ws->router, ws->sub);
	ws->sub = NULL;
	uv_close((uv_handle_t *)&ws->poll, on_closed);
	uv_close((uv_handle_t *)&ws->linger, on_closed);
}

/* brinkd stops: close at once (1001), sending what the socket takes now. */
static void go_away(struct ws *ws)
{
	if (ws->finishing)
		return;
	queue_close(ws, 1001);
	pump(ws);
	finish(ws);
}

static void ws_start(uv_loop_t *loop, void *ctx)
{
	struct ws *ws = ctx;
	if (uv_poll_init_socket(loop, &ws->poll, ws->fd) < 0) {
		brink_stream_sub_release(ws->router, ws->sub);
		ws_free(ws);
		return;
	}
	uv_timer_init(loop, &ws->linger);
	ws->poll.data = ws->linger.data = ws;
	ws->handles = 2;
	pthread_mutex_lock(&ws->sub->lock);
	ws->started = true;
	pthread_mutex_unlock(&ws->sub->lock);
	if (set_stopping(ws->set)) {
		go_away(ws);
		return;
	}
	take_frames(ws); /* what MHD read beyond the request */
	pump(ws);
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct brink_api *api = cls;
	struct api_request *rq = con_cls;
	(void)conn;
	struct ws *ws = extra_len <= sizeof(ws->in) ? calloc(1, sizeof(*ws)) : NULL;
	if (!ws || !set_add(api->ws, ws)) {
		free(ws);
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	ws->set = api->ws;
	ws->router = api->router;
	ws->urh = urh;
	ws->fd = sock;
	memcpy(ws->in, extra_in, extra_len);
	ws->in_len = extra_len;
	ws->sub = brink_router_subscribe(api->router, rq->stream_service, WS_BUFFER, ws_format,
					 ws_notify, ws);
	if (!ws->sub || brink_router_call(api->router, ws_start, ws) < 0) {
		if (ws->sub)
			brink_stream_sub_release(api->router, ws->sub);
		ws_free(ws);
	}
}

/* ---- the API's side ---- */

int api__ws_init(struct brink_api *api)
{
	api->ws = calloc(1, sizeof(*api->ws));
	if (!api->ws)
		return -1;
	pthread_mutex_init(&api->ws->lock, NULL);
	pthread_cond_init(&api->ws->idle, NULL);
	return 0;
}

static void go_away_all(uv_loop_t *loop, void *ctx)
{
	struct api_ws_set *set = ctx;
	(void)loop;
	pthread_mutex_lock(&set->lock);
	for (struct ws *ws = set->list; ws; ws = ws->next)
		if (ws->started)
			go_away(ws); /* not started yet: ws_start sees set->stopping */
	pthread_mutex_unlock(&set->lock);
}

void api__ws_stop(struct brink_api *api)
{
	struct api_ws_set *set = api->ws;
	pthread_mutex_lock(&set->lock);
	set->stopping = true;
	bool open = set->count > 0;
	pthread_mutex_unlock(&set->lock);
	if (!open || brink_router_call(api->router, go_away_all, set) < 0)
		return;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WS_STOP_WAIT_S;
	pthread_mutex_lock(&set->lock);
	while (set->count > 0)
		if (pthread_cond_timedwait(&set->idle, &set->lock, &deadline) == ETIMEDOUT)
			break;
	if (set->count > 0)
		log_warn("websocket: %zu connections still open at shutdown", set->count);
	pthread_mutex_unlock(&set->lock);
}

void api__ws_free(struct brink_api *api)
{
	if (!api->ws)
		return;
	pthread_mutex_destroy(&api->ws->lock);
	pthread_cond_destroy(&api->ws->idle);
	free(api->ws);
}
