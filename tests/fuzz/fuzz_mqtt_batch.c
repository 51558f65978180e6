/* libFuzzer harness for the batches between brink's plugin and brinkd
 * (src/mqtt/batch.c).
 *
 * The input is read as a batch's payload, record after record, as brinkd's
 * client and the plugin read one: every record must lie within the input,
 * with a topic the broker can publish on, and put back must give the same
 * bytes; an error must leave the offset and the record untouched. The input
 * is also cut into a topic and a payload, put as a record and read back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/batch.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_batch(data, size);
	put_back(data, size);
	return 0;
}
