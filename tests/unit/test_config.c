#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

static void defaults_cover_the_contract(void **state)
{
	struct brink_config c;
	(void)state;
	brink_config_defaults(&c);
	assert_int_equal(c.api_port, 8080);
	assert_int_equal(c.ingest_tcp_port, 7000);
	assert_int_equal(c.coap_port, 5683);
	assert_int_equal(c.mqtt_port, 1883);
	assert_false(c.ecm_enabled);
	assert_string_equal(c.runtime_default, "sandbox");
	assert_true(brink_config_capacity(&c) > 0);
}

static void ini_sections_prefix_keys(void **state)
{
	struct brink_config c;
	char err[256];
	const char *ini = "# comment\n; other\ndata_dir = /tmp/b\n[api]\n port = 9000 \n"
			  "[ecm]\nenabled = yes\n[cpu]\ncapacity=1.5\n";
	(void)state;
	brink_config_defaults(&c);
	assert_int_equal(brink_config_parse(&c, ini, strlen(ini), false, err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "/tmp/b");
	assert_int_equal(c.api_port, 9000);
	assert_true(c.ecm_enabled);
	assert_true(brink_config_capacity(&c) == 1.5);
}

static void bad_values_are_refused_with_the_line(void **state)
{
	struct brink_config c;
	char err[256];
	(void)state;
	brink_config_defaults(&c);
	const char *cases[] = {"[api]\nport = 0\n", "[api]\nport = 80x\n", "nokey\n",
			       "[api\nport=1\n", "cpu.capacity = nan\n", "ecm.enabled = maybe\n",
			       "unknown.key = 1\n"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct brink_config before = c;
		assert_int_equal(brink_config_parse(&c, cases[i], strlen(cases[i]), false, err,
						    sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "line "));
		assert_int_equal(before.api_port, c.api_port);
	}
}

static void reload_leaves_fixed_keys(void **state)
{
	struct brink_config c;
	char err[256];
	(void)state;
	brink_config_defaults(&c);
	assert_int_equal(brink_config_set(&c, "api.port", "9001", true, err, sizeof(err)), 1);
	assert_int_equal(c.api_port, 8080);
	assert_int_equal(brink_config_set(&c, "api.port", "8080", true, err, sizeof(err)), 0);
	assert_int_equal(brink_config_set(&c, "log.level", "debug", true, err, sizeof(err)), 0);
	assert_string_equal(c.log_level, "debug");
}

static void long_lines_and_nul_are_refused(void **state)
{
	struct brink_config c;
	char err[256], big[3000];
	(void)state;
	brink_config_defaults(&c);
	memset(big, 'a', sizeof(big));
	assert_int_equal(brink_config_parse(&c, big, sizeof(big), false, err, sizeof(err)), -1);
	assert_int_equal(brink_config_parse(&c, "a\0b=1\n", 6, false, err, sizeof(err)), -1);
	char longval[400];
	memset(longval, 'x', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	assert_int_equal(brink_config_set(&c, "data_dir", longval, false, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_cover_the_contract),
		cmocka_unit_test(ini_sections_prefix_keys),
		cmocka_unit_test(bad_values_are_refused_with_the_line),
		cmocka_unit_test(reload_leaves_fixed_keys),
		cmocka_unit_test(long_lines_and_nul_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
