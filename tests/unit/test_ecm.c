#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ecm/request.h"

#define KEY "5ec43f77e38f1e8c0f8cf6c3b8c91bedfbd9e654"
/* cliente.py's request for a stop, as its json.dumps wrote it */
#define STOP_REQ                                                                                   \
	"{\"id\": \"" KEY "\", \"cpus\": {\"min\": 0.5, \"max\": 1}, \"lports\": [\"default\"], "  \
	"\"nports\": 1, \"data\": \"./data/temp.csv\", \"service\": {\"custom\": 0, \"image\": "   \
	"\"null\", \"default_service\": \"stop\"}, \"order\": \"null\", \"batch\": 0, "            \
	"\"number_values\": 10, \"serviceid\": 3770}"

static struct ecm_request req;
static char msg[160];

static void replies_are_python_bytes(void **state)
{
	char out[256];
	(void)state;
	size_t n = brink_ecm_reply(out, sizeof(out), true, "El servicio 3770 ha sido parado correctamente");
	assert_string_equal(out, "{\"status\": \"OK\", \"body\": \"El servicio 3770 ha sido parado "
				 "correctamente\"}");
	assert_int_equal(n, strlen(out));
	brink_ecm_reply(out, sizeof(out), false, "caf\xc3\xa9 \"x\"\n\xf0\x9f\x98\x80");
	assert_string_equal(out, "{\"status\": \"ERROR\", \"body\": \"caf\\u00e9 \\\"x\\\"\\n"
				 "\\ud83d\\ude00\"}");
	assert_int_equal(brink_ecm_reply(out, 20, true, "too long for the buffer"), 0);
}

static void floats_as_python_repr(void **state)
{
	static const struct {
		double v;
		const char *repr;
	} cases[] = {{31.2, "31.2"},	   {1, "1.0"},		 {0.1, "0.1"},	 {1e16, "1e+16"},
		     {1e15, "1000000000000000.0"}, {0.0001, "0.0001"}, {1.5e-05, "1.5e-05"},
		     {-0.0, "-0.0"},	   {123456.789, "123456.789"}};
	char out[64];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		brink_ecm_pyfloat(out, sizeof(out), cases[i].v);
		assert_string_equal(out, cases[i].repr);
	}
}

static void a_request_is_complete_when_it_parses(void **state)
{
	const char *r = STOP_REQ;
	(void)state;
	for (size_t n = 0; n < strlen(r); n++)
		assert_int_equal(brink_ecm_request_parse(r, n, ECM_STOP, &req, msg, sizeof(msg)),
				 ECM_PARSE_AGAIN);
	assert_int_equal(brink_ecm_request_parse(r, strlen(r), ECM_STOP, &req, msg, sizeof(msg)),
			 ECM_PARSE_OK);
	assert_string_equal(req.id, KEY);
	assert_int_equal(req.serviceid, 3770);
	assert_true(req.cpu_min == 0.5 && req.cpu_max == 1);
	assert_int_equal(req.nlports, 0);
}

