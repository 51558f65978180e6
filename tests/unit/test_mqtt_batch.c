/* mqtt/batch.c: the records brink's plugin and brinkd's client put in one
 * PUBLISH (u16 topic length, u32 payload length, big-endian; topic; payload). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt/batch.h"

static size_t put(const char *topic, const char *payload, uint8_t *out, size_t cap)
{
	return brink_mqtt_record_put(topic, strlen(topic), payload, strlen(payload), out, cap);
}

/* One record, byte for byte. */
static void test_record_bytes(void **state)
{
	(void)state;
	uint8_t out[64];
	static const uint8_t want[] = {0, 3, 0, 0, 0, 2, 'a', '/', 'b', 'h', 'i'};
	assert_int_equal(brink_mqtt_record_size(3, 2), sizeof(want));
	assert_int_equal(put("a/b", "hi", out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(put("a/b", "hi", out, sizeof(want) - 1), 0); /* no room */
}

/* Records in a row read back in order, then END; an empty batch is END. */
static void test_round_trip(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t len = 0, off = 0;
	struct brink_mqtt_record rec;
	len += put("brink/t/things/a", "{\"v\":1}", buf + len, sizeof(buf) - len);
	len += put("brink/t/things/b", "", buf + len, sizeof(buf) - len);
	len += put("x", "{\"v\":3}", buf + len, sizeof(buf) - len);
	assert_int_equal(brink_mqtt_record_next(buf, len, &off, &rec), BRINK_MQTT_BATCH_RECORD);
	assert_int_equal(rec.topic_len, 16);
	assert_memory_equal(rec.topic, "brink/t/things/a", 16);
	assert_int_equal(rec.payload_len, 7);
	assert_memory_equal(rec.payload, "{\"v\":1}", 7);
	assert_int_equal(brink_mqtt_record_next(buf, len, &off, &rec), BRINK_MQTT_BATCH_RECORD);
	assert_int_equal(rec.payload_len, 0);
	assert_int_equal(brink_mqtt_record_next(buf, len, &off, &rec), BRINK_MQTT_BATCH_RECORD);
	assert_memory_equal(rec.topic, "x", 1);
	assert_int_equal(off, len);
	assert_int_equal(brink_mqtt_record_next(buf, len, &off, &rec), BRINK_MQTT_BATCH_END);
	off = 0;
	assert_int_equal(brink_mqtt_record_next(buf, 0, &off, &rec), BRINK_MQTT_BATCH_END);
}

/* Every cut of a record short of its end is a SHAPE error that moves nothing;
 * lengths that pass the batch's end, too. */
static void test_cut_short(void **state)
{
	(void)state;
	uint8_t buf[64];
	size_t len = put("a/b", "hello", buf, sizeof(buf));
	struct brink_mqtt_record rec = {0};
	for (size_t cut = 1; cut < len; cut++) {
		size_t off = 0;
		assert_int_equal(brink_mqtt_record_next(buf, cut, &off, &rec), BRINK_MQTT_BATCH_E_SHAPE);
		assert_int_equal(off, 0);
		assert_null(rec.topic);
	}
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'};
	size_t off = 0;
	assert_int_equal(brink_mqtt_record_next(huge, sizeof(huge), &off, &rec),
			 BRINK_MQTT_BATCH_E_SHAPE);
	static const uint8_t payload_past[] = {0, 1, 0xff, 0xff, 0xff, 0xff, 'a', 'b'};
	assert_int_equal(brink_mqtt_record_next(payload_past, sizeof(payload_past), &off, &rec),
			 BRINK_MQTT_BATCH_E_SHAPE);
}

/* A topic a broker cannot publish on is refused both ways. */
static void test_topics(void **state)
{
	(void)state;
	uint8_t buf[64];
	static const char *bad[] = {"", "a/+", "a/#", "#"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(put(bad[i], "x", buf, sizeof(buf)), 0);
	assert_int_equal(brink_mqtt_record_put("a\0b", 3, "x", 1, buf, sizeof(buf)), 0);
	static const uint8_t wild[] = {0, 3, 0, 0, 0, 0, 'a', '/', '#'};
	static const uint8_t empty[] = {0, 0, 0, 0, 0, 1, 'x'};
	struct brink_mqtt_record rec;
	size_t off = 0;
	assert_int_equal(brink_mqtt_record_next(wild, sizeof(wild), &off, &rec),
			 BRINK_MQTT_BATCH_E_TOPIC);
	assert_int_equal(brink_mqtt_record_next(empty, sizeof(empty), &off, &rec),
			 BRINK_MQTT_BATCH_E_TOPIC);
	assert_int_equal(off, 0);
	assert_false(brink_mqtt_topic_publishable("a\0", 2));
	assert_true(brink_mqtt_topic_publishable("brink/t/services/1/out", 22));
}

/* The bounds: a topic up to 65535 bytes, a record up to BATCH_MAX. */
static void test_limits(void **state)
{
	(void)state;
	assert_int_equal(brink_mqtt_record_size(65535, 0), BRINK_MQTT_BATCH_HEAD + 65535);
	assert_int_equal(brink_mqtt_record_size(65536, 0), 0);
	size_t most = BRINK_MQTT_BATCH_MAX - BRINK_MQTT_BATCH_HEAD - 1;
	assert_int_equal(brink_mqtt_record_size(1, most), BRINK_MQTT_BATCH_MAX);
	assert_int_equal(brink_mqtt_record_size(1, most + 1), 0);
	assert_int_equal(brink_mqtt_record_size(1, SIZE_MAX), 0);
	/* a reading cut to READING_MAX still fits a batch beside a topic */
	assert_int_not_equal(brink_mqtt_record_size(300, BRINK_MQTT_BATCH_READING_MAX), 0);
	uint8_t *payload = calloc(1, most), *out = malloc(BRINK_MQTT_BATCH_MAX);
	assert_non_null(payload);
	assert_non_null(out);
	assert_int_equal(brink_mqtt_record_put("t", 1, payload, most, out, BRINK_MQTT_BATCH_MAX),
			 BRINK_MQTT_BATCH_MAX);
	free(payload);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_bytes), cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cut_short),    cmocka_unit_test(test_topics),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
