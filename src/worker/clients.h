/* The stream-port clients brinkd hands to a worker (CLIENT frames, see
 * include/brink/wire.h). The worker writes the service's lines to them
 * itself, so a reading reaches a client without a second pass through
 * brinkd. brinkd still owns them: it authenticated them, watches them for
 * their end and says CLIENT_GONE; the worker only writes.
 *
 * A client too slow to take the lines loses them (whole writes, their lines
 * counted in `dropped`, logged once each time it falls behind) once
 * WORKER_CLIENT_QUEUE_MAX bytes wait for it, as brinkd's own stream clients
 * do. A client whose socket fails is closed here at once. A held client's
 * lines wait (with the same bound) until it is released. Every line given
 * for a client ends up counted once: written (its socket took all of it),
 * dropped (too slow) or discarded (the client went before it was written). */
#ifndef BRINK_WORKER_CLIENTS_H
#define BRINK_WORKER_CLIENTS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brink/wire.h"

#define WORKER_CLIENT_QUEUE_MAX (1u << 20) /* bytes waiting for one client */

struct worker_client {
	uint64_t id;
	int fd;
	char *pending; /* WORKER_CLIENT_QUEUE_MAX bytes while it is behind, else NULL */
	size_t plen;   /* bytes in pending not written yet */
	bool dropping; /* lost lines since it last caught up (logged once) */
	bool held;     /* its lines wait in pending until released */
	uint64_t plines; /* lines in pending, the one partly written included */
};

struct worker_clients {
	struct worker_client c[BRINK_WIRE_MAX_CLIENTS];
	size_t n;
	uint64_t dropped;   /* lines lost to slow clients (once per client) */
	uint64_t written;   /* lines the clients' sockets took (see flush_client) */
	uint64_t discarded; /* lines still waiting for a client when it went */
};

/* Takes fd over: adds the client, or closes fd when the table is full or the
 * id is taken (-1). */
int worker_clients_add(struct worker_clients *wc, uint64_t id, int fd);
/* Closes the client with that id, if there is one. */
void worker_clients_remove(struct worker_clients *wc, uint64_t id);
/* Holds the client's lines from now on, until worker_clients_release. */
void worker_clients_hold(struct worker_clients *wc, uint64_t id);
/* Lets the client with that id have its lines: what waits is written now,
 * as far as its socket takes it. */
void worker_clients_release(struct worker_clients *wc, uint64_t id);
/* Writes lines (each ending with '\n') to every client. */
void worker_clients_send(struct worker_clients *wc, const char *lines, size_t len,
			 unsigned count);
/* Fills out[] with a POLLOUT entry per client with pending output; returns
 * how many (at most cap). */
size_t worker_clients_pollfds(const struct worker_clients *wc, struct pollfd *out, size_t cap);
/* The socket fd can take more: writes what waits for its client. */
void worker_clients_flush(struct worker_clients *wc, int fd);

#endif
