#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ingest/reading.h"

static struct brink_reading rd;
static char msg[256];

static enum brink_reading_status json(const char *s)
{
	msg[0] = '\0';
	return brink_reading_parse_json(s, strlen(s), &rd, msg, sizeof(msg));
}

static enum brink_reading_status senml(const char *s)
{
	msg[0] = '\0';
	return brink_reading_parse_senml_json(s, strlen(s), &rd, msg, sizeof(msg));
}

static const struct brink_reading_field *field(const char *name)
{
	for (size_t i = 0; i < rd.nfields; i++)
		if (strcmp(rd.fields[i].name, name) == 0)
			return &rd.fields[i];
	fail_msg("no field '%s'", name);
	return NULL;
}

/* ---- a small CBOR writer for building test packs ---- */

struct cb {
	uint8_t b[70000];
	size_t n;
};

static void head(struct cb *c, int major, uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);
	if (v < 24) {
		c->b[c->n++] = m | (uint8_t)v;
	} else if (v <= 0xff) {
		c->b[c->n++] = m | 24;
		c->b[c->n++] = (uint8_t)v;
	} else if (v <= 0xffff) {
		c->b[c->n++] = m | 25;
		c->b[c->n++] = (uint8_t)(v >> 8);
		c->b[c->n++] = (uint8_t)v;
	} else {
		c->b[c->n++] = m | 27;
		for (int i = 7; i >= 0; i--)
			c->b[c->n++] = (uint8_t)(v >> (8 * i));
	}
}

static void cint(struct cb *c, int64_t v)
{
	if (v >= 0)
		head(c, 0, (uint64_t)v);
	else
		head(c, 1, (uint64_t)(-1 - v));
}

static void ctext(struct cb *c, const char *s)
{
	head(c, 3, strlen(s));
	memcpy(c->b + c->n, s, strlen(s));
	c->n += strlen(s);
}

static void cdouble(struct cb *c, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	c->b[c->n++] = 0xfb;
	for (int i = 7; i >= 0; i--)
		c->b[c->n++] = (uint8_t)(u >> (8 * i));
}

static void craw(struct cb *c, const char *hex)
{
	unsigned x;
	for (; hex[0] && hex[1]; hex += 2) {
		sscanf(hex, "%2x", &x);
		c->b[c->n++] = (uint8_t)x;
	}
}

static enum brink_reading_status cbor(const struct cb *c)
{
	msg[0] = '\0';
	return brink_reading_parse_senml_cbor(c->b, c->n, &rd, msg, sizeof(msg));
}

/* ---- JSON lines ---- */

static void json_line_with_numeric_strings(void **state)
{
	(void)state;
	assert_int_equal(json("{\"temp\":\"31.2\",\"hum\":\"48.1\"}"), BRINK_READING_OK);
	assert_int_equal(rd.nfields, 2);
	assert_string_equal(rd.fields[0].name, "temp"); /* order kept */
	assert_string_equal(rd.fields[1].name, "hum");
	assert_int_equal(rd.fields[0].type, BRINK_READING_STRING);
	assert_string_equal(rd.fields[0].str, "31.2");
	assert_int_equal(rd.fields[0].slen, 4);
	assert_true(rd.fields[0].has_num && rd.fields[0].num == 31.2);
	assert_true(rd.fields[1].num == 48.1);
	assert_true(rd.fields[0].time == 0);
}

static void json_line_types_and_time(void **state)
{
	(void)state;
	assert_int_equal(json("{\"t\":-4.5e1,\"door\":true,\"ok\":false,\"id\":\"ab\",\"n\":7,"
			      "\"time\":1718000000.5}"),
			 BRINK_READING_OK);
	assert_int_equal(rd.nfields, 5);
	assert_int_equal(field("t")->type, BRINK_READING_NUMBER);
	assert_true(field("t")->num == -45 && field("t")->has_num);
	assert_true(field("t")->time == 1718000000.5);
	assert_int_equal(field("door")->type, BRINK_READING_BOOL);
	assert_true(field("door")->b && !field("ok")->b);
	assert_false(field("id")->has_num);
	assert_true(field("n")->num == 7);
	assert_int_equal(json("{\"a.b-c_D9\":1,\"time\":\"1718000000\"}"), BRINK_READING_OK);
	assert_true(rd.fields[0].time == 1718000000);
	assert_true(brink_reading_time_abs(1718000000, 5) == 1718000000);
	assert_true(brink_reading_time_abs(-10, 1718000000) == 1717999990);
}

