#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brink/log.h"
#include "worker/clients.h"

static struct worker_client *find_id(struct worker_clients *wc, uint64_t id)
{
	for (size_t i = 0; i < wc->n; i++)
		if (wc->c[i].id == id)
			return &wc->c[i];
	return NULL;
}

static struct worker_client *find_fd(struct worker_clients *wc, int fd)
{
	for (size_t i = 0; i < wc->n; i++)
		if (wc->c[i].fd == fd)
			return &wc->c[i];
	return NULL;
}

int worker_clients_add(struct worker_clients *wc, uint64_t id, int fd)
{
	if (wc->n == BRINK_WIRE_MAX_CLIENTS || find_id(wc, id)) {
		log_warn("refusing stream client %llu: %s", (unsigned long long)id,
			 wc->n == BRINK_WIRE_MAX_CLIENTS ? "too many clients" : "its id is taken");
		close(fd);
		return -1;
	}
	wc->c[wc->n++] = (struct worker_client){.id = id, .fd = fd};
	return 0;
}

/* Closes c and moves the last client into its place. */
static void drop_client(struct worker_clients *wc, struct worker_client *c)
{
	close(c->fd);
	free(c->pending);
	wc->discarded += c->plines;
	*c = wc->c[--wc->n];
}

void worker_clients_remove(struct worker_clients *wc, uint64_t id)
{
	struct worker_client *c = find_id(wc, id);
	if (c)
		drop_client(wc, c);
}

/* Writes what the socket takes now; returns how many bytes, or -1 when the
 * socket failed (the client is gone). */
static ssize_t write_some(int fd, const char *data, size_t len)
{
	ssize_t n;
	do
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

/* Keeps what the socket did not take, or drops it past the bound. The
 * buffer is taken whole when a client first falls behind (its pages cost
 * only once written) and given back when it caught up. */
static void keep(struct worker_clients *wc, struct worker_client *c, const char *data, size_t len,
		 unsigned count)
{
	if (!c->pending)
		c->pending = malloc(WORKER_CLIENT_QUEUE_MAX);
	if (!c->pending || c->plen + len > WORKER_CLIENT_QUEUE_MAX) {
		if (!c->dropping)
			log_warn("stream client %llu is too slow: dropping lines for it",
				 (unsigned long long)c->id);
		c->dropping = true;
		wc->dropped += count;
		return;
	}
	memcpy(c->pending + c->plen, data, len);
	c->plen += len;
	c->plines += count;
}

/* Returns -1 when the client is gone (the caller drops it). */
static int client_write(struct worker_clients *wc, struct worker_client *c, const char *data,
			size_t len, unsigned count)
{
	/* behind or held: after what waits */
	ssize_t n = c->plen || c->held ? 0 : write_some(c->fd, data, len);
	if (n < 0)
		return -1;
	if ((size_t)n < len)
		keep(wc, c, data + n, len - (size_t)n, count);
	else
		wc->written += count;
	return 0;
}

void worker_clients_send(struct worker_clients *wc, const char *lines, size_t len,
			 unsigned count)
{
	for (size_t i = 0; i < wc->n;) {
		if (client_write(wc, &wc->c[i], lines, len, count) < 0)
			drop_client(wc, &wc->c[i]); /* the last moved into i */
		else
			i++;
	}
}

size_t worker_clients_pollfds(const struct worker_clients *wc, struct pollfd *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < wc->n && k < cap; i++)
		if (wc->c[i].plen && !wc->c[i].held)
			out[k++] = (struct pollfd){.fd = wc->c[i].fd, .events = POLLOUT};
	return k;
}

/* Writes what waits for c, as far as its socket takes it. Its lines count
 * as written when all went, else in proportion to the bytes that went. */
static void flush_client(struct worker_clients *wc, struct worker_client *c)
{
	ssize_t n = write_some(c->fd, c->pending, c->plen);
	if (n < 0) {
		drop_client(wc, c);
		return;
	}
	size_t waited = c->plen;
	c->plen -= (size_t)n;
	uint64_t went = c->plen ? c->plines * (uint64_t)n / waited : c->plines;
	c->plines -= went;
	wc->written += went;
	if (c->plen == 0) {
		free(c->pending);
		c->pending = NULL;
		c->dropping = false;
	} else {
		memmove(c->pending, c->pending + n, c->plen);
	}
}

void worker_clients_flush(struct worker_clients *wc, int fd)
{
	struct worker_client *c = find_fd(wc, fd);
	if (c && c->plen && !c->held)
		flush_client(wc, c);
}

void worker_clients_hold(struct worker_clients *wc, uint64_t id)
{
	struct worker_client *c = find_id(wc, id);
	if (c)
		c->held = true;
}

void worker_clients_release(struct worker_clients *wc, uint64_t id)
{
	struct worker_client *c = find_id(wc, id);
	if (!c)
		return;
	c->held = false;
	if (c->plen)
		flush_client(wc, c);
}
