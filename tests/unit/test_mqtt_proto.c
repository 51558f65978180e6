/* mqtt/authproto.c: usernames, access rules, topics and the plugin's line
 * protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt/authproto.h"
#include "mqtt/batch.h"

static struct brink_mqtt_who who_of(const char *user)
{
	struct brink_mqtt_who w;
	assert_int_equal(brink_mqtt_who_parse(user, &w), BRINK_MQTT_OK);
	return w;
}

static void test_who(void **state)
{
	(void)state;
	struct brink_mqtt_who w = who_of("acme/roof-1");
	assert_int_equal(w.role, BRINK_MQTT_THING);
	assert_string_equal(w.tenant, "acme");
	assert_string_equal(w.thing, "roof-1");
	w = who_of("acme");
	assert_int_equal(w.role, BRINK_MQTT_TENANT);
	assert_string_equal(w.thing, "");
	assert_int_equal(who_of(":brinkd").role, BRINK_MQTT_INTERNAL);
	static const char *const bad[] = {"", "/", "acme/", "/roof", "a/b/c", "ac me", "a#",
					  "a+/b", ":brinkd2", "acme/ro of", NULL};
	char long_name[200];
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	for (int i = 0; bad[i]; i++) {
		w.role = BRINK_MQTT_THING;
		assert_int_equal(brink_mqtt_who_parse(bad[i], &w), BRINK_MQTT_BAD);
		assert_int_equal(w.role, BRINK_MQTT_THING); /* untouched */
	}
	assert_int_equal(brink_mqtt_who_parse(long_name, &w), BRINK_MQTT_BAD);
}

static void test_service_rules(void **state)
{
	(void)state;
	char user[BRINK_MQTT_USER_MAX + 1], topic[128];
	assert_int_not_equal(brink_mqtt_service_user("acme", 0xabcULL, user, sizeof(user)), 0);
	assert_string_equal(user, ":service/acme/0000000000000abc");
	struct brink_mqtt_who s = who_of(user);
	assert_int_equal(s.role, BRINK_MQTT_SERVICE);
	assert_string_equal(s.tenant, "acme");
	assert_true(s.service == 0xabcULL);
	assert_true(brink_mqtt_allowed(&s, BRINK_MQTT_WRITE, "$brink/out"));
	size_t n = brink_mqtt_service_topic("acme", 0xabcULL, topic, sizeof(topic));
	assert_false(brink_mqtt_allowed(&s, BRINK_MQTT_WRITE, topic)); /* only in batches */
	assert_false(brink_mqtt_allowed(&s, BRINK_MQTT_SUBSCRIBE, "$brink/out"));
	assert_false(brink_mqtt_allowed(&s, BRINK_MQTT_WRITE, "$brink/in"));
	assert_false(brink_mqtt_allowed(&s, BRINK_MQTT_READ, topic));
	assert_false(brink_mqtt_allowed(&s, BRINK_MQTT_WRITE, "brink/acme/things/roof"));
	/* A worker's batch: its own topic only; brinkd's: any but a thing's. */
	char other[128];
	size_t m = brink_mqtt_service_topic("acme", 0xabdULL, other, sizeof(other));
	assert_true(brink_mqtt_output_allowed(topic, n, topic, n));
	assert_false(brink_mqtt_output_allowed(topic, n, other, m));
	assert_false(brink_mqtt_output_allowed(topic, n, "brink/acme/things/roof", 22));
	assert_true(brink_mqtt_output_allowed(NULL, 0, other, m));
	assert_false(brink_mqtt_output_allowed(NULL, 0, "brink/acme/things/roof", 22));
	assert_false(brink_mqtt_output_allowed(NULL, 0, "$SYS/x", 6));
	m = brink_mqtt_service_topic("acmf", 0xabcULL, other, sizeof(other));
	assert_false(brink_mqtt_output_allowed(topic, n, other, m));
	static const char *const bad[] = {
		":service/", ":service/acme", ":service/acme/", ":service//0000000000000abc",
		":service/acme/abc", ":service/acme/0000000000000ABC", ":service/acme/00000000000000abc",
		":service/acme/000000000000 abc", ":service/a b/0000000000000abc",
		":service/acme/0000000000000abc/x", ":servicex/acme/0000000000000abc", NULL};
	for (int i = 0; bad[i]; i++) {
		s.role = BRINK_MQTT_THING;
		assert_int_equal(brink_mqtt_who_parse(bad[i], &s), BRINK_MQTT_BAD);
		assert_int_equal(s.role, BRINK_MQTT_THING);
	}
}

