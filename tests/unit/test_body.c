#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "api/body.h"

static enum brink_body_status svc(const char *json, struct brink_spec *sp, char *msg)
{
	return brink_body_service(json, strlen(json), sp, msg, 256);
}

static void a_full_analyze_body(void **state)
{
	struct brink_spec sp;
	char msg[256];
	(void)state;
	assert_int_equal(svc("{\"kind\":\"analyze\",\"name\":\"a\",\"cpu\":{\"min\":0.25,\"max\":1},"
			     "\"memory_mb\":128,\"things\":[\"0123456789abcdef\"],\"model\":\"m1\","
			     "\"columns\":[\"temp\",\"hum\"],\"mode\":\"batch\",\"batch\":10}",
			     &sp, msg),
			 BRINK_BODY_OK);
	assert_int_equal(sp.kind, BRINK_KIND_ANALYZE);
	assert_true(sp.cpu_min == 0.25 && sp.cpu_max == 1);
	assert_int_equal(sp.memory_mb, 128);
	assert_false(sp.all_things);
	assert_int_equal(sp.nthings, 1);
	assert_string_equal(sp.things[0], "0123456789abcdef");
	assert_int_equal(sp.ncolumns, 2);
	assert_string_equal(sp.columns[1], "hum");
	assert_int_equal(sp.mode, BRINK_MODE_BATCH);
	assert_int_equal(sp.batch, 10);
	brink_spec_free(&sp);
}

static void defaults_when_absent(void **state)
{
	struct brink_spec sp;
	char msg[256];
	(void)state;
	assert_int_equal(svc("{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":2}}", &sp, msg),
			 BRINK_BODY_OK);
	assert_true(sp.all_things);
	assert_int_equal(sp.memory_mb, 0);
	assert_string_equal(sp.runtime, "");
	assert_int_equal(sp.mode, BRINK_MODE_DATUM);
	brink_spec_free(&sp);
}

static void refusals_name_the_problem(void **state)
{
	static const struct {
		const char *json;
		enum brink_body_status st;
		const char *needle;
	} cases[] = {
		{"{", BRINK_BODY_MALFORMED, "malformed"},
		{"[1]", BRINK_BODY_MALFORMED, "object"},
		{"{\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "'kind' is required"},
		{"{\"kind\":\"forward\",\"cpu\":{\"min\":1,\"max\":0.5}}", BRINK_BODY_INVALID, "greater"},
		{"{\"kind\":\"forward\",\"cpu\":{\"min\":-1,\"max\":0.5}}", BRINK_BODY_INVALID, ">= 0"},
		{"{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":1},\"x\":1}", BRINK_BODY_INVALID, "unknown field 'x'"},
		{"{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":1},\"things\":[\"a\",\"a\"]}", BRINK_BODY_INVALID, "not valid"},
		{"{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":1},\"things\":[\"0123456789abcdef\",\"0123456789abcdef\"]}", BRINK_BODY_INVALID, "repeats"},
		{"{\"kind\":\"custom\",\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "'image' is required"},
		{"{\"kind\":\"custom\",\"image\":\"-rf\",\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "image"},
		{"{\"kind\":\"custom\",\"image\":\"a\",\"container_ports\":[0],\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "port"},
		{"{\"kind\":\"forward\",\"batch\":3,\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "analyze only"},
		{"{\"kind\":\"analyze\",\"batch\":0,\"cpu\":{\"min\":0,\"max\":1}}", BRINK_BODY_INVALID, "between"},
	};
	char msg[256];
	struct brink_spec sp;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg[0] = '\0';
		assert_int_equal(svc(cases[i].json, &sp, msg), cases[i].st);
		if (!strstr(msg, cases[i].needle))
			fail_msg("case %zu: '%s' does not contain '%s'", i, msg, cases[i].needle);
	}
}

/* "columns" as ECM's literal, as an object of positions, and refusals. */
static void column_forms(void **state)
{
	static const char *const ok[] = {
		"\"{1:'temp',2:'hum'}\"", "\"{2:'hum', 1:\\\"temp\\\",}\"", "{\"2\":\"hum\",\"1\":\"temp\"}",
		"[\"temp\",\"hum\"]",
	};
	static const struct {
		const char *cols, *msg;
	} bad[] = {
		{"\"{1:'temp',3:'hum'}\"", "position 2 is missing"},
		{"\"{1:'temp',1:'hum'}\"", "given twice"},
		{"\"{1:'temp',2:'temp'}\"", "'temp' is given twice"},
		{"\"{1:'te mp'}\"", "not a valid field name"},
		{"\"{1:'temp'\"", "',' or '}' was expected"},
		{"\"{1:'temp'} x\"", "text after"},
		{"\"{0:'temp'}\"", "out of range"},
		{"\"{999999999999:'temp'}\"", "out of range"},
		{"\"__import__('os')\"", "must look like"},
		{"{\"a\":\"temp\"}", "not a position"},
		{"7", "must be an array"},
	};
	char body[256], msg[256];
	struct brink_spec sp;
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(body, sizeof(body), "{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
					     "\"columns\":%s}", ok[i]);
		assert_int_equal(svc(body, &sp, msg), BRINK_BODY_OK);
		assert_int_equal(sp.ncolumns, 2);
		assert_string_equal(sp.columns[0], "temp");
		assert_string_equal(sp.columns[1], "hum");
		brink_spec_free(&sp);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
					     "\"columns\":%s}", bad[i].cols);
		assert_int_equal(svc(body, &sp, msg), BRINK_BODY_INVALID);
		if (!strstr(msg, bad[i].msg))
			fail_msg("%s: got '%s'", bad[i].cols, msg);
	}
	assert_int_equal(svc("{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
			     "\"columns\":\"null\"}", &sp, msg), BRINK_BODY_OK);
	assert_int_equal(sp.ncolumns, 0);
}

