/* The broker connection brinkd hands a worker (an MQTT frame, see
 * include/brink/wire.h): logged in to brink's broker as the service, which
 * lets it publish $brink/out batches of the service's own topic and nothing
 * else (mqtt/authproto.h). The worker publishes each batch of lines there
 * itself, so a line reaches MQTT readers without passing through brinkd.
 *
 * The lines wait until brinkd says MQTT_GO: brinkd still published the lines
 * it had before the worker took the connection, on its own, and the broker
 * has to have taken those first for readers to get every line in order.
 *
 * brinkd made the connection and says CLIENT_GONE when it should end (the
 * tenant's last MQTT reader left, the broker restarted); the worker only
 * writes, with the stream clients' rules (src/worker/clients.h): a broker
 * too slow to take the lines loses them, counted, and a failed socket is
 * closed at once (brinkd makes a new one when its own connection is back). */
#ifndef BRINK_WORKER_PUBLISHER_H
#define BRINK_WORKER_PUBLISHER_H

#include "mqtt/batch.h"
#include "worker/clients.h"

struct worker_publisher {
	struct worker_clients conns; /* one, while brinkd keeps it going */
	char topic[BRINK_WIRE_TOPIC_MAX + 1];
	size_t topic_len;
	uint8_t packet[BRINK_MQTT_BATCH_MAX + 16]; /* one $brink/out PUBLISH */
};

/* Takes fd over as the connection `id` publishing on topic (a connection
 * already there is replaced), its lines held until worker_publisher_go. -1
 * when it cannot (fd closed). */
int worker_publisher_add(struct worker_publisher *p, uint64_t id, const char *topic, int fd);
/* MQTT_GO for connection `id`: what it holds is written, and the lines
 * from now on as they come. */
void worker_publisher_go(struct worker_publisher *p, uint64_t id);
/* Publishes lines (each ending with '\n'), when there is a connection.
 * Each line given ends up counted once in conns: written, dropped (the
 * broker was too slow) or discarded (the connection ended first). */
void worker_publisher_send(struct worker_publisher *p, const char *lines, size_t len);

#endif