static void test_thing_rules(void **state)
{
	(void)state;
	struct brink_mqtt_who t = who_of("acme/roof");
	assert_true(brink_mqtt_allowed(&t, BRINK_MQTT_WRITE, "brink/acme/things/roof"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_WRITE, "brink/acme/things/door"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_WRITE, "brink/other/things/roof"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_WRITE, "brink/acme/things/roof/x"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_WRITE, "brink/acme/services/1/out"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_SUBSCRIBE, "brink/acme/things/roof"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_SUBSCRIBE, "#"));
	assert_false(brink_mqtt_allowed(&t, BRINK_MQTT_READ, "brink/acme/things/roof"));
	assert_true(brink_mqtt_allowed(&t, BRINK_MQTT_UNSUBSCRIBE, "#"));
}

static void test_tenant_rules(void **state)
{
	(void)state;
	struct brink_mqtt_who a = who_of("acme");
	assert_true(brink_mqtt_allowed(&a, BRINK_MQTT_SUBSCRIBE, "brink/acme/services/+/out"));
	assert_true(brink_mqtt_allowed(&a, BRINK_MQTT_SUBSCRIBE, "brink/acme/services/#"));
	assert_true(brink_mqtt_allowed(&a, BRINK_MQTT_READ, "brink/acme/services/00ab/out"));
	static const char *const refused[] = {
		"#", "+/#", "brink/#", "brink/+/services/+/out", "brink/acme/#",
		"brink/acme/+/x/out", "brink/acme/things/roof", "brink/acme/services/",
		"brink/acme/services", "brink/acmeX/services/1/out", "brink/acm/services/1/out",
		"$SYS/#", "brink/other/services/1/out", NULL};
	for (int i = 0; refused[i]; i++) {
		assert_false(brink_mqtt_allowed(&a, BRINK_MQTT_SUBSCRIBE, refused[i]));
		assert_false(brink_mqtt_allowed(&a, BRINK_MQTT_READ, refused[i]));
	}
	assert_false(brink_mqtt_allowed(&a, BRINK_MQTT_WRITE, "brink/acme/services/1/out"));
	assert_false(brink_mqtt_allowed(&a, BRINK_MQTT_WRITE, "brink/acme/things/roof"));
	struct brink_mqtt_who none = {.role = BRINK_MQTT_NONE};
	assert_false(brink_mqtt_allowed(&none, BRINK_MQTT_UNSUBSCRIBE, "x"));
	assert_true(brink_mqtt_allowed(&(struct brink_mqtt_who){.role = BRINK_MQTT_INTERNAL},
				       BRINK_MQTT_SUBSCRIBE, "brink/+/things/+"));
}