static void numeric_strings_only_when_fully_finite(void **state)
{
	static const struct {
		const char *value;
		bool has_num;
		double num;
	} cases[] = {
		{"31.2", true, 31.2},	{"-0", true, 0},       {"1e3", true, 1000},
		{"-2.5E-1", true, -0.25}, {"NaN", false, 0},	   {"nan", false, 0},
		{"inf", false, 0},	{"-Infinity", false, 0}, {"1e999", false, 0},
		{"0x10", false, 0},	{" 1", false, 0},      {"1 ", false, 0},
		{"+1", false, 0},	{"1.", false, 0},      {".5", false, 0},
		{"01", false, 0},	{"", false, 0},	       {"-", false, 0},
		{"1e", false, 0},	{"12abc", false, 0},
	};
	char line[128];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "{\"v\":\"%s\"}", cases[i].value);
		assert_int_equal(json(line), BRINK_READING_OK);
		assert_int_equal(rd.fields[0].type, BRINK_READING_STRING);
		assert_string_equal(rd.fields[0].str, cases[i].value);
		if (rd.fields[0].has_num != cases[i].has_num || rd.fields[0].num != cases[i].num)
			fail_msg("'%s': has_num %d num %g", cases[i].value, rd.fields[0].has_num,
				 rd.fields[0].num);
	}
}

static void json_limits_are_inclusive(void **state)
{
	char line[20000];
	size_t n = 0;
	(void)state;
	line[n++] = '{';
	for (int i = 0; i < BRINK_READING_FIELDS_MAX; i++)
		n += (size_t)sprintf(line + n, "%s\"f%d\":%d", i ? "," : "", i, i);
	strcpy(line + n, ",\"time\":1718000000}");
	assert_int_equal(json(line), BRINK_READING_OK);
	assert_int_equal(rd.nfields, BRINK_READING_FIELDS_MAX);
	assert_true(rd.fields[31].num == 31);

	char name[BRINK_READING_NAME_MAX + 1], value[BRINK_READING_STR_MAX + 1];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(line, sizeof(line), "{\"%s\":\"%s\"}", name, value);
	assert_int_equal(json(line), BRINK_READING_OK);
	assert_int_equal(rd.fields[0].slen, BRINK_READING_STR_MAX);
	assert_string_equal(rd.fields[0].name, name);
}

struct refusal {
	const char *in;
	enum brink_reading_status st;
	const char *needle;
};

static void check_refusals(const struct refusal *cases, size_t n,
			   enum brink_reading_status (*parse)(const char *))
{
	for (size_t i = 0; i < n; i++) {
		enum brink_reading_status st = parse(cases[i].in);
		if (st != cases[i].st || !strstr(msg, cases[i].needle))
			fail_msg("case %zu %s: got %s '%s', want %s '%s'", i, cases[i].in,
				 brink_reading_status_name(st), msg,
				 brink_reading_status_name(cases[i].st), cases[i].needle);
	}
}

static void json_refusals(void **state)
{
	static const struct refusal cases[] = {
		{"", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":1", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":1}x", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":1}\n{\"b\":2}", BRINK_READING_MALFORMED, "malformed"},
		{"[1]", BRINK_READING_MALFORMED, "object"},
		{"\"a\"", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":{\"b\":1}}", BRINK_READING_INVALID, "'a' must be a number"},
		{"{\"a\":[1]}", BRINK_READING_INVALID, "'a' must be"},
		{"{\"a\":null}", BRINK_READING_INVALID, "'a' must be"},
		{"{\"a\":1,\"a\":2}", BRINK_READING_INVALID, "repeats"},
		{"{\"a\":NaN}", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":Infinity}", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":-inf}", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":1e999}", BRINK_READING_INVALID, "too large"},
		{"{\"a\":99999999999999999999}", BRINK_READING_INVALID, "too large"},
		{"{\"a b\":1}", BRINK_READING_INVALID, "name"},
		{"{\"\":1}", BRINK_READING_INVALID, "name"},
		{"{\"a/b\":1}", BRINK_READING_INVALID, "name"},
		{"{\"\\u00e9\":1}", BRINK_READING_INVALID, "name"},
		{"{\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":1}",
		 BRINK_READING_INVALID, "name"},
		{"{}", BRINK_READING_INVALID, "no fields"},
		{"{\"time\":1718000000}", BRINK_READING_INVALID, "no fields"},
		{"{\"a\":1,\"time\":5}", BRINK_READING_INVALID, "'time'"},
		{"{\"a\":1,\"time\":\"soon\"}", BRINK_READING_INVALID, "'time'"},
		{"{\"a\":1,\"time\":true}", BRINK_READING_INVALID, "'time'"},
		{"{\"a\":1,\"time\":1e12}", BRINK_READING_INVALID, "'time'"},
		{"{\"a\":\"x\\u0000y\"}", BRINK_READING_INVALID, "\\u0000"},
		{"{\"a\":\"x\\ny\"}", BRINK_READING_INVALID, "control"},
		{"{\"a\":\"\xff\"}", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":\"\xc0\x80\"}", BRINK_READING_MALFORMED, "malformed"},
		{"{\"a\":1,}", BRINK_READING_MALFORMED, "malformed"},
		{"{'a':1}", BRINK_READING_MALFORMED, "malformed"},
	};
	(void)state;
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]), json);
}

