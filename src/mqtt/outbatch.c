#include "mqtt/outbatch.h"

#include <string.h>

#include "mqtt/batch.h"
#include "mqtt/codec.h"

size_t brink_mqtt_line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

bool brink_mqtt_outbatch_span(size_t topic_len, const char *lines, size_t len,
			      struct brink_mqtt_outbatch *b)
{
	const char *p = lines, *end = lines + len;
	*b = (struct brink_mqtt_outbatch){0};
	while (p < end) {
		size_t n = brink_mqtt_line_len(p, end);
		size_t r = brink_mqtt_record_size(topic_len, n);
		if (!r || b->payload + r > BRINK_MQTT_BATCH_MAX)
			break;
		b->payload += r;
		b->count++;
		p += n < (size_t)(end - p) ? n + 1 : n;
	}
	b->used = (size_t)(p - lines);
	b->packet = b->count ? brink_mqtt_publish_size(strlen(BRINK_MQTT_BATCH_OUT), b->payload) : 0;
	return b->packet != 0;
}

size_t brink_mqtt_outbatch_encode(const char *topic, size_t topic_len, const char *lines,
				  const struct brink_mqtt_outbatch *b, uint8_t *out)
{
	size_t at = brink_mqtt_encode_publish_head(BRINK_MQTT_BATCH_OUT, strlen(BRINK_MQTT_BATCH_OUT),
						   b->payload, out, b->packet);
	for (const char *p = lines, *end = lines + b->used; at && p < end;) {
		size_t n = brink_mqtt_line_len(p, end);
		at += brink_mqtt_record_put(topic, topic_len, p, n, out + at, b->packet - at);
		p += n + 1;
	}
	return at;
}
