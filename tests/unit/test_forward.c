#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "worker/forward.h"

static size_t fmt(const char *rec, char *out, size_t cap)
{
	return brink_forward_format((const uint8_t *)rec, strlen(rec), 42000001000ull, out, cap);
}

static void lines_carry_thing_and_receive_time(void **state)
{
	char out[256];
	(void)state;
	size_t n = fmt("t1\n{\"temp\":21.5,\"hum\":\"40\"}", out, sizeof(out));
	assert_int_equal(n, strlen("{\"thing\":\"t1\",\"received\":42.000001,\"temp\":21.5,\"hum\":\"40\"}"));
	assert_memory_equal(out, "{\"thing\":\"t1\",\"received\":42.000001,\"temp\":21.5,\"hum\":\"40\"}", n);
	n = fmt("t1\n{}", out, sizeof(out));
	assert_memory_equal(out, "{\"thing\":\"t1\",\"received\":42.000001}", n);
}

static void malformed_records_and_small_buffers_give_zero(void **state)
{
	char out[256];
	(void)state;
	assert_int_equal(fmt("no newline", out, sizeof(out)), 0);
	assert_int_equal(fmt("\n{}", out, sizeof(out)), 0);
	assert_int_equal(fmt("t1\n[1]", out, sizeof(out)), 0);
	assert_int_equal(fmt("t1\n{", out, sizeof(out)), 0);
	assert_int_equal(fmt("t1\n{\"a\":1}", out, 20), 0);
	assert_int_equal(fmt("t1\n{\"a\":1}", out, 40), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_carry_thing_and_receive_time),
		cmocka_unit_test(malformed_records_and_small_buffers_give_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