static void json_oversize_and_nul(void **state)
{
	static char big[BRINK_READING_INPUT_MAX + 64];
	char line[20000];
	size_t n = 0;
	(void)state;
	/* a raw NUL byte, which strlen-based callers would never see */
	assert_int_equal(brink_reading_parse_json("{\"a\":1\0}", 8, &rd, msg, sizeof(msg)),
			 BRINK_READING_MALFORMED);
	assert_int_equal(brink_reading_parse_json("{\"a\":\"\0\"}", 8, &rd, msg, sizeof(msg)),
			 BRINK_READING_MALFORMED);
	/* too many fields */
	line[n++] = '{';
	for (int i = 0; i <= BRINK_READING_FIELDS_MAX; i++)
		n += (size_t)sprintf(line + n, "%s\"f%d\":%d", i ? "," : "", i, i);
	strcpy(line + n, "}");
	assert_int_equal(json(line), BRINK_READING_TOO_LARGE);
	assert_non_null(strstr(msg, "33 fields"));
	/* a string one byte too long */
	n = (size_t)sprintf(line, "{\"a\":\"");
	memset(line + n, 'v', BRINK_READING_STR_MAX + 1);
	strcpy(line + n + BRINK_READING_STR_MAX + 1, "\"}");
	assert_int_equal(json(line), BRINK_READING_TOO_LARGE);
	/* deep nesting is refused without trouble */
	memset(big, '[', 5000);
	memcpy(big, "{\"a\":", 5);
	assert_int_equal(brink_reading_parse_json(big, 5000, &rd, msg, sizeof(msg)),
			 BRINK_READING_MALFORMED);
	/* the input limit */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"a\":1}", 7);
	assert_int_equal(brink_reading_parse_json(big, BRINK_READING_INPUT_MAX, &rd, msg,
						  sizeof(msg)),
			 BRINK_READING_OK);
	assert_int_equal(brink_reading_parse_json(big, BRINK_READING_INPUT_MAX + 1, &rd, msg,
						  sizeof(msg)),
			 BRINK_READING_TOO_LARGE);
	/* a zero-sized message buffer is fine */
	assert_int_equal(brink_reading_parse_json("{", 1, &rd, NULL, 0), BRINK_READING_MALFORMED);
}

/* ---- auth line ---- */

static enum brink_reading_status auth(const char *s)
{
	struct brink_reading_auth a;
	msg[0] = '\0';
	return brink_reading_parse_auth(s, strlen(s), &a, msg, sizeof(msg));
}

static void auth_line(void **state)
{
	struct brink_reading_auth a;
	const char *ok = "{\"key\":\"k3y_-x.Z~!\",\"thing\":\"pump-7\"}";
	(void)state;
	assert_int_equal(brink_reading_parse_auth(ok, strlen(ok), &a, msg, sizeof(msg)),
			 BRINK_READING_OK);
	assert_string_equal(a.thing, "pump-7");
	assert_string_equal(a.key, "k3y_-x.Z~!");
	static const struct refusal cases[] = {
		{"{\"thing\":\"a\"}", BRINK_READING_INVALID, "must be {"},
		{"{\"thing\":\"a\",\"key\":\"k\",\"x\":1}", BRINK_READING_INVALID, "must be {"},
		{"{\"thing\":\"a\",\"key\":1}", BRINK_READING_INVALID, "must be {"},
		{"{\"thing\":[\"a\"],\"key\":\"k\"}", BRINK_READING_INVALID, "must be {"},
		{"{\"thing\":\"a/b\",\"key\":\"k\"}", BRINK_READING_INVALID, "'thing'"},
		{"{\"thing\":\"\",\"key\":\"k\"}", BRINK_READING_INVALID, "'thing'"},
		{"{\"thing\":\"a\",\"key\":\"\"}", BRINK_READING_INVALID, "'key'"},
		{"{\"thing\":\"a\",\"key\":\"k k\"}", BRINK_READING_INVALID, "'key'"},
		{"{\"thing\":\"a\",\"key\":\"k\\u00e9\"}", BRINK_READING_INVALID, "'key'"},
		{"{\"thing\":\"a\",\"key\":\"k\",\"key\":\"k\"}", BRINK_READING_INVALID, "repeats"},
		{"{\"thing\":\"a\",\"key\":\"k\"", BRINK_READING_MALFORMED, "malformed"},
		{"[\"a\",\"k\"]", BRINK_READING_MALFORMED, "object"},
	};
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]), auth);
	char line[400];
	char key[BRINK_READING_KEY_MAX + 2];
	memset(key, 'k', sizeof(key) - 1);
	key[BRINK_READING_KEY_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"thing\":\"a\",\"key\":\"%s\"}", key);
	assert_int_equal(auth(line), BRINK_READING_OK);
	key[BRINK_READING_KEY_MAX] = 'k';
	key[BRINK_READING_KEY_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"thing\":\"a\",\"key\":\"%s\"}", key);
	assert_int_equal(auth(line), BRINK_READING_INVALID);
}

