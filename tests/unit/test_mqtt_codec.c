/* mqtt/codec.c: MQTT 3.1.1 packets, byte for byte as the OASIS standard
 * (29 October 2014) gives them; section numbers name where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt/codec.h"

#define MAX 4096

/* 2.2.3, Table 2.4 - Size of Remaining Length field: each bound's encoding. */
static void test_remaining_length(void **state)
{
	(void)state;
	static const struct {
		uint32_t v;
		uint8_t bytes[4];
		size_t n;
	} table[] = {
		{0, {0x00}, 1},
		{127, {0x7f}, 1},
		{128, {0x80, 0x01}, 2},
		{16383, {0xff, 0x7f}, 2},
		{16384, {0x80, 0x80, 0x01}, 3},
		{2097151, {0xff, 0xff, 0x7f}, 3},
		{2097152, {0x80, 0x80, 0x80, 0x01}, 4},
		{268435455, {0xff, 0xff, 0xff, 0x7f}, 4},
	};
	uint8_t out[4];
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(brink_mqtt_varint_encode(table[i].v, out), table[i].n);
		assert_memory_equal(out, table[i].bytes, table[i].n);
	}
	assert_int_equal(brink_mqtt_varint_encode(268435456, out), 0);
}

/* 3.1: fixed header 0x10; 3.1.2.1 protocol name 00 04 'M' 'Q' 'T' 'T';
 * 3.1.2.2 level 4; 3.1.2.3 flags (0x80 user name, 0x40 password, 0x02 clean
 * session); 3.1.2.10 keep alive, Figure 3.6 (keep alive 10 = 00 0A); 3.1.3
 * payload: client id, user name, password, each with a 2-byte length. */
