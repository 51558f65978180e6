/* libFuzzer harness for brinkd's MQTT 3.1.1 packet parser and encoders
 * (src/mqtt/codec.c).
 *
 * The input is read as the client reads its socket: packet after packet from
 * one buffer, under a maximum packet size taken from the first byte. A parsed
 * packet must lie within the bytes it used, and a QoS 0 PUBLISH must encode
 * back to the same bytes; a refused one must leave the output untouched; an
 * oversized one must name a length beyond the maximum. The input is also
 * encoded as a topic and a payload, and parsed back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool within(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *b = p;
	return b >= buf && n <= len && b - buf <= (ptrdiff_t)(len - n);
}

static void parsed(const uint8_t *buf, size_t used, const struct brink_mqtt_packet *p)
{
	static uint8_t again[70000];
	check(used >= 2);
	if (p->type != BRINK_MQTT_PKT_PUBLISH)
		return;
	check(p->topic_len >= 1 && within(p->topic, p->topic_len, buf, used));
	check(within(p->payload, p->payload_len, buf, used));
	check(!memchr(p->topic, '\0', p->topic_len) && !memchr(p->topic, '#', p->topic_len));
	check(p->qos <= 1);
	if (p->qos || p->retain || p->dup)
		return;
	size_t n = brink_mqtt_encode_publish(p->topic, p->topic_len, p->payload, p->payload_len,
					     again, sizeof(again));
	check(n && n <= used); /* longer only by a Remaining Length not in fewest bytes */
	if (n == used)
		check(memcmp(again, buf, n) == 0);
}

static void stream(const uint8_t *data, size_t size, size_t max)
{
	size_t off = 0;
	while (off < size) {
		struct brink_mqtt_packet p, canary;
		size_t used = 0xdead;
		memset(&p, 0xa5, sizeof(p));
		memcpy(&canary, &p, sizeof(p));
		enum brink_mqtt_parse rc = brink_mqtt_packet_parse(data + off, size - off, max, &p, &used);
		if (rc == BRINK_MQTT_PARSE_OK) {
			check(used <= size - off && used <= max);
			parsed(data + off, used, &p);
			off += used;
			continue;
		}
		check(memcmp(&p, &canary, sizeof(p)) == 0);
		if (rc == BRINK_MQTT_PARSE_TOO_BIG) {
			check(used > max && used != 0xdead);
			return;
		}
		check(used == 0xdead && brink_mqtt_parse_strerror(rc));
		return;
	}
}

static void encode(const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	size_t tlen = size ? data[0] % (size < 200 ? size : 200) : 0;
	const char *topic = (const char *)data + (size ? 1 : 0);
	if (size < 1 + tlen)
		return;
	size_t plen = size - 1 - tlen;
	size_t n = brink_mqtt_encode_publish(topic, tlen, topic + tlen, plen, out, sizeof(out));
	if (!n)
		return;
	check(n == brink_mqtt_publish_size(tlen, plen));
	struct brink_mqtt_packet p;
	size_t used = 0;
	enum brink_mqtt_parse rc = brink_mqtt_packet_parse(out, n, n, &p, &used);
	if (rc == BRINK_MQTT_PARSE_OK)
		check(used == n && p.topic_len == tlen && p.payload_len == plen &&
		      memcmp(p.payload, topic + tlen, plen) == 0);
	else
		check(rc == BRINK_MQTT_PARSE_E_TOPIC); /* an empty topic, a wildcard or NUL */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxima[] = {2, 16, 300, 4608, 1u << 20};
	size_t max = size ? maxima[data[0] % 5] : 4608;
	stream(data + (size ? 1 : 0), size ? size - 1 : 0, max);
	stream(data, size, 4608);
	encode(data, size);
	return 0;
}