static void classes(void **state)
{
	struct brink_spec sp;
	char msg[256];
	(void)state;
	assert_int_equal(svc("{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
			     "\"labels\":[\"ok\",\"warm\",\"hot\"],\"alerts\":[\"hot\",\"warm\"],"
			     "\"threshold\":0.25}", &sp, msg), BRINK_BODY_OK);
	assert_int_equal(sp.nlabels, 3);
	assert_string_equal(sp.labels[2], "hot");
	assert_int_equal(sp.alerts, 6);
	assert_true(sp.threshold == 0.25);
	brink_spec_free(&sp);
	assert_int_equal(svc("{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1}}", &sp, msg),
			 BRINK_BODY_OK);
	assert_int_equal(sp.alerts, -1);
	assert_true(sp.threshold == 0.5);
	brink_spec_free(&sp);
	assert_int_equal(svc("{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
			     "\"alerts\":[\"hot\"]}", &sp, msg), BRINK_BODY_INVALID);
	assert_non_null(strstr(msg, "give 'labels' too"));
	assert_int_equal(svc("{\"kind\":\"analyze\",\"cpu\":{\"min\":0,\"max\":1},"
			     "\"labels\":[\"a\",\"a\"]}", &sp, msg), BRINK_BODY_INVALID);
	assert_int_equal(svc("{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":1},"
			     "\"labels\":[\"a\",\"b\"]}", &sp, msg), BRINK_BODY_INVALID);
	assert_non_null(strstr(msg, "applies to kind analyze"));
}

static void tenant_and_thing_bodies(void **state)
{
	struct brink_tenant_body t;
	struct brink_thing_body th;
	char msg[256];
	const char *ok = "{\"name\":\"acme\",\"password\":\"12345678\"}";
	(void)state;
	assert_int_equal(brink_body_tenant(ok, strlen(ok), &t, msg, sizeof(msg)), BRINK_BODY_OK);
	assert_true(t.has_password);
	assert_string_equal(t.password, "12345678");
	const char *shortpw = "{\"name\":\"acme\",\"password\":\"1234567\"}";
	assert_int_equal(brink_body_tenant(shortpw, strlen(shortpw), &t, msg, sizeof(msg)),
			 BRINK_BODY_INVALID);
	const char *thing = "{\"name\":\"t-1\",\"info\":\"roof\"}";
	assert_int_equal(brink_body_thing(thing, strlen(thing), &th, msg, sizeof(msg)), BRINK_BODY_OK);
	assert_string_equal(th.info, "roof");
	const char *slash = "{\"name\":\"t/1\"}";
	assert_int_equal(brink_body_thing(slash, strlen(slash), &th, msg, sizeof(msg)),
			 BRINK_BODY_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_full_analyze_body),
		cmocka_unit_test(defaults_when_absent),
		cmocka_unit_test(refusals_name_the_problem),
		cmocka_unit_test(tenant_and_thing_bodies),
		cmocka_unit_test(column_forms),
		cmocka_unit_test(classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
