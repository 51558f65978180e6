/* A service's stream port, ECM style: a client connects and sends its
 * tenant key on one line; a wrong key gets an error line and the connection
 * closes; after that the client receives every line the service outputs.
 *
 * Once authenticated, a client's socket goes to the service's worker (a
 * CLIENT frame, include/brink/wire.h), which writes the lines to it itself:
 * a reading then goes thing → brinkd → worker → client, with no second
 * pass through brinkd. brinkd keeps its copy to notice the client's end and
 * say CLIENT_GONE. Past BRINK_WIRE_MAX_CLIENTS clients, or when the unit's
 * channel cannot take the frame at once, brinkd writes to the client itself.
 * Either way a client too slow to take the lines loses them instead of
 * growing a queue without bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brink/log.h"
#include "router/router-internal.h"

#define KEY_LINE_MAX 128
#define CLIENT_QUEUE_MAX (1u << 20) /* bytes waiting to be written to one client */

struct stream_client {
	uv_tcp_t tcp;
	struct route *rt;
	bool authed, closing;
	bool handed; /* the unit writes to it (id: its CLIENT id) */
	uint64_t id;
	size_t keylen;
	char key[KEY_LINE_MAX];
	struct stream_client *prev, *next;
};

struct write_req {
	uv_write_t req;
	char data[];
};

static void on_client_closed(uv_handle_t *h)
{
	struct stream_client *c = h->data;
	struct route *rt = c->rt;
	free(c);
	rt->open_handles--;
	router__route_release(rt);
}

/* Tells the unit the client left; queued behind the batches if need be. */
static void take_back(struct stream_client *c)
{
	if (!c->rt->removed) /* else the unit is being stopped */
		router__route_send_u64(c->rt, BRINK_WIRE_CLIENT_GONE, c->id);
	c->handed = false;
	c->rt->handed--;
}

static void client_close(struct stream_client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->handed)
		take_back(c);
	else if (c->authed && c->rt->served-- == 1)
		router__route_retap(c->rt);
	if (c->prev)
		c->prev->next = c->next;
	else if (c->rt->clients == c)
		c->rt->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->tcp.data = c;
	uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

/* Writes to one client: at once when the socket takes it, else queued, or
 * dropped past CLIENT_QUEUE_MAX (counted). */
static void client_write(struct stream_client *c, const char *data, size_t len, unsigned count)
{
	uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
	int n = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
	if (n == (int)len)
		return;
	size_t done = n > 0 ? (size_t)n : 0;
	if (n < 0 && n != UV_EAGAIN) {
		client_close(c);
		return;
	}
	struct write_req *w = NULL;
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + len - done > CLIENT_QUEUE_MAX ||
	    !(w = malloc(sizeof(*w) + len - done))) {
		atomic_fetch_add(&c->rt->r->stats.stream_dropped, count); /* too slow */
		return;
	}
	memcpy(w->data, data + done, len - done);
	buf = uv_buf_init(w->data, (unsigned)(len - done));
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0)
		free(w);
}

void router__stream_send(struct route *rt, const char *lines, size_t len, unsigned count)
{
	for (struct stream_client *c = rt->clients; c; c = c->next)
		if (c->authed && !c->handed)
			client_write(c, lines, len, count);
}

static void refuse(struct stream_client *c, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "{\"error\":\"%s\"}\n", why);
	uv_buf_t buf = uv_buf_init(line, (unsigned)n);
	uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
	atomic_fetch_add(&c->rt->r->stats.refused_auth, 1);
	client_close(c);
}

/* Gives the unit the client's socket (see the top of this file). */
static void hand_over(struct stream_client *c)
{
	struct route *rt = c->rt;
	uint8_t frame[BRINK_WIRE_HDR_SIZE + 8];
	uv_os_fd_t fd;
	if (rt->handed == BRINK_WIRE_MAX_CLIENTS || uv_fileno((uv_handle_t *)&c->tcp, &fd) < 0)
		return;
	size_t n = brink_wire_encode_u64(frame, sizeof(frame), BRINK_WIRE_CLIENT, rt->client_seq + 1);
	if (router__route_send_fd(rt, frame, n, fd) < 0)
		return;
	c->id = ++rt->client_seq;
	c->handed = true;
	rt->handed++;
}

/* The first line is the tenant key; it must be the key of the service's tenant. */
static void check_key(struct stream_client *c)
{
	struct brink_tenant t;
	struct brink_error *err = NULL;
	c->key[c->keylen] = '\0';
	if (c->keylen && c->key[c->keylen - 1] == '\r')
		c->key[--c->keylen] = '\0';
	if (brink_control_auth(c->rt->r->ctl, c->key, &t, &err) < 0 ||
	    memcmp(t.id, c->rt->tenant, sizeof(brink_id)) != 0) {
		brink_error_free(&err);
		refuse(c, "the key was refused");
		return;
	}
	c->authed = true;
	hand_over(c);
	if (!c->handed && c->rt->served++ == 0)
		router__route_retap(c->rt);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char scratch[4096]; /* the loop thread only: read then handled at once */
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(scratch, sizeof(scratch));
}

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct stream_client *c = s->data;
	if (n < 0) {
		client_close(c);
		return;
	}
	if (c->authed)
		return; /* clients only listen; what they send is ignored */
	const char *nl = memchr(buf->base, '\n', (size_t)n);
	size_t take = nl ? (size_t)(nl - buf->base) : (size_t)n;
	if (c->keylen + take >= sizeof(c->key)) {
		refuse(c, "the key line is too long");
		return;
	}
	memcpy(c->key + c->keylen, buf->base, take);
	c->keylen += take;
	if (nl)
		check_key(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct route *rt = server->data;
	if (status < 0 || rt->removed)
		return;
	struct stream_client *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->rt = rt;
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	rt->open_handles++;
	c->next = rt->clients;
	if (rt->clients)
		rt->clients->prev = c;
	rt->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_client_read) < 0)
		client_close(c);
	uv_tcp_nodelay(&c->tcp, 1);
}

int router__stream_listen(struct route *rt, int fd)
{
	uv_tcp_init(&rt->r->loop, &rt->listener);
	rt->listener.data = rt;
	rt->open_handles++;
	rt->listening = true;
	if (uv_tcp_open(&rt->listener, fd) < 0 ||
	    uv_listen((uv_stream_t *)&rt->listener, 64, on_connection) < 0) {
		rt->listening = false;
		router__close_handle(rt, (uv_handle_t *)&rt->listener); /* closes fd */
		return -1;
	}
	return 0;
}

void router__stream_close_all(struct route *rt)
{
	while (rt->clients)
		client_close(rt->clients);
}
