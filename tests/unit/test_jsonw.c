/* The JSON writer's output must parse (jansson) back to what was written. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/jsonw.h"

static void strings_round_trip(void **state)
{
	const char *cases[] = {"", "plain", "quote\"back\\slash", "tab\tnl\ncr\r", "\x01\x1f\x7f",
			       "utf-8 \xc3\xa9\xe2\x82\xac", "</script>"};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonw w = {0};
		size_t len;
		jsonw_raw(&w, "{");
		jsonw_key(&w, "s", true);
		jsonw_str(&w, cases[i]);
		jsonw_raw(&w, "}");
		char *text = jsonw_take(&w, &len);
		assert_non_null(text);
		assert_int_equal(len, strlen(text));
		json_t *o = json_loads(text, 0, NULL);
		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "s")), cases[i]);
		json_decref(o);
		free(text);
	}
}

static void numbers_and_bools(void **state)
{
	struct jsonw w = {0};
	size_t len;
	(void)state;
	jsonw_raw(&w, "[");
	jsonw_real(&w, 0.1);
	jsonw_raw(&w, ",");
	jsonw_real(&w, 1.0 / 0.0);
	jsonw_raw(&w, ",");
	jsonw_int(&w, -9007199254740993LL);
	jsonw_raw(&w, ",");
	jsonw_bool(&w, true);
	jsonw_raw(&w, "]");
	char *text = jsonw_take(&w, &len);
	assert_string_equal(text, "[0.1,null,-9007199254740993,true]");
	free(text);
}

static void reals_keep_nine_decimals(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {{0, "0"}, {1, "1"}, {0.75, "0.75"}, {-0.25, "-0.25"}, {1.0 / 3, "0.333333333"},
		     {0.00175, "0.00175"}, {123456.000000001, "123456.000000001"}, {1e12, "1e+12"},
		     {2e-10, "0"}};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonw w = {0};
		size_t len;
		jsonw_real(&w, cases[i].v);
		char *text = jsonw_take(&w, &len);
		assert_string_equal(text, cases[i].text);
		free(text);
	}
}

static void grows_past_its_first_buffer(void **state)
{
	struct jsonw w = {0};
	size_t len;
	(void)state;
	for (int i = 0; i < 10000; i++)
		jsonw_str(&w, "0123456789");
	char *text = jsonw_take(&w, &len);
	assert_int_equal(len, 10000 * 12);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings_round_trip),
		cmocka_unit_test(numbers_and_bools),
		cmocka_unit_test(reals_keep_nine_decimals),
		cmocka_unit_test(grows_past_its_first_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
