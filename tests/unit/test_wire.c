/* The brinkd <-> worker framing: encoders, the bounded parser, batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brink/wire.h"

static void test_roundtrip_fixed(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct brink_wire_frame f;
	size_t used;
	struct brink_wire_cpu c = {25000, 100000}, c2;
	size_t n = brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU_ACK, &c);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE + 8);
	assert_int_equal(brink_wire_parse(buf, n, &f, &used), BRINK_WIRE_OK);
	assert_int_equal(used, n);
	assert_int_equal(f.type, BRINK_WIRE_CPU_ACK);
	assert_int_equal(brink_wire_cpu_decode(&f, &c2), BRINK_WIRE_OK);
	assert_int_equal(c2.quota_us, 25000);
	assert_int_equal(c2.period_us, 100000);

	struct brink_wire_ready r = {BRINK_WIRE_F_SECCOMP, BRINK_WIRE_MAX_FRAME}, r2;
	n = brink_wire_encode_ready(buf, sizeof(buf), &r);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_ready_decode(&f, &r2), BRINK_WIRE_OK);
	assert_int_equal(r2.features, BRINK_WIRE_F_SECCOMP);
	assert_int_equal(r2.max_frame, BRINK_WIRE_MAX_FRAME);
	/* A READY is not a CPU frame. */
	assert_int_equal(brink_wire_cpu_decode(&f, &c2), BRINK_WIRE_BAD_PAYLOAD);

	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(f.type, BRINK_WIRE_STOP);
	assert_int_equal(f.length, 0);
}

static void test_little_endian_layout(void **state)
{
	(void)state;
	uint8_t buf[16];
	struct brink_wire_cpu c = {0x01020304, 100000};
	assert_int_equal(brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU, &c), 16);
	const uint8_t want[] = {BRINK_WIRE_MAGIC, BRINK_WIRE_VERSION, BRINK_WIRE_CPU, 0, 8, 0, 0, 0,
				0x04, 0x03, 0x02, 0x01, 0xa0, 0x86, 0x01, 0x00};
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_truncated(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct brink_wire_frame f;
	size_t used = 77;
	struct brink_wire_cpu c = {1000, 100000};
	size_t n = brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU, &c);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(brink_wire_parse(buf, k, &f, &used), BRINK_WIRE_TRUNCATED);
		assert_int_equal(brink_wire_parse_msg(buf, k, &f), BRINK_WIRE_TRUNCATED);
	}
	assert_int_equal(used, 77); /* untouched on failure */
}

static void test_bad_headers(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct brink_wire_frame f;
	size_t n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
	buf[0] ^= 0xff;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_MAGIC);
	buf[0] ^= 0xff;
	buf[1] = 2;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_VERSION);
	buf[1] = BRINK_WIRE_VERSION;
	buf[2] = 0;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_TYPE);
	buf[2] = BRINK_WIRE_TYPE_COUNT;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_TYPE);
	buf[2] = BRINK_WIRE_STOP;
	buf[3] = 1; /* flags are reserved */
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_TYPE);
	buf[3] = 0;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
}

static void test_oversize(void **state)
{
	(void)state;
	uint8_t hdr[BRINK_WIRE_HDR_SIZE] = {BRINK_WIRE_MAGIC, BRINK_WIRE_VERSION, BRINK_WIRE_RECORDS,
					    0, 0xf9, 0xff, 0, 0};
	struct brink_wire_frame f;
	size_t used;
	/* 0xfff9 = MAX_PAYLOAD + 1: refused before any payload is looked at. */
	assert_int_equal(BRINK_WIRE_MAX_PAYLOAD + 1, 0xfff9);
	assert_int_equal(brink_wire_parse(hdr, sizeof(hdr), &f, &used), BRINK_WIRE_TOO_LARGE);
	hdr[7] = 0xff; /* ~4 GiB */
	assert_int_equal(brink_wire_parse(hdr, sizeof(hdr), &f, &used), BRINK_WIRE_TOO_LARGE);
	static uint8_t big[BRINK_WIRE_MAX_FRAME + 16];
	assert_int_equal(brink_wire_encode(big, sizeof(big), BRINK_WIRE_RECORDS, big,
					   BRINK_WIRE_MAX_PAYLOAD + 1), 0);
	assert_int_equal(brink_wire_encode(big, 8, BRINK_WIRE_STOP, NULL, 0), 8);
	assert_int_equal(brink_wire_encode(big, 7, BRINK_WIRE_STOP, NULL, 0), 0);
	assert_int_equal(brink_wire_encode(big, sizeof(big), BRINK_WIRE_TYPE_COUNT, NULL, 0), 0);
}

static void test_payload_sizes(void **state)
{
	(void)state;
	uint8_t buf[64], pl[16] = {0};
	struct brink_wire_frame f;
	struct brink_wire_cpu c;
	size_t n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_CPU, pl, 7);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, pl, 1);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	/* A CPU frame with period 0 parses but does not decode. */
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_CPU, pl, 8);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_cpu_decode(&f, &c), BRINK_WIRE_BAD_PAYLOAD);
}