static void bad_requests(void **state)
{
	static const struct {
		enum ecm_verb verb;
		const char *text;
		enum ecm_parse want;
	} cases[] = {
		{ECM_INFO, "{\"id\": \"k\"}}", ECM_PARSE_MALFORMED},
		{ECM_INFO, "[1]", ECM_PARSE_MALFORMED},
		{ECM_INFO, "{\"id\": 5}", ECM_PARSE_INVALID},
		{ECM_INFO, "{\"cpus\": {}}", ECM_PARSE_INVALID},
		{ECM_INFO, "{\"id\": \"k\", \"cpus\": {\"min\": 0, \"max\": 1}}", ECM_PARSE_INVALID},
		{ECM_INFO, "{\"id\": \"k\", \"id\": \"j\"}", ECM_PARSE_MALFORMED},
		{ECM_STOP, "{\"id\": \"k\"}", ECM_PARSE_INVALID},
		{ECM_STOP, "{\"id\": \"k\", \"serviceid\": \"12\"}", ECM_PARSE_INVALID},
		{ECM_CUSTOM, "{\"id\": \"k\", \"service\": {\"custom\": 1, \"image\": \"i\"}, "
			     "\"lports\": [\"5050\", \"5052\"], \"nports\": 2}",
		 ECM_PARSE_INVALID},
		{ECM_ANALYSIS, "{\"id\": \"k\", \"order\": \"null\"}", ECM_PARSE_INVALID},
		{ECM_REGISTER, "{\"company\": 7}", ECM_PARSE_INVALID},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(brink_ecm_request_parse(cases[i].text, strlen(cases[i].text),
							 cases[i].verb, &req, msg, sizeof(msg)),
				 cases[i].want);
	char big[ECM_REQUEST_MAX + 2];
	memset(big, ' ', sizeof(big));
	assert_int_equal(brink_ecm_request_parse(big, sizeof(big), ECM_INFO, &req, msg, sizeof(msg)),
			 ECM_PARSE_TOO_LARGE);
}

static void custom_ports_and_order(void **state)
{
	const char *c = "{\"id\": \"k\", \"service\": {\"custom\": 1, \"image\": \"franpach/x\"}, "
			"\"lports\": [\"5050\", 5051], \"nports\": 2}";
	(void)state;
	assert_int_equal(brink_ecm_request_parse(c, strlen(c), ECM_CUSTOM, &req, msg, sizeof(msg)),
			 ECM_PARSE_OK);
	assert_int_equal(req.nlports, 2);
	assert_int_equal(req.lports[1], 5051);
	assert_string_equal(req.image, "franpach/x");
	const char *o = " {2:'hum', 1 : 'temp'} ";
	assert_int_equal(brink_ecm_order_parse(o, strlen(o), &req, msg, sizeof(msg)), ECM_PARSE_OK);
	assert_int_equal(req.ncolumns, 2);
	assert_string_equal(req.columns[0], "temp");
	assert_string_equal(req.columns[1], "hum");
	const char *bad[] = {"{1:\"temp\"}", "{1:'temp',1:'hum'}", "{}", "{1:'a b'}", "{1:'t'", "x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(brink_ecm_order_parse(bad[i], strlen(bad[i]), &req, msg, sizeof(msg)),
				     ECM_PARSE_OK);
}

static void raw_keys(void **state)
{
	char key[ECM_KEY_MAX + 1];
	(void)state;
	assert_int_equal(brink_ecm_key_parse(KEY, 39, false, key), ECM_PARSE_AGAIN);
	assert_int_equal(brink_ecm_key_parse(KEY, 40, false, key), ECM_PARSE_OK);
	assert_string_equal(key, KEY);
	assert_int_equal(brink_ecm_key_parse("AbCdEfGhIjKlMnOpQrStUvWxYz012345", 32, false, key),
			 ECM_PARSE_OK);
	assert_int_equal(brink_ecm_key_parse("abc\r\n", 5, false, key), ECM_PARSE_OK);
	assert_string_equal(key, "abc");
	assert_int_equal(brink_ecm_key_parse("abc", 3, true, key), ECM_PARSE_OK);
	assert_int_equal(brink_ecm_key_parse("a\x01", 2, false, key), ECM_PARSE_MALFORMED);
	assert_int_equal(brink_ecm_key_parse("\n", 1, false, key), ECM_PARSE_MALFORMED);
}

static void sensor_objects_back_to_back(void **state)
{
	const char *s = "{\"id\": \"" KEY "\", \"temp\": \"31.2\", \"hum\": \"48.1\"}"
			" {\"id\": \"" KEY "\", \"t}\": \"a\\\"{\", \"n\": 2.5e1}";
	struct ecm_scan scan = {0};
	bool bad;
	char id[ECM_KEY_MAX + 1], out[256];
	(void)state;
	size_t end = brink_ecm_object_end(s, strlen(s), &scan, &bad);
	assert_false(bad);
	assert_int_equal(brink_ecm_sensor_object(s, end, id, out, sizeof(out), msg, sizeof(msg)),
			 ECM_PARSE_OK);
	assert_string_equal(id, KEY);
	assert_string_equal(out, "{\"temp\": \"31.2\", \"hum\": \"48.1\"}");
	memset(&scan, 0, sizeof(scan));
	size_t end2 = brink_ecm_object_end(s + end, strlen(s) - end, &scan, &bad);
	assert_int_equal(end + end2, strlen(s));
	assert_int_equal(brink_ecm_sensor_object(s + end, end2, id, out, sizeof(out), msg, sizeof(msg)),
			 ECM_PARSE_OK);
	assert_string_equal(out, "{\"t}\": \"a\\\"{\", \"n\": 25.0}");
	memset(&scan, 0, sizeof(scan));
	assert_int_equal(brink_ecm_object_end("x{}", 3, &scan, &bad), 0);
	assert_true(bad);
	const char *nested = "{\"id\": \"k\", \"a\": {\"b\": 1}}";
	assert_int_equal(brink_ecm_sensor_object(nested, strlen(nested), id, out, sizeof(out), msg,
						 sizeof(msg)),
			 ECM_PARSE_INVALID);
}

static void service_output_as_ecm_sent_it(void **state)
{
	char out[512];
	static const struct {
		const char *line, *want;
	} cases[] = {
		/* forward: the reading's own fields, as the device port wrote them */
		{"{\"thing\":\"ecm\",\"received\":1795640168.123456,\"temp\": \"31.2\", \"hum\": "
		 "\"48.1\"}",
		 "{\"temp\": \"31.2\", \"hum\": \"48.1\"}"},
		/* analyze per datum: the fields and ECM's msg */
		{"{\"thing\":\"ecm\",\"received\":1.5,\"temp\": \"31.2\",\"msg\":\"Condiciones "
		 "apropiadas\",\"class\":\"normal\",\"score\":0.25}",
		 "{\"temp\": \"31.2\", \"msg\": \"Condiciones apropiadas\"}"},
		/* analyze in batches: msg and nalerts */
		{"{\"received\":1.5,\"msg\":\"Alerta por condiciones inapropiadas\",\"nalerts\":2,"
		 "\"count\":3,\"classes\":{\"normal\":1,\"alert\":2},\"score\":0.6}",
		 "{\"msg\": \"Alerta por condiciones inapropiadas\", \"nalerts\": 2}"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = brink_ecm_output(cases[i].line, strlen(cases[i].line), out, sizeof(out));
		assert_string_equal(out, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
	}
	assert_int_equal(brink_ecm_output("not json", 8, out, sizeof(out)), 0);
	assert_int_equal(brink_ecm_output(cases[0].line, strlen(cases[0].line), out, 10), 0);
}

static void h5_length(void **state)
{
	uint8_t sb[64] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0, 0, 8, 8, 0};
	uint64_t size = 0;
	(void)state;
	sb[40] = 0x00; /* end of file address (v0: at 24 + 2 * 8) = 0x4400 */
	sb[41] = 0x44;
	assert_int_equal(brink_ecm_h5_size(sb, 4, &size), ECM_PARSE_AGAIN);
	assert_int_equal(brink_ecm_h5_size(sb, 47, &size), ECM_PARSE_AGAIN);
	assert_int_equal(brink_ecm_h5_size(sb, 48, &size), ECM_PARSE_OK);
	assert_int_equal(size, 17408);
	assert_int_equal(brink_ecm_h5_size((const uint8_t *)"GIF89a", 6, &size), ECM_PARSE_MALFORMED);
	sb[13] = 3;
	assert_int_equal(brink_ecm_h5_size(sb, 48, &size), ECM_PARSE_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replies_are_python_bytes),
		cmocka_unit_test(floats_as_python_repr),
		cmocka_unit_test(a_request_is_complete_when_it_parses),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(custom_ports_and_order),
		cmocka_unit_test(raw_keys),
		cmocka_unit_test(sensor_objects_back_to_back),
		cmocka_unit_test(service_output_as_ecm_sent_it),
		cmocka_unit_test(h5_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
