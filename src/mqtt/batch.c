/* Batches between the plugin and brinkd (mqtt/batch.h). */
#include <string.h>

#include "mqtt/batch.h"

static void put_u16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t get_u16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static size_t get_u32(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

bool brink_mqtt_topic_publishable(const char *topic, size_t len)
{
	return len > 0 && !memchr(topic, '\0', len) && !memchr(topic, '+', len) &&
	       !memchr(topic, '#', len);
}

size_t brink_mqtt_record_size(size_t topic_len, size_t payload_len)
{
	if (topic_len > 0xffff || payload_len > BRINK_MQTT_BATCH_MAX ||
	    BRINK_MQTT_BATCH_HEAD + topic_len + payload_len > BRINK_MQTT_BATCH_MAX)
		return 0;
	return BRINK_MQTT_BATCH_HEAD + topic_len + payload_len;
}

size_t brink_mqtt_record_put(const char *topic, size_t topic_len, const void *payload,
			     size_t payload_len, uint8_t *out, size_t cap)
{
	size_t n = brink_mqtt_record_size(topic_len, payload_len);
	if (!n || n > cap || !brink_mqtt_topic_publishable(topic, topic_len))
		return 0;
	put_u16(out, topic_len);
	put_u32(out + 2, payload_len);
	memcpy(out + BRINK_MQTT_BATCH_HEAD, topic, topic_len);
	if (payload_len)
		memcpy(out + BRINK_MQTT_BATCH_HEAD + topic_len, payload, payload_len);
	return n;
}

enum brink_mqtt_batch_next brink_mqtt_record_next(const uint8_t *buf, size_t len, size_t *off,
						  struct brink_mqtt_record *rec)
{
	size_t at = *off;
	if (at >= len)
		return BRINK_MQTT_BATCH_END;
	if (len - at < BRINK_MQTT_BATCH_HEAD)
		return BRINK_MQTT_BATCH_E_SHAPE;
	size_t tlen = get_u16(buf + at), plen = get_u32(buf + at + 2);
	size_t left = len - at - BRINK_MQTT_BATCH_HEAD;
	if (tlen > left || plen > left - tlen)
		return BRINK_MQTT_BATCH_E_SHAPE;
	const char *topic = (const char *)buf + at + BRINK_MQTT_BATCH_HEAD;
	if (!brink_mqtt_topic_publishable(topic, tlen))
		return BRINK_MQTT_BATCH_E_TOPIC;
	rec->topic = topic;
	rec->topic_len = tlen;
	rec->payload = (const uint8_t *)topic + tlen;
	rec->payload_len = plen;
	*off = at + BRINK_MQTT_BATCH_HEAD + tlen + plen;
	return BRINK_MQTT_BATCH_RECORD;
}