static void test_stream_and_trailing(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct brink_wire_frame f;
	size_t used;
	struct brink_wire_cpu c = {5000, 100000};
	size_t a = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
	size_t b = brink_wire_encode_cpu(buf + a, sizeof(buf) - a, BRINK_WIRE_CPU, &c);
	assert_int_equal(brink_wire_parse(buf, a + b, &f, &used), BRINK_WIRE_OK);
	assert_int_equal(used, a);
	assert_int_equal(f.type, BRINK_WIRE_STOP);
	assert_int_equal(brink_wire_parse(buf + used, a + b - used, &f, &used), BRINK_WIRE_OK);
	assert_int_equal(f.type, BRINK_WIRE_CPU);
	/* One datagram must be one frame. */
	assert_int_equal(brink_wire_parse_msg(buf, a + b, &f), BRINK_WIRE_TRAILING);
}

static void test_batch(void **state)
{
	(void)state;
	static uint8_t buf[BRINK_WIRE_MAX_FRAME];
	struct brink_wire_batch b;
	const char *reading = "{\"t\":21.5,\"h\":40}";
	uint32_t len = (uint32_t)strlen(reading);
	assert_int_equal(brink_wire_batch_begin(&b, buf, sizeof(buf), BRINK_WIRE_STOP),
			 BRINK_WIRE_BAD_TYPE);
	assert_int_equal(brink_wire_batch_begin(&b, buf, sizeof(buf), BRINK_WIRE_RECORDS),
			 BRINK_WIRE_OK);
	uint32_t count = 0;
	while (brink_wire_batch_add(&b, count, 1000 + count, reading, len) == BRINK_WIRE_OK)
		count++;
	/* Many readings fit in one frame. */
	assert_true(count > 1000);
	size_t n = brink_wire_batch_end(&b);
	assert_true(n <= BRINK_WIRE_MAX_FRAME);

	struct brink_wire_frame f;
	struct brink_wire_record_iter it;
	struct brink_wire_record r;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_records_begin(&f, &it), BRINK_WIRE_OK);
	uint32_t seen = 0;
	while (brink_wire_records_next(&it, &r) == BRINK_WIRE_OK) {
		assert_int_equal(r.seq, seen);
		assert_int_equal(r.time_ns, 1000 + seen);
		assert_int_equal(r.length, len);
		assert_memory_equal(r.data, reading, len);
		seen++;
	}
	assert_int_equal(seen, count);
	assert_int_equal(brink_wire_records_next(&it, &r), BRINK_WIRE_END);
}

static void test_batch_corrupt(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct brink_wire_batch b;
	struct brink_wire_frame f;
	assert_int_equal(brink_wire_batch_begin(&b, buf, sizeof(buf), BRINK_WIRE_RESULTS),
			 BRINK_WIRE_OK);
	assert_int_equal(brink_wire_batch_add(&b, 1, 2, "abc", 3), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_batch_add(&b, 2, 3, "", 0), BRINK_WIRE_OK);
	size_t n = brink_wire_batch_end(&b);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	/* A record length running past the frame. */
	buf[BRINK_WIRE_HDR_SIZE + 4 + 16] = 200;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	buf[BRINK_WIRE_HDR_SIZE + 4 + 16] = 3;
	/* A count larger than the records present. */
	buf[BRINK_WIRE_HDR_SIZE] = 3;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	/* A huge count is refused up front. */
	buf[BRINK_WIRE_HDR_SIZE + 3] = 0xff;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	/* Fewer records than bytes: trailing garbage inside the payload. */
	buf[BRINK_WIRE_HDR_SIZE + 3] = 0;
	buf[BRINK_WIRE_HDR_SIZE] = 1;
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	/* A batch payload shorter than its count field. */
	uint8_t tiny[BRINK_WIRE_HDR_SIZE + 2];
	size_t t = brink_wire_encode(tiny, sizeof(tiny), BRINK_WIRE_RECORDS, "\0\0", 2);
	assert_int_equal(brink_wire_parse_msg(tiny, t, &f), BRINK_WIRE_BAD_PAYLOAD);
}