static void test_connect(void **state)
{
	(void)state;
	uint8_t out[128];
	struct brink_mqtt_connect c = {"id", ":brinkd", "pw", 10, true};
	static const uint8_t want[] = {0x10, 0x1b, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xc2,
				       0x00, 0x0a, 0x00, 0x02, 'i', 'd', 0x00, 0x07, ':',  'b',
				       'r',  'i',  'n',  'k',  'd', 0x00, 0x02, 'p', 'w'};
	assert_int_equal(brink_mqtt_encode_connect(&c, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	struct brink_mqtt_connect bare = {"x", NULL, NULL, 30, false};
	static const uint8_t want_bare[] = {0x10, 0x0d, 0x00, 0x04, 'M',  'Q',  'T', 'T',
					    0x04, 0x00, 0x00, 0x1e, 0x00, 0x01, 'x'};
	assert_int_equal(brink_mqtt_encode_connect(&bare, out, sizeof(out)), sizeof(want_bare));
	assert_memory_equal(out, want_bare, sizeof(want_bare));
	/* 3.1.2.9: no password without a user name; and it must fit */
	struct brink_mqtt_connect bad = {"x", NULL, "pw", 30, true};
	assert_int_equal(brink_mqtt_encode_connect(&bad, out, sizeof(out)), 0);
	assert_int_equal(brink_mqtt_encode_connect(&c, out, sizeof(want) - 1), 0);
}

/* 3.8: fixed header 0x82 (reserved bits 0010, 3.8.1); packet id; Figure
 * 3.21/3.22: the filter "a/b" as 00 03 'a' '/' 'b', then the requested QoS. */
static void test_subscribe(void **state)
{
	(void)state;
	uint8_t out[64];
	static const uint8_t want[] = {0x82, 0x08, 0x00, 0x0a, 0x00, 0x03, 'a', '/', 'b', 0x00};
	assert_int_equal(brink_mqtt_encode_subscribe(10, "a/b", 0, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(brink_mqtt_encode_subscribe(0, "a/b", 0, out, sizeof(out)), 0); /* 2.3.1 */
	assert_int_equal(brink_mqtt_encode_subscribe(1, "a/b", 3, out, sizeof(out)), 0);
	assert_int_equal(brink_mqtt_encode_subscribe(1, "a/b", 0, out, 9), 0);
}

/* 3.3: 0x30 at QoS 0, not retained; 3.3.2.1 topic name (Figure 3.11: "a/b");
 * no packet id at QoS 0 (3.3.2.2); the payload to the end. */
static void test_publish(void **state)
{
	(void)state;
	uint8_t out[300];
	static const uint8_t want[] = {0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'};
	assert_int_equal(brink_mqtt_publish_size(3, 2), sizeof(want));
	assert_int_equal(brink_mqtt_encode_publish("a/b", 3, "hi", 2, out, sizeof(out)),
			 sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	/* 200 bytes of payload: a two-byte Remaining Length (205 = 0xcd 0x01) */
	char payload[200];
	memset(payload, 'x', sizeof(payload));
	assert_int_equal(brink_mqtt_publish_size(3, 200), 1 + 2 + 205);
	assert_int_equal(brink_mqtt_encode_publish("a/b", 3, payload, 200, out, sizeof(out)), 208);
	assert_int_equal(out[1], 0xcd);
	assert_int_equal(out[2], 0x01);
	assert_int_equal(brink_mqtt_encode_publish("a/b", 3, payload, 200, out, 207), 0);
	assert_int_equal(brink_mqtt_publish_size(65536, 1), 0);
	assert_int_equal(brink_mqtt_publish_size(3, BRINK_MQTT_REMAINING_MAX), 0);
	/* the head alone: the same bytes as far as the payload, which the caller adds */
	assert_int_equal(brink_mqtt_encode_publish_head("a/b", 3, 200, out, sizeof(out)), 8);
	static const uint8_t head[] = {0x30, 0xcd, 0x01, 0x00, 0x03, 'a', '/', 'b'};
	assert_memory_equal(out, head, sizeof(head));
	assert_int_equal(brink_mqtt_encode_publish_head("a/b", 3, 200, out, 7), 0);
	assert_int_equal(brink_mqtt_encode_publish_head("a/b", 3, BRINK_MQTT_REMAINING_MAX, out,
							sizeof(out)), 0);
}

/* 3.4 PUBACK 40 02 id; 3.12 PINGREQ C0 00; 3.14 DISCONNECT E0 00. */
static void test_small_packets(void **state)
{
	(void)state;
	uint8_t out[8];
	static const uint8_t puback[] = {0x40, 0x02, 0x12, 0x34};
	assert_int_equal(brink_mqtt_encode_puback(0x1234, out, sizeof(out)), 4);
	assert_memory_equal(out, puback, 4);
	assert_int_equal(brink_mqtt_encode_pingreq(out, sizeof(out)), 2);
	assert_int_equal(out[0], 0xc0);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(brink_mqtt_encode_disconnect(out, sizeof(out)), 2);
	assert_int_equal(out[0], 0xe0);
	assert_int_equal(out[1], 0x00);
	assert_int_equal(brink_mqtt_encode_pingreq(out, 1), 0);
}

static enum brink_mqtt_parse parse(const uint8_t *b, size_t n, struct brink_mqtt_packet *p,
				   size_t *used)
{
	return brink_mqtt_packet_parse(b, n, MAX, p, used);
}

/* 3.2: CONNACK 20 02, acknowledge flags (3.2.2.2 session present), return
 * code (3.2.2.3: 0 accepted, 4 bad user name or password). */
static void test_parse_connack(void **state)
{
	(void)state;
	struct brink_mqtt_packet p;
	size_t used = 0;
	static const uint8_t ok[] = {0x20, 0x02, 0x00, 0x00};
	assert_int_equal(parse(ok, sizeof(ok), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(used, 4);
	assert_int_equal(p.type, BRINK_MQTT_PKT_CONNACK);
	assert_int_equal(p.return_code, 0);
	assert_false(p.session_present);
	static const uint8_t refused[] = {0x20, 0x02, 0x01, 0x04};
	assert_int_equal(parse(refused, sizeof(refused), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.return_code, 4);
	assert_true(p.session_present);
	assert_string_equal(brink_mqtt_connack_string(4), "bad user name or password");
	static const uint8_t reserved[] = {0x20, 0x02, 0x02, 0x00}; /* 3.2.2.1: bits 7-1 are 0 */
	assert_int_equal(parse(reserved, 4, &p, &used), BRINK_MQTT_PARSE_E_FLAGS);
	static const uint8_t flags[] = {0x21, 0x02, 0x00, 0x00}; /* 2.2.2: CONNACK's are 0000 */
	assert_int_equal(parse(flags, 4, &p, &used), BRINK_MQTT_PARSE_E_FLAGS);
	static const uint8_t shape[] = {0x20, 0x03, 0x00, 0x00, 0x00};
	assert_int_equal(parse(shape, 5, &p, &used), BRINK_MQTT_PARSE_E_SHAPE);
	/* every shorter prefix needs more bytes */
	for (size_t n = 0; n < sizeof(ok); n++)
		assert_int_equal(parse(ok, n, &p, &used), BRINK_MQTT_PARSE_MORE);
}

/* 3.9: SUBACK 90, packet id, return codes; Figure 3.26: 00 02 80 (QoS 0,
 * QoS 2, failure); 3.9.3: any other code is malformed. */
static void test_parse_suback(void **state)
{
	(void)state;
	struct brink_mqtt_packet p;
	size_t used = 0;
	static const uint8_t ok[] = {0x90, 0x05, 0x00, 0x0a, 0x00, 0x02, 0x80};
	assert_int_equal(parse(ok, sizeof(ok), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.type, BRINK_MQTT_PKT_SUBACK);
	assert_int_equal(p.packet_id, 10);
	assert_int_equal(p.return_code, 0);
	static const uint8_t failed[] = {0x90, 0x03, 0x00, 0x01, 0x80};
	assert_int_equal(parse(failed, sizeof(failed), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.return_code, 0x80);
	static const uint8_t bad_code[] = {0x90, 0x03, 0x00, 0x01, 0x03};
	assert_int_equal(parse(bad_code, 5, &p, &used), BRINK_MQTT_PARSE_E_SHAPE);
	static const uint8_t no_code[] = {0x90, 0x02, 0x00, 0x01};
	assert_int_equal(parse(no_code, 4, &p, &used), BRINK_MQTT_PARSE_E_SHAPE);
}

/* 3.3: PUBLISH at QoS 0 (30) and at QoS 1 (32: packet id after the topic,
 * Figure 3.11 "a/b" id 10); RETAIN (3.3.1.3) and DUP (3.3.1.1) flags. */
static void test_parse_publish(void **state)
{
	(void)state;
	struct brink_mqtt_packet p;
	size_t used = 0;
	static const uint8_t q0[] = {0x31, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i', 0xd0, 0x00};
	assert_int_equal(parse(q0, sizeof(q0), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(used, 9); /* the PINGRESP after it is the next packet */
	assert_int_equal(p.type, BRINK_MQTT_PKT_PUBLISH);
	assert_int_equal(p.qos, 0);
	assert_true(p.retain);
	assert_int_equal(p.topic_len, 3);
	assert_memory_equal(p.topic, "a/b", 3);
	assert_int_equal(p.payload_len, 2);
	assert_memory_equal(p.payload, "hi", 2);
	static const uint8_t q1[] = {0x3a, 0x08, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0a, '!'};
	assert_int_equal(parse(q1, sizeof(q1), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.qos, 1);
	assert_true(p.dup);
	assert_int_equal(p.packet_id, 10);
	assert_int_equal(p.payload_len, 1);
	static const uint8_t empty[] = {0x30, 0x05, 0x00, 0x03, 'a', '/', 'b'};
	assert_int_equal(parse(empty, sizeof(empty), &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.payload_len, 0);
}

static void expect_error(const uint8_t *b, size_t n, enum brink_mqtt_parse want)
{
	struct brink_mqtt_packet p, canary;
	size_t used = 77;
	memset(&p, 0x5a, sizeof(p));
	memcpy(&canary, &p, sizeof(p));
	assert_int_equal(brink_mqtt_packet_parse(b, n, MAX, &p, &used), want);
	assert_memory_equal(&p, &canary, sizeof(p)); /* nothing changed */
	assert_int_equal(used, 77);
	assert_non_null(brink_mqtt_parse_strerror(want));
}

static void test_parse_errors(void **state)
{
	(void)state;
	/* 2.2.3: at most four length bytes */
	static const uint8_t len5[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x7f};
	expect_error(len5, sizeof(len5), BRINK_MQTT_PARSE_E_LENGTH);
	/* 2.2.1: CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT, PUBREC, 0 and 15 go to servers or are reserved */
	static const uint8_t types[] = {0x10, 0x82, 0xc0, 0xe0, 0x50, 0x00, 0xf0};
	for (size_t i = 0; i < sizeof(types); i++) {
		uint8_t b[2] = {types[i], 0x00};
		expect_error(b, 2, BRINK_MQTT_PARSE_E_TYPE);
	}
	static const uint8_t ping_flags[] = {0xd1, 0x00};
	expect_error(ping_flags, 2, BRINK_MQTT_PARSE_E_FLAGS);
	static const uint8_t ping_len[] = {0xd0, 0x01, 0x00};
	expect_error(ping_len, 3, BRINK_MQTT_PARSE_E_SHAPE);
	/* 3.3.1.2: QoS 3 is malformed; QoS 2 is never subscribed for */
	static const uint8_t q3[] = {0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01};
	expect_error(q3, sizeof(q3), BRINK_MQTT_PARSE_E_QOS);
	static const uint8_t q2[] = {0x34, 0x05, 0x00, 0x01, 'a', 0x00, 0x01};
	expect_error(q2, sizeof(q2), BRINK_MQTT_PARSE_E_QOS);
	/* topic length beyond the packet; empty (4.7.3); a wildcard (3.3.2.1); NUL (1.5.3) */
	static const uint8_t over[] = {0x30, 0x04, 0x00, 0x05, 'a', 'b'};
	expect_error(over, sizeof(over), BRINK_MQTT_PARSE_E_TOPIC);
	static const uint8_t none[] = {0x30, 0x03, 0x00, 0x00, 'x'};
	expect_error(none, sizeof(none), BRINK_MQTT_PARSE_E_TOPIC);
	static const uint8_t wild[] = {0x30, 0x05, 0x00, 0x03, 'a', '/', '#'};
	expect_error(wild, sizeof(wild), BRINK_MQTT_PARSE_E_TOPIC);
	static const uint8_t nul[] = {0x30, 0x05, 0x00, 0x03, 'a', 0, 'b'};
	expect_error(nul, sizeof(nul), BRINK_MQTT_PARSE_E_TOPIC);
	/* a QoS 1 PUBLISH without room for its packet id, or with id 0 (2.3.1) */
	static const uint8_t no_id[] = {0x32, 0x04, 0x00, 0x02, 'a', 'b'};
	expect_error(no_id, sizeof(no_id), BRINK_MQTT_PARSE_E_TOPIC);
	static const uint8_t id0[] = {0x32, 0x06, 0x00, 0x02, 'a', 'b', 0x00, 0x00};
	expect_error(id0, sizeof(id0), BRINK_MQTT_PARSE_E_SHAPE);
	static const uint8_t short_pub[] = {0x30, 0x01, 0x00};
	expect_error(short_pub, sizeof(short_pub), BRINK_MQTT_PARSE_E_SHAPE);
}

/* A packet longer than the maximum: its whole length to skip, whatever of
 * it is there yet; one at the maximum parses. */
static void test_parse_too_big(void **state)
{
	(void)state;
	struct brink_mqtt_packet p;
	size_t used = 0;
	uint8_t b[MAX + 8] = {0x30};
	/* Remaining Length 4094: 1 + 2 + 4094 = 4097 bytes, one past MAX */
	b[1] = 0xfe;
	b[2] = 0x1f;
	assert_int_equal(parse(b, 3, &p, &used), BRINK_MQTT_PARSE_TOO_BIG);
	assert_int_equal(used, 4097);
	/* 4093: exactly MAX, incomplete, then complete */
	b[1] = 0xfd;
	b[3] = 0x00;
	b[4] = 0x01;
	b[5] = 't';
	assert_int_equal(parse(b, 100, &p, &used), BRINK_MQTT_PARSE_MORE);
	assert_int_equal(parse(b, MAX, &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(used, MAX);
	assert_int_equal(p.payload_len, MAX - 6);
	/* the largest Remaining Length there is */
	static const uint8_t huge[] = {0x30, 0xff, 0xff, 0xff, 0x7f};
	assert_int_equal(parse(huge, sizeof(huge), &p, &used), BRINK_MQTT_PARSE_TOO_BIG);
	assert_int_equal(used, 1 + 4 + 268435455u);
}

/* What the encoders make, the parser reads back (a server's PUBLISH is the
 * same packet as a client's). */
static void test_round_trip(void **state)
{
	(void)state;
	uint8_t out[64];
	struct brink_mqtt_packet p;
	size_t used = 0;
	size_t n = brink_mqtt_encode_publish("brink/t/things/x", 16, "{\"v\":1}", 7, out,
					     sizeof(out));
	assert_int_equal(parse(out, n, &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(used, n);
	assert_memory_equal(p.topic, "brink/t/things/x", 16);
	assert_memory_equal(p.payload, "{\"v\":1}", 7);
	n = brink_mqtt_encode_puback(7, out, sizeof(out));
	assert_int_equal(parse(out, n, &p, &used), BRINK_MQTT_PARSE_OK);
	assert_int_equal(p.type, BRINK_MQTT_PKT_PUBACK);
	assert_int_equal(p.packet_id, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remaining_length), cmocka_unit_test(test_connect),
		cmocka_unit_test(test_subscribe),        cmocka_unit_test(test_publish),
		cmocka_unit_test(test_small_packets),    cmocka_unit_test(test_parse_connack),
		cmocka_unit_test(test_parse_suback),     cmocka_unit_test(test_parse_publish),
		cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_parse_too_big),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
