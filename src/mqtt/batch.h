/* Batches between brink's Mosquitto plugin and brinkd: many messages in
 * one, so that a reading crosses the broker as one message on its way in and
 * as one on its way out, not two each (docs/dataplane.md has the figures).
 *
 *   readings     the plugin → brinkd, on the plugin's channel (a BATCH line,
 *                mqtt/authproto.h): things' readings, gathered in one pass
 *                of the broker's loop. brinkd's client subscribing to
 *                $brink/in asks for them; an empty batch says they come.
 *   $brink/out   brinkd's client, or a service's worker on the connection
 *                brinkd made for it (ingest/mqtt-svc.c) → the plugin, as
 *                the payload of a PUBLISH: services' lines, which the
 *                plugin publishes one message per line
 *
 * Only brinkd's own client may use these topics, a service's worker only
 * $brink/out for its own topic (mqtt/authproto.c), and "#"
 * never matches a topic starting with '$' (MQTT 3.1.1, section 4.7.2).
 *
 * A batch is a sequence of records, each
 *   u16 topic length, u32 payload length (both big-endian), topic, payload
 * Pure functions over caller's buffers, shared by the plugin, brinkd, the
 * unit tests and the fuzz harness. */
#ifndef BRINK_MQTT_BATCH_H
#define BRINK_MQTT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRINK_MQTT_BATCH_IN "$brink/in"
#define BRINK_MQTT_BATCH_OUT "$brink/out"
#define BRINK_MQTT_BATCH_MAX (256 * 1024) /* payload bytes of one batch */
#define BRINK_MQTT_BATCH_HEAD 6           /* a record's two lengths */
/* A reading longer than this goes in cut to this length: longer than any
 * ingest.max_line, so brinkd still refuses it as too long. */
#define BRINK_MQTT_BATCH_READING_MAX 65537

struct brink_mqtt_record {
	const char *topic; /* topic_len bytes, not NUL-terminated */
	size_t topic_len;
	const uint8_t *payload;
	size_t payload_len;
};

enum brink_mqtt_batch_next {
	BRINK_MQTT_BATCH_RECORD, /* one record in *rec */
	BRINK_MQTT_BATCH_END,    /* no bytes left */
	BRINK_MQTT_BATCH_E_SHAPE, /* a record cut short */
	BRINK_MQTT_BATCH_E_TOPIC, /* a topic empty, or with a wildcard or NUL */
};

/* A record's size in a batch: 0 when the topic is longer than 65535 bytes
 * or the record alone passes BRINK_MQTT_BATCH_MAX. */
size_t brink_mqtt_record_size(size_t topic_len, size_t payload_len);

/* Writes one record at out (cap bytes of room); its length, or 0 when it
 * does not fit or cannot be sent (then out is unchanged). */
size_t brink_mqtt_record_put(const char *topic, size_t topic_len, const void *payload,
			     size_t payload_len, uint8_t *out, size_t cap);

/* Reads the record at *off in buf[0..len) and moves *off past it. Only
 * RECORD fills *rec and moves *off; the rest of the batch cannot be trusted
 * after an error. */
enum brink_mqtt_batch_next brink_mqtt_record_next(const uint8_t *buf, size_t len, size_t *off,
						  struct brink_mqtt_record *rec);

/* Whether a topic is one the client or plugin may publish on: not empty, no
 * wildcard, no NUL. */
bool brink_mqtt_topic_publishable(const char *topic, size_t len);

#endif
