#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/thingid.h"

static enum brink_thingid_status ident(const char *s, char *tenant, char *thing)
{
	return brink_psk_identity_parse(s, strlen(s), tenant, thing);
}

static void test_identity(void **state)
{
	char tenant[BRINK_NAME_MAX + 1], thing[BRINK_NAME_MAX + 1], long_name[200];
	(void)state;
	assert_int_equal(ident("alpha/roof", tenant, thing), BRINK_THINGID_OK);
	assert_string_equal(tenant, "alpha");
	assert_string_equal(thing, "roof");
	assert_int_equal(ident("a.b-c_d/x.y", tenant, thing), BRINK_THINGID_OK);
	const char *bad[] = {"roof", "/roof", "alpha/", "alpha/roof/x", "al pha/roof", "alpha//roof",
			     ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ident(bad[i], tenant, thing), BRINK_THINGID_MALFORMED);
		assert_string_equal(tenant, "");
		assert_string_equal(thing, "");
	}
	memset(long_name, 'a', 65);
	strcpy(long_name + 65, "/roof");
	assert_int_equal(ident(long_name, tenant, thing), BRINK_THINGID_MALFORMED);
	assert_int_equal(brink_psk_identity_parse("alpha\0/roof", 11, tenant, thing),
			 BRINK_THINGID_MALFORMED);
	assert_int_equal(brink_psk_identity_parse(NULL, 0, tenant, thing), BRINK_THINGID_MALFORMED);
}

static enum brink_thingid_status boot(const char *s, char *key, char *proto)
{
	return brink_bootstrap_parse(s, strlen(s), key, proto);
}

static void test_bootstrap(void **state)
{
	char key[BRINK_BOOT_KEY_MAX + 1], proto[BRINK_BOOT_PROTO_MAX + 1], big[300];
	(void)state;
	assert_int_equal(boot("KEY", key, proto), BRINK_THINGID_OK);
	assert_string_equal(key, "KEY");
	assert_string_equal(proto, "");
	assert_int_equal(boot("KEY\r\n", key, proto), BRINK_THINGID_OK);
	assert_string_equal(key, "KEY");
	assert_int_equal(boot("KEY coaps\n", key, proto), BRINK_THINGID_OK);
	assert_string_equal(key, "KEY");
	assert_string_equal(proto, "coaps");
	const char *bad[] = {"", "\n", " KEY", "KEY a b", "KEY\001", "KEY waytoolongprotocolname"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(boot(bad[i], key, proto), BRINK_THINGID_MALFORMED);
		assert_string_equal(key, "");
		assert_string_equal(proto, "");
	}
	memset(big, 'k', 129);
	big[129] = '\0';
	assert_int_equal(boot(big, key, proto), BRINK_THINGID_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_bootstrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