static void test_topics(void **state)
{
	(void)state;
	char buf[128];
	struct brink_mqtt_who w = {.role = BRINK_MQTT_NONE};
	assert_int_equal(brink_mqtt_thing_topic("acme", "roof", buf, sizeof(buf)), 22);
	assert_string_equal(buf, "brink/acme/things/roof");
	assert_int_equal(brink_mqtt_thing_topic_parse(buf, strlen(buf), &w), BRINK_MQTT_OK);
	assert_string_equal(w.tenant, "acme");
	assert_string_equal(w.thing, "roof");
	assert_int_equal(brink_mqtt_thing_topic("acme", "roof", buf, 22), 0);
	static const char *const bad[] = {"brink/acme/things/", "brink//things/roof",
					  "brink/acme/thing/roof", "brink/acme/things/ro/of",
					  "brinks/acme/things/roof", "brink/acme/things/+", NULL};
	for (int i = 0; bad[i]; i++) {
		w.role = BRINK_MQTT_TENANT;
		assert_int_equal(brink_mqtt_thing_topic_parse(bad[i], strlen(bad[i]), &w),
				 BRINK_MQTT_BAD);
		assert_int_equal(w.role, BRINK_MQTT_TENANT);
	}
	assert_int_not_equal(brink_mqtt_service_topic("acme", 0xabcULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "brink/acme/services/0000000000000abc/out");
}

static void test_request_roundtrip(void **state)
{
	(void)state;
	struct brink_mqtt_request rq = {.kind = BRINK_MQTT_AUTH, .seq = 4294967295u}, back;
	char line[BRINK_MQTT_LINE_MAX];
	strcpy(rq.user, "acme/roof");
	strcpy(rq.pass, "k3y-_x");
	size_t n = brink_mqtt_request_format(&rq, line, sizeof(line));
	assert_int_not_equal(n, 0);
	assert_memory_equal(line, "AUTH 4294967295 acme/roof k3y-_x\n", n);
	assert_int_equal(brink_mqtt_request_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.kind, BRINK_MQTT_AUTH);
	assert_int_equal(back.seq, rq.seq);
	assert_string_equal(back.user, "acme/roof");
	assert_string_equal(back.pass, "k3y-_x");
	strcpy(rq.pass, "has space");
	assert_int_equal(brink_mqtt_request_format(&rq, line, sizeof(line)), 0);

	struct brink_mqtt_request d = {.kind = BRINK_MQTT_DENIED, .count = 3, .access = 4};
	strcpy(d.user, "beta");
	brink_mqtt_field_sanitize("brink/a b\n/#", d.topic, sizeof(d.topic));
	assert_string_equal(d.topic, "brink/a?b?/#");
	n = brink_mqtt_request_format(&d, line, sizeof(line));
	assert_memory_equal(line, "DENIED 3 4 beta brink/a?b?/#\n", n);
	assert_int_equal(brink_mqtt_request_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.kind, BRINK_MQTT_DENIED);
	assert_int_equal(back.count, 3);
	assert_int_equal(back.access, 4);
	assert_string_equal(back.topic, "brink/a?b?/#");
	brink_mqtt_field_sanitize("", d.topic, sizeof(d.topic));
	assert_string_equal(d.topic, "-");

	struct brink_mqtt_request wq = {.kind = BRINK_MQTT_WATCH, .watching = true};
	strcpy(wq.user, "acme");
	n = brink_mqtt_request_format(&wq, line, sizeof(line));
	assert_memory_equal(line, "WATCH 1 acme\n", n);
	assert_int_equal(brink_mqtt_request_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.kind, BRINK_MQTT_WATCH);
	assert_true(back.watching);
	assert_string_equal(back.user, "acme");
	assert_int_equal(brink_mqtt_request_parse("WATCH 0 acme", 12, &back), BRINK_MQTT_OK);
	assert_false(back.watching);

	struct brink_mqtt_request bq = {.kind = BRINK_MQTT_BATCH, .length = BRINK_MQTT_BATCH_MAX};
	n = brink_mqtt_request_format(&bq, line, sizeof(line));
	assert_memory_equal(line, "BATCH 262144\n", n);
	assert_int_equal(brink_mqtt_request_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.kind, BRINK_MQTT_BATCH);
	assert_int_equal(back.length, BRINK_MQTT_BATCH_MAX);
	assert_int_equal(brink_mqtt_request_parse("BATCH 0", 7, &back), BRINK_MQTT_OK);
	assert_int_equal(back.length, 0); /* the plugin's hello */
	bq.length++;
	assert_int_equal(brink_mqtt_request_format(&bq, line, sizeof(line)), 0);

	struct brink_mqtt_request dq = {.kind = BRINK_MQTT_DROPPED, .count = 17};
	n = brink_mqtt_request_format(&dq, line, sizeof(line));
	assert_memory_equal(line, "DROPPED 17\n", n);
	assert_int_equal(brink_mqtt_request_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.kind, BRINK_MQTT_DROPPED);
	assert_int_equal(back.count, 17);
	dq.count = 0; /* nothing to report */
	assert_int_equal(brink_mqtt_request_format(&dq, line, sizeof(line)), 0);
}

static void test_request_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "AUTH", "AUTH 1", "AUTH 1 u", "AUTH 1 u p extra", "AUTH  1 u p", "AUTH 1 u p ",
		"auth 1 u p", "AUTH x u p", "AUTH 4294967296 u p", "AUTH 12345678901 u p",
		"AUTH -1 u p", "AUTH 1 u\tx p", "DENIED 0 4 u t", "DENIED 1 16 u t", "DENIED 1 4 u",
		"HELLO 1 u p", "WATCH 2 acme", "WATCH 1", "WATCH 1 a/b", "WATCH 1 acme x",
		"WATCH 01 acme", "BATCH", "BATCH 262145", "BATCH 4294967295", "BATCH -1",
		"BATCH 01", "BATCH 1 2", "BATCH 1 ", "BATCH x", "DROPPED 0", "DROPPED", "DROPPED 1 u",
		NULL};
	struct brink_mqtt_request rq;
	memset(&rq, 0x5a, sizeof(rq));
	for (int i = 0; bad[i]; i++) {
		assert_int_equal(brink_mqtt_request_parse(bad[i], strlen(bad[i]), &rq), BRINK_MQTT_BAD);
		assert_int_equal(((unsigned char *)&rq)[0], 0x5a); /* untouched */
	}
	char big[BRINK_MQTT_LINE_MAX + 10];
	memset(big, 'a', sizeof(big));
	memcpy(big, "AUTH 1 u ", 9);
	assert_int_equal(brink_mqtt_request_parse(big, sizeof(big), &rq), BRINK_MQTT_BAD);
	char nul[] = "AUTH 1 u p\0q";
	assert_int_equal(brink_mqtt_request_parse(nul, sizeof(nul) - 1, &rq), BRINK_MQTT_BAD);
}

