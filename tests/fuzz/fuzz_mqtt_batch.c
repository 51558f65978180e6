/* libFuzzer harness for the batches between brink's plugin and brinkd
 * (src/mqtt/batch.c).
 *
 * The input is read as a batch's payload, record after record, as brinkd's
 * client and the plugin read one: every record must lie within the input,
 * with a topic the broker can publish on, and put back must give the same
 * bytes; an error must leave the offset and the record untouched. The input
 * is also cut into a topic and a payload, put as a record and read back; and
 * read as output lines, which go as $brink/out PUBLISHes (mqtt/outbatch.h)
 * whose records must give back every line, in order, on the topic. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/batch.h"
#include "mqtt/codec.h"
#include "mqtt/outbatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void read_batch(const uint8_t *data, size_t size)
{
	static uint8_t again[BRINK_MQTT_BATCH_MAX];
	size_t off = 0;
	for (;;) {
		struct brink_mqtt_record rec, canary;
		memset(&rec, 0xa5, sizeof(rec));
		memcpy(&canary, &rec, sizeof(rec));
		size_t before = off;
		enum brink_mqtt_batch_next rc = brink_mqtt_record_next(data, size, &off, &rec);
		if (rc != BRINK_MQTT_BATCH_RECORD) {
			check(off == before && memcmp(&rec, &canary, sizeof(rec)) == 0);
			check(rc != BRINK_MQTT_BATCH_END || off == size);
			return;
		}
		size_t used = off - before;
		check(off > before && off <= size);
		check((const uint8_t *)rec.topic == data + before + BRINK_MQTT_BATCH_HEAD);
		check(rec.payload == (const uint8_t *)rec.topic + rec.topic_len);
		check(brink_mqtt_topic_publishable(rec.topic, rec.topic_len));
		size_t n = brink_mqtt_record_put(rec.topic, rec.topic_len, rec.payload,
						 rec.payload_len, again, sizeof(again));
		if (n) /* 0 only for a record larger than a batch may be */
			check(n == used && memcmp(again, data + before, n) == 0);
	}
}

static void put_back(const uint8_t *data, size_t size)
{
	static uint8_t out[BRINK_MQTT_BATCH_MAX];
	size_t tlen = size ? data[0] % (size < 200 ? size : 200) : 0;
	const char *topic = (const char *)data + (size ? 1 : 0);
	if (size < 1 + tlen)
		return;
	size_t plen = size - 1 - tlen;
	size_t n = brink_mqtt_record_put(topic, tlen, topic + tlen, plen, out, sizeof(out));
	if (!n) {
		check(!brink_mqtt_topic_publishable(topic, tlen) || !brink_mqtt_record_size(tlen, plen));
		return;
	}
	struct brink_mqtt_record rec;
	size_t off = 0;
	check(brink_mqtt_record_next(out, n, &off, &rec) == BRINK_MQTT_BATCH_RECORD);
	check(off == n && rec.topic_len == tlen && rec.payload_len == plen);
	check(memcmp(rec.topic, topic, tlen) == 0 && memcmp(rec.payload, topic + tlen, plen) == 0);
}

/* The records of one encoded PUBLISH, checked against the lines it took. */
static void check_publish(const uint8_t *pkt, const struct brink_mqtt_outbatch *b,
			  const char *topic, const char *lines)
{
	struct brink_mqtt_packet pk;
	struct brink_mqtt_record rec;
	size_t used, off = 0;
	check(brink_mqtt_packet_parse(pkt, b->packet, b->packet, &pk, &used) == BRINK_MQTT_PARSE_OK);
	check(used == b->packet && pk.type == BRINK_MQTT_PKT_PUBLISH && pk.payload_len == b->payload);
	check(pk.topic_len == strlen(BRINK_MQTT_BATCH_OUT) &&
	      memcmp(pk.topic, BRINK_MQTT_BATCH_OUT, pk.topic_len) == 0);
	const char *p = lines, *end = lines + b->used;
	for (uint64_t i = 0; i < b->count; i++) {
		size_t n = brink_mqtt_line_len(p, end);
		check(brink_mqtt_record_next(pk.payload, pk.payload_len, &off, &rec) ==
		      BRINK_MQTT_BATCH_RECORD);
		check(rec.topic_len == strlen(topic) && memcmp(rec.topic, topic, rec.topic_len) == 0);
		check(rec.payload_len == n && memcmp(rec.payload, p, n) == 0);
		p += n + 1;
	}
	check(off == pk.payload_len);
}

static void out_lines(const uint8_t *data, size_t size)
{
	static uint8_t pkt[BRINK_MQTT_BATCH_MAX + 16];
	static const char topic[] = "brink/acme/services/00000000000000ab/out";
	const char *lines = (const char *)data, *end = lines + size;
	struct brink_mqtt_outbatch b;
	while (lines < end) {
		if (!brink_mqtt_outbatch_span(strlen(topic), lines, (size_t)(end - lines), &b)) {
			lines += brink_mqtt_line_len(lines, end) + 1;
			continue;
		}
		check(b.count && b.used && b.used <= (size_t)(end - lines) && b.packet <= sizeof(pkt));
		check(brink_mqtt_outbatch_encode(topic, strlen(topic), lines, &b, pkt) == b.packet);
		check_publish(pkt, &b, topic, lines);
		lines += b.used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_batch(data, size);
	put_back(data, size);
	out_lines(data, size);
	return 0;
}