/* ---- SenML JSON ---- */

static void senml_json_resolves_bases(void **state)
{
	(void)state;
	/* RFC 8428 section 5.1.2 */
	assert_int_equal(senml("[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"voltage\","
			       "\"u\":\"V\",\"v\":120.1},{\"n\":\"current\",\"u\":\"A\",\"v\":1.2}]"),
			 BRINK_READING_OK);
	assert_int_equal(rd.nfields, 2);
	assert_string_equal(rd.fields[0].name, "urn:dev:ow:10e2073a01080063:voltage");
	assert_string_equal(rd.fields[0].unit, "V");
	assert_true(rd.fields[0].num == 120.1 && rd.fields[0].has_num);
	assert_string_equal(rd.fields[1].name, "urn:dev:ow:10e2073a01080063:current");
	assert_true(rd.fields[1].time == 0);

	/* base time, base unit, base value, a new bn midway, relative times */
	assert_int_equal(senml("[{\"bn\":\"a/\",\"bt\":1.320067464e+09,\"bu\":\"%RH\",\"bv\":10,"
			       "\"n\":\"h\",\"v\":20},"
			       "{\"n\":\"h\",\"t\":60,\"v\":-1,\"s\":5,\"bs\":100},"
			       "{\"bn\":\"b/\",\"n\":\"on\",\"vb\":true,\"u\":\"/\"},"
			       "{\"n\":\"s\",\"vs\":\"31.2\",\"t\":-5},"
			       "{\"n\":\"x\",\"v\":1,\"ut\":10,\"bver\":10,\"foo\":\"ignored\"}]"),
			 BRINK_READING_OK);
	assert_int_equal(rd.nfields, 5);
	assert_string_equal(rd.fields[0].name, "a/h");
	assert_true(rd.fields[0].num == 30 && rd.fields[0].time == 1320067464);
	assert_string_equal(rd.fields[0].unit, "%RH");
	assert_false(rd.fields[0].has_sum);
	assert_string_equal(rd.fields[1].name, "a/h");
	assert_true(rd.fields[1].num == 9 && rd.fields[1].time == 1320067524);
	assert_true(rd.fields[1].has_sum && rd.fields[1].sum == 105);
	assert_string_equal(rd.fields[2].name, "b/on");
	assert_int_equal(rd.fields[2].type, BRINK_READING_BOOL);
	assert_true(rd.fields[2].b);
	assert_string_equal(rd.fields[2].unit, "/");
	assert_int_equal(rd.fields[3].type, BRINK_READING_STRING);
	assert_true(rd.fields[3].has_num && rd.fields[3].num == 31.2);
	assert_true(rd.fields[3].time == 1320067459);
	assert_string_equal(rd.fields[3].unit, "%RH");
	assert_true(rd.fields[4].num == 11);

	/* a relative pack: times stay relative */
	assert_int_equal(senml("[{\"n\":\"a\",\"v\":1,\"t\":-3}]"), BRINK_READING_OK);
	assert_true(rd.fields[0].time == -3);
}

/* A pack of n records f0..f(n-1). */
static void make_pack(char *buf, int n)
{
	size_t len = 0;
	buf[len++] = '[';
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s{\"n\":\"f%d\",\"v\":%d}", i ? "," : "", i, i);
	strcpy(buf + len, "]");
}