/* The plugin's stream as brinkd reads it: a line, a batch that comes in two
 * reads, then a line too long. */
static void test_frames(void **state)
{
	(void)state;
	struct brink_mqtt_reader rd = {0};
	struct brink_mqtt_request rq;
	const char *rec = NULL;
	size_t used, n = 0;
	const char *in = "WATCH 1 acme\nBATCH 5\nabcdeDROPPED 2\n";
	assert_int_equal(brink_mqtt_frame_next(&rd, in, strlen(in), &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_REQUEST);
	assert_int_equal(used, 13);
	assert_int_equal(rq.kind, BRINK_MQTT_WATCH);
	in += used;
	assert_int_equal(brink_mqtt_frame_next(&rd, in, 10, &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_MORE); /* the line taken, 2 of the 5 bytes here */
	assert_int_equal(used, 8);
	assert_int_equal(brink_mqtt_reader_room(&rd), 5);
	in += used;
	assert_int_equal(brink_mqtt_frame_next(&rd, in, strlen(in), &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_BATCH);
	assert_true(rec == in && n == 5 && used == 5);
	in += used;
	assert_int_equal(brink_mqtt_frame_next(&rd, in, strlen(in), &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_REQUEST);
	assert_int_equal(rq.count, 2);
	char junk[BRINK_MQTT_LINE_MAX];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(brink_mqtt_frame_next(&rd, junk, sizeof(junk) - 1, &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_MORE);
	assert_int_equal(brink_mqtt_frame_next(&rd, junk, sizeof(junk), &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_TOO_LONG);
	assert_int_equal(brink_mqtt_frame_next(&rd, "BATCH 262145\n", 13, &used, &rq, &rec, &n),
			 BRINK_MQTT_FRAME_BAD);
	assert_int_equal(used, 13);
}

static void test_answers(void **state)
{
	(void)state;
	char line[64];
	struct brink_mqtt_answer a = {.seq = 7, .role = BRINK_MQTT_TENANT}, back;
	size_t n = brink_mqtt_answer_format(&a, line, sizeof(line));
	assert_memory_equal(line, "7 OK tenant\n", n);
	assert_int_equal(brink_mqtt_answer_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.seq, 7);
	assert_int_equal(back.role, BRINK_MQTT_TENANT);
	a.role = BRINK_MQTT_SERVICE;
	n = brink_mqtt_answer_format(&a, line, sizeof(line));
	assert_memory_equal(line, "7 OK service\n", n);
	assert_int_equal(brink_mqtt_answer_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.role, BRINK_MQTT_SERVICE);
	a.role = BRINK_MQTT_NONE;
	n = brink_mqtt_answer_format(&a, line, sizeof(line));
	assert_memory_equal(line, "7 NO\n", n);
	assert_int_equal(brink_mqtt_answer_parse(line, n - 1, &back), BRINK_MQTT_OK);
	assert_int_equal(back.role, BRINK_MQTT_NONE);
	static const char *const bad[] = {"", "7", "7 OK", "7 OK none", "7 OK thing x",
					  "7 NO x", "x OK thing", "7 YES", "7 OK thing ", NULL};
	for (int i = 0; bad[i]; i++) {
		back.seq = 99;
		assert_int_equal(brink_mqtt_answer_parse(bad[i], strlen(bad[i]), &back), BRINK_MQTT_BAD);
		assert_int_equal(back.seq, 99);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who),
		cmocka_unit_test(test_service_rules),
		cmocka_unit_test(test_thing_rules),
		cmocka_unit_test(test_tenant_rules),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