static void test_client(void **state)
{
	(void)state;
	uint8_t buf[64], pl[24] = {0};
	struct brink_wire_frame f;
	uint64_t id = 0;
	size_t n = brink_wire_encode_u64(buf, sizeof(buf), BRINK_WIRE_CLIENT, 0x0102030405060708ull);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE + 8);
	assert_int_equal(buf[BRINK_WIRE_HDR_SIZE], 0x08); /* little-endian */
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_OK);
	assert_true(id == 0x0102030405060708ull);
	n = brink_wire_encode_u64(buf, sizeof(buf), BRINK_WIRE_CLIENT_GONE, 7);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(f.type, BRINK_WIRE_CLIENT_GONE);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_OK);
	assert_true(id == 7);
	/* Only the two client types, only 8 bytes. */
	assert_int_equal(brink_wire_encode_u64(buf, sizeof(buf), BRINK_WIRE_STOP, 7), 0);
	assert_int_equal(brink_wire_encode_u64(buf, 15, BRINK_WIRE_CLIENT, 7), 0);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_CLIENT, pl, 9);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_CLIENT_GONE, pl, 0);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	struct brink_wire_cpu c = {1000, 100000};
	n = brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU, &c);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_BAD_PAYLOAD);
	n = brink_wire_encode_u64(buf, sizeof(buf), BRINK_WIRE_TAP, 1);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_OK);
	assert_true(id == 1);
	struct brink_wire_output o = {1234, 56, 78, 9}, back = {0, 0, 0, 0};
	n = brink_wire_encode_output(buf, sizeof(buf), &o);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE + 32);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_output_decode(&f, &back), BRINK_WIRE_OK);
	assert_true(back.lines == 1234 && back.lost == 56 && back.mqtt == 78 && back.mqtt_lost == 9);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_BAD_PAYLOAD);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_OUTPUT, pl, 16); /* an old size */
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_OUTPUT, pl, 24); /* the last size */
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	assert_string_equal(brink_wire_type_name(BRINK_WIRE_CLIENT_GONE), "CLIENT_GONE");
	assert_string_equal(brink_wire_type_name(BRINK_WIRE_OUTPUT), "OUTPUT");
}

static void test_mqtt(void **state)
{
	(void)state;
	uint8_t buf[BRINK_WIRE_HDR_SIZE + 8 + BRINK_WIRE_TOPIC_MAX + 8], pl[16] = {0};
	char topic[BRINK_WIRE_TOPIC_MAX + 1], long_topic[BRINK_WIRE_TOPIC_MAX + 2];
	struct brink_wire_frame f;
	uint64_t id = 0;
	const char *svc = "brink/acme/services/00000000000000ab/out";
	size_t n = brink_wire_encode_mqtt(buf, sizeof(buf), 42, svc);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE + 8 + 40);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_mqtt_decode(&f, &id, topic), BRINK_WIRE_OK);
	assert_true(id == 42);
	assert_string_equal(topic, svc);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_BAD_PAYLOAD);
	memset(long_topic, 'a', sizeof(long_topic) - 1);
	long_topic[sizeof(long_topic) - 1] = '\0';
	static const char *const bad[] = {"", "a b", "a/+/b", "a/#", "a\x01", "a\x7f", NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(brink_wire_encode_mqtt(buf, sizeof(buf), 1, bad[i]), 0);
	assert_int_equal(brink_wire_encode_mqtt(buf, sizeof(buf), 1, long_topic), 0);
	long_topic[BRINK_WIRE_TOPIC_MAX] = '\0'; /* the longest that goes */
	n = brink_wire_encode_mqtt(buf, sizeof(buf), 1, long_topic);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(brink_wire_mqtt_decode(&f, &id, topic), BRINK_WIRE_OK);
	assert_int_equal(strlen(topic), BRINK_WIRE_TOPIC_MAX);
	/* An id alone, or a topic with a space, is refused by the parser. */
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_MQTT, pl, 8);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	memcpy(pl + 8, "ab cd", 5);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_MQTT, pl, 13);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	assert_string_equal(brink_wire_type_name(BRINK_WIRE_MQTT), "MQTT");
	/* MQTT_GO: the connection's id, 8 bytes exactly. */
	n = brink_wire_encode_u64(buf, sizeof(buf), BRINK_WIRE_MQTT_GO, 42);
	assert_int_equal(n, BRINK_WIRE_HDR_SIZE + 8);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_OK);
	assert_int_equal(f.type, BRINK_WIRE_MQTT_GO);
	assert_int_equal(brink_wire_u64_decode(&f, &id), BRINK_WIRE_OK);
	assert_true(id == 42);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_MQTT_GO, pl, 9);
	assert_int_equal(brink_wire_parse_msg(buf, n, &f), BRINK_WIRE_BAD_PAYLOAD);
	assert_string_equal(brink_wire_type_name(BRINK_WIRE_MQTT_GO), "MQTT_GO");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(brink_wire_type_name(BRINK_WIRE_READY), "READY");
	assert_string_equal(brink_wire_type_name(200), "?");
	assert_string_equal(brink_wire_status_name(BRINK_WIRE_TRUNCATED), "truncated");
	assert_string_equal(brink_wire_status_name((enum brink_wire_status)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_fixed),
		cmocka_unit_test(test_mqtt),
		cmocka_unit_test(test_little_endian_layout),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_payload_sizes),
		cmocka_unit_test(test_stream_and_trailing),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_corrupt),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