static void senml_json_refusals(void **state)
{
	static const struct refusal cases[] = {
		{"{\"n\":\"a\",\"v\":1}", BRINK_READING_MALFORMED, "array"},
		{"[", BRINK_READING_MALFORMED, "malformed"},
		{"[]", BRINK_READING_INVALID, "empty"},
		{"[1]", BRINK_READING_INVALID, "record 1: a record must be a JSON object"},
		{"[[{\"n\":\"a\",\"v\":1}]]", BRINK_READING_INVALID, "object"},
		{"[{\"n\":\"a\"}]", BRINK_READING_INVALID, "record 1: no value"},
		{"[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"s\":1}]", BRINK_READING_INVALID,
		 "record 2: no value"},
		{"[{\"bn\":\"a\",\"bt\":1}]", BRINK_READING_INVALID, "no value"},
		{"[{\"n\":\"a\",\"vd\":\"AAEC\"}]", BRINK_READING_INVALID, "vd"},
		{"[{\"n\":\"a\",\"v\":1,\"vs\":\"x\"}]", BRINK_READING_INVALID, "more than one"},
		{"[{\"n\":\"a\",\"v\":\"1\"}]", BRINK_READING_INVALID, "'v' must be a number"},
		{"[{\"n\":\"a\",\"vb\":1}]", BRINK_READING_INVALID, "'vb' must be a boolean"},
		{"[{\"n\":1,\"v\":1}]", BRINK_READING_INVALID, "'n' must be a string"},
		{"[{\"n\":\"a\",\"v\":1,\"t\":\"now\"}]", BRINK_READING_INVALID, "'t'"},
		{"[{\"n\":\"a\",\"v\":null}]", BRINK_READING_INVALID, "'v'"},
		{"[{\"n\":\"a\",\"v\":1,\"bver\":11}]", BRINK_READING_INVALID, "version 11"},
		{"[{\"n\":\"a\",\"v\":1,\"bver\":1.5}]", BRINK_READING_INVALID, "bver"},
		{"[{\"n\":\"a\",\"v\":1,\"x_\":1}]", BRINK_READING_INVALID, "must-understand"},
		{"[{\"n\":\"a\",\"v\":1,\"x\":{\"y\":1}}]", BRINK_READING_INVALID, "nested"},
		{"[{\"n\":\"a\",\"v\":1,\"x\":[]}]", BRINK_READING_INVALID, "nested"},
		{"[{\"v\":1}]", BRINK_READING_INVALID, "name"},
		{"[{\"n\":\"-a\",\"v\":1}]", BRINK_READING_INVALID, "name"},
		{"[{\"n\":\"a b\",\"v\":1}]", BRINK_READING_INVALID, "name"},
		{"[{\"n\":\"a\",\"v\":1},{\"n\":\"a\",\"v\":2}]", BRINK_READING_INVALID, "repeats"},
		{"[{\"bt\":1e308,\"n\":\"a\",\"t\":1e308,\"v\":1}]", BRINK_READING_INVALID, "time"},
		{"[{\"bv\":1e308,\"n\":\"a\",\"v\":1e308}]", BRINK_READING_INVALID, "finite"},
		{"[{\"n\":\"a\",\"v\":1e999}]", BRINK_READING_INVALID, "too large"},
		{"[{\"n\":\"a\",\"v\":1,\"n\":\"b\"}]", BRINK_READING_INVALID, "repeats"},
		{"[{\"n\":\"a\",\"vs\":\"\\u0000\"}]", BRINK_READING_INVALID, "\\u0000"},
		{"[{\"n\":\"a\",\"v\":1,\"u\":\"0123456789012345678901234567890123\"}]",
		 BRINK_READING_TOO_LARGE, "'u'"},
		{"[{\"n\":\"a\",\"v\":1,\"u\":\"\\t\"}]", BRINK_READING_INVALID, "control"},
		{"[{\"bn\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		 "\"v\":1}]",
		 BRINK_READING_TOO_LARGE, "'bn'"},
		{"[{\"bn\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		 "\"n\":\"b\",\"v\":1}]",
		 BRINK_READING_TOO_LARGE, "bn + n"},
	};
	char pack[4096];
	(void)state;
	check_refusals(cases, sizeof(cases) / sizeof(cases[0]), senml);
	make_pack(pack, BRINK_READING_FIELDS_MAX);
	assert_int_equal(senml(pack), BRINK_READING_OK);
	assert_int_equal(rd.nfields, BRINK_READING_FIELDS_MAX);
	make_pack(pack, BRINK_READING_FIELDS_MAX + 1);
	assert_int_equal(senml(pack), BRINK_READING_TOO_LARGE);
	assert_non_null(strstr(msg, "33 records"));
}

/* ---- SenML CBOR ---- */

