/* Services' lines as $brink/out PUBLISHes (mqtt/batch.h): how brinkd's
 * client and a service's worker hand output lines to brink's plugin, one
 * packet for many lines. Pure functions over caller's buffers. */
#ifndef BRINK_MQTT_OUTBATCH_H
#define BRINK_MQTT_OUTBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first lines of a text (each ending at a newline or at the text's end)
 * that fit one batch. */
struct brink_mqtt_outbatch {
	size_t used;     /* bytes of the text they take, newlines included */
	uint64_t count;  /* lines */
	size_t payload;  /* their records' bytes */
	size_t packet;   /* the whole PUBLISH's */
};

/* Measures the span of lines[0..len) that fits one batch as records on a
 * topic of topic_len bytes. false when the first line alone does not fit
 * (it cannot be sent: skip it, brink_mqtt_line_len + 1 bytes). */
bool brink_mqtt_outbatch_span(size_t topic_len, const char *lines, size_t len,
			      struct brink_mqtt_outbatch *b);

/* Writes the PUBLISH of a span measured from the same lines into out (room
 * for b->packet bytes); returns b->packet. */
size_t brink_mqtt_outbatch_encode(const char *topic, size_t topic_len, const char *lines,
				  const struct brink_mqtt_outbatch *b, uint8_t *out);

/* The length of the line at p (up to its newline or end). */
size_t brink_mqtt_line_len(const char *p, const char *end);

#endif