/* The second pack of senml_json_resolves_bases, in CBOR. */
static void cbor_example(struct cb *c)
{
	c->n = 0;
	head(c, 4, 5);
	head(c, 5, 6);
	cint(c, -2), ctext(c, "a/");
	cint(c, -3), cdouble(c, 1.320067464e+09);
	cint(c, -4), ctext(c, "%RH");
	cint(c, -5), cint(c, 10);
	cint(c, 0), ctext(c, "h");
	cint(c, 2), cint(c, 20);
	head(c, 5, 5);
	cint(c, 0), ctext(c, "h");
	cint(c, 6), cint(c, 60);
	cint(c, 2), cint(c, -1);
	cint(c, 5), craw(c, "f94500"); /* half float 5.0 */
	cint(c, -6), craw(c, "fa42c80000"); /* single float 100.0 */
	head(c, 5, 4);
	cint(c, -2), ctext(c, "b/");
	cint(c, 0), ctext(c, "on");
	cint(c, 4), craw(c, "f5");
	cint(c, 1), ctext(c, "/");
	head(c, 5, 3);
	cint(c, 0), ctext(c, "s");
	cint(c, 3), ctext(c, "31.2");
	cint(c, 6), cint(c, -5);
	head(c, 5, 5);
	cint(c, 0), ctext(c, "x");
	cint(c, 2), craw(c, "c48220"), cint(c, 10); /* decimal fraction 10e-1 */
	cint(c, 7), cint(c, 10);
	cint(c, -1), cint(c, 10);
	ctext(c, "foo"), ctext(c, "ignored");
}

static void senml_cbor_equals_senml_json(void **state)
{
	static struct brink_reading from_json;
	struct cb c;
	(void)state;
	assert_int_equal(senml("[{\"bn\":\"a/\",\"bt\":1.320067464e+09,\"bu\":\"%RH\",\"bv\":10,"
			       "\"n\":\"h\",\"v\":20},"
			       "{\"n\":\"h\",\"t\":60,\"v\":-1,\"s\":5,\"bs\":100},"
			       "{\"bn\":\"b/\",\"n\":\"on\",\"vb\":true,\"u\":\"/\"},"
			       "{\"n\":\"s\",\"vs\":\"31.2\",\"t\":-5},"
			       "{\"n\":\"x\",\"v\":1,\"ut\":10,\"bver\":10,\"foo\":\"ignored\"}]"),
			 BRINK_READING_OK);
	from_json = rd;
	cbor_example(&c);
	if (cbor(&c) != BRINK_READING_OK)
		fail_msg("%s", msg);
	assert_int_equal(rd.nfields, from_json.nfields);
	for (size_t i = 0; i < rd.nfields; i++) {
		const struct brink_reading_field *a = &rd.fields[i], *b = &from_json.fields[i];
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->type, b->type);
		assert_true(a->num == b->num && a->has_num == b->has_num && a->b == b->b);
		assert_true(a->time == b->time && a->sum == b->sum && a->has_sum == b->has_sum);
		assert_string_equal(a->str, b->str);
		assert_string_equal(a->unit, b->unit);
	}
}

static void senml_cbor_indefinite_and_decimal(void **state)
{
	struct cb c = {.n = 0};
	(void)state;
	/* [_ {_ 0: "t", 2: 4([-1, 312])}, {_ 0: "n", 2: -3}] */
	craw(&c, "9f");
	craw(&c, "bf"), cint(&c, 0), ctext(&c, "t"), cint(&c, 2), craw(&c, "c482"), cint(&c, -1),
		cint(&c, 312), craw(&c, "ff");
	craw(&c, "bf"), cint(&c, 0), ctext(&c, "n"), cint(&c, 2), cint(&c, -3), craw(&c, "ff");
	craw(&c, "ff");
	if (cbor(&c) != BRINK_READING_OK)
		fail_msg("%s", msg);
	assert_int_equal(rd.nfields, 2);
	assert_true(rd.fields[0].num == 31.2);
	assert_true(rd.fields[1].num == -3);
	/* a negative mantissa: 4([2, -13]) = -1300 */
	c.n = 0;
	craw(&c, "81a2"), cint(&c, 0), ctext(&c, "a"), cint(&c, 2), craw(&c, "c482"), cint(&c, 2),
		cint(&c, -13);
	assert_int_equal(cbor(&c), BRINK_READING_OK);
	assert_true(rd.fields[0].num == -1300);
}

struct cbor_refusal {
	const char *hex;
	enum brink_reading_status st;
	const char *needle;
};

static void senml_cbor_refusals(void **state)
{
	/* 81 a2 00 61 61 02 01 is [{0: "a", 2: 1}]: the cases vary it. */
	static const struct cbor_refusal cases[] = {
		{"", BRINK_READING_MALFORMED, "truncated"},
		{"81a20061610201ff", BRINK_READING_MALFORMED, "after the pack"},
		{"81a200616102", BRINK_READING_MALFORMED, "truncated"},
		{"81a2006161", BRINK_READING_MALFORMED, "truncated"},
		{"ff", BRINK_READING_MALFORMED, "break"},
		{"1c", BRINK_READING_MALFORMED, "not CBOR"},
		{"81a2006161021c", BRINK_READING_MALFORMED, "not CBOR"},
		{"a20061610201", BRINK_READING_MALFORMED, "expected the pack's array, found a map"},
		{"6161", BRINK_READING_MALFORMED, "expected the pack's array"},
		{"80", BRINK_READING_INVALID, "empty"},
		{"8101", BRINK_READING_MALFORMED, "record 1: expected a record's map"},
		{"818100", BRINK_READING_MALFORMED, "nesting"},
		{"81a200616102a0", BRINK_READING_INVALID, "nesting"},
		{"81a20061610280", BRINK_READING_INVALID, "nesting"},
		{"81a2006161029f", BRINK_READING_INVALID, "nesting"},
		{"81a1006161", BRINK_READING_INVALID, "no value"},
		{"81a0", BRINK_READING_INVALID, "no value"},
		{"81a20001026161", BRINK_READING_INVALID, "'n' must be a string"},
		{"81a20061610261", BRINK_READING_MALFORMED, "truncated"},
		{"81a2006161026131", BRINK_READING_INVALID, "'v' must be a number"},
		{"81a200616104 01", BRINK_READING_INVALID, "'vb' must be a boolean"},
		{"81a2006161f5 01", BRINK_READING_INVALID, "expected a label, found a boolean"},
		{"81a200616102f6", BRINK_READING_INVALID, "null"},
		{"81a200616102f7", BRINK_READING_INVALID, "undefined"},
		{"81a2006161097f", BRINK_READING_INVALID, "unknown label 9"},
		{"81a2006161266161", BRINK_READING_INVALID, "unknown label -7"},
		{"81a30061610201006162", BRINK_READING_INVALID, "'n' repeats"},
		{"81a3006161020162785f01", BRINK_READING_INVALID, "must-understand"},
		{"81a20061610802", BRINK_READING_INVALID, "'vd' must be data"},
		{"81a20061610841ff", BRINK_READING_INVALID, "vd"},
		{"81a30061610201 20fa41200000", BRINK_READING_INVALID, "'bver' must be an unsigned"},
		{"81a3006161020120 0b", BRINK_READING_INVALID, "version 11"},
		{"81a2006161037f6161ff", BRINK_READING_INVALID, "indefinite-length string"},
		{"81a200616102c101", BRINK_READING_INVALID, "tag"},
		{"81a200616102c48301010 1", BRINK_READING_INVALID, "2 items"},
		{"81a200616102c482f94000 01", BRINK_READING_MALFORMED, "exponent"},
		{"81a200616102c48201c249 010000000000000000", BRINK_READING_MALFORMED, "mantissa"},
		{"81a200616102fb7ff8000000000000", BRINK_READING_INVALID, "finite"},
		{"81a200616102f97c00", BRINK_READING_INVALID, "finite"},
		{"81a200616102c4821901f401", BRINK_READING_INVALID, "finite"},
		{"81a20061610363610061", BRINK_READING_INVALID, "control"},
		{"81a200616103 62c328", BRINK_READING_INVALID, "UTF-8"},
		{"81a20061200201", BRINK_READING_INVALID, "name"},
		{"82a20061610201a20061610202", BRINK_READING_INVALID, "record 2: 'a' repeats"},
		{"9a00000021", BRINK_READING_TOO_LARGE, "33 records"},
		{"9bffffffffffffffff", BRINK_READING_TOO_LARGE, "records"},
		{"9bffffffffffffffffa20061610201ff", BRINK_READING_TOO_LARGE, "records"},
		{"9fa20061610201", BRINK_READING_MALFORMED, "truncated"},
		{"9f80ff", BRINK_READING_MALFORMED, "expected a record's map"},
		{"9fff", BRINK_READING_INVALID, "empty"},
		{"81bfff", BRINK_READING_INVALID, "no value"},
		{"81a2ff", BRINK_READING_INVALID, "break"},
		{"81a200616102c49f0101ff", BRINK_READING_INVALID, "2 items"},
		{"81bbffffffffffffffff", BRINK_READING_MALFORMED, "truncated"},
		{"81a2007bffffffffffffffff", BRINK_READING_MALFORMED, "truncated"},
		{"81a2005bffffffffffffffff", BRINK_READING_MALFORMED, "truncated"},
	};
	struct cb c;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hex[200];
		size_t h = 0;
		for (const char *p = cases[i].hex; *p; p++)
			if (*p != ' ')
				hex[h++] = *p;
		hex[h] = '\0';
		c.n = 0;
		craw(&c, hex);
		enum brink_reading_status st = cbor(&c);
		if (st != cases[i].st || !strstr(msg, cases[i].needle))
			fail_msg("case %zu %s: got %s '%s', want %s '%s'", i, cases[i].hex,
				 brink_reading_status_name(st), msg,
				 brink_reading_status_name(cases[i].st), cases[i].needle);
	}
}

static void senml_cbor_limits(void **state)
{
	static struct cb c;
	(void)state;
	c.n = 0;
	head(&c, 4, BRINK_READING_FIELDS_MAX);
	for (int i = 0; i < BRINK_READING_FIELDS_MAX; i++) {
		char name[8];
		snprintf(name, sizeof(name), "f%d", i);
		head(&c, 5, 2);
		cint(&c, 0), ctext(&c, name), cint(&c, 2), cint(&c, i);
	}
	assert_int_equal(cbor(&c), BRINK_READING_OK);
	assert_int_equal(rd.nfields, BRINK_READING_FIELDS_MAX);
	/* over the input limit, even if well-formed so far */
	c.n = 0;
	head(&c, 4, 1);
	head(&c, 5, 2);
	cint(&c, 0);
	head(&c, 3, BRINK_READING_INPUT_MAX);
	memset(c.b + c.n, 'a', BRINK_READING_INPUT_MAX);
	c.n += BRINK_READING_INPUT_MAX;
	cint(&c, 2), cint(&c, 1);
	assert_int_equal(cbor(&c), BRINK_READING_TOO_LARGE);
	/* a 300-byte vs */
	c.n = 0;
	craw(&c, "81a2006161"), cint(&c, 3);
	head(&c, 3, 300);
	memset(c.b + c.n, 'a', 300);
	c.n += 300;
	assert_int_equal(cbor(&c), BRINK_READING_TOO_LARGE);
}

/* ---- cost ---- */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Prints the cost of a typical parse of each kind; the bound only catches
 * gross regressions (sanitizer builds are several times slower). */
static void parse_cost(void **state)
{
	static const char line[] = "{\"temp\":\"31.2\",\"hum\":\"48.1\"}";
	static const char pack[] = "[{\"bn\":\"dev1/\",\"n\":\"temp\",\"v\":31.2},"
				   "{\"n\":\"hum\",\"v\":48.1}]";
	struct cb c;
	const int n = 200000;
	(void)state;
	c.n = 0;
	craw(&c, "82a3"), cint(&c, -2), ctext(&c, "dev1/"), cint(&c, 0), ctext(&c, "temp");
	cint(&c, 2), cdouble(&c, 31.2);
	craw(&c, "a2"), cint(&c, 0), ctext(&c, "hum"), cint(&c, 2), cdouble(&c, 48.1);
	double t0 = now_ns();
	for (int i = 0; i < n; i++)
		assert_int_equal(brink_reading_parse_json(line, sizeof(line) - 1, &rd, msg, 256), 0);
	double t1 = now_ns();
	for (int i = 0; i < n; i++)
		assert_int_equal(brink_reading_parse_senml_json(pack, sizeof(pack) - 1, &rd, msg, 256),
				 0);
	double t2 = now_ns();
	for (int i = 0; i < n; i++)
		assert_int_equal(brink_reading_parse_senml_cbor(c.b, c.n, &rd, msg, 256), 0);
	double t3 = now_ns();
	print_message("parse cost: JSON line %.0f ns, SenML JSON %.0f ns, SenML CBOR %.0f ns\n",
		      (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n);
	assert_true((t1 - t0) / n < 50000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_line_with_numeric_strings),
		cmocka_unit_test(json_line_types_and_time),
		cmocka_unit_test(numeric_strings_only_when_fully_finite),
		cmocka_unit_test(json_limits_are_inclusive),
		cmocka_unit_test(json_refusals),
		cmocka_unit_test(json_oversize_and_nul),
		cmocka_unit_test(auth_line),
		cmocka_unit_test(senml_json_resolves_bases),
		cmocka_unit_test(senml_json_refusals),
		cmocka_unit_test(senml_cbor_equals_senml_json),
		cmocka_unit_test(senml_cbor_indefinite_and_decimal),
		cmocka_unit_test(senml_cbor_refusals),
		cmocka_unit_test(senml_cbor_limits),
		cmocka_unit_test(parse_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
