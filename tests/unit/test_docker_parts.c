/* Pure parts of the docker runtime and its control-plane path: the progress
 * log a pending service keeps, and the URL escaping of engine paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "control/control-internal.h"
#include "runtime/docker-internal.h"

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void progress_keeps_the_last_lines(void **state)
{
	(void)state;
	static struct ctl_service s;
	char line[64];
	control__progress_add(&s, "preparing");
	assert_string_equal(s.progress, "preparing\n");
	assert_int_equal(s.progress_seq, 1);
	for (int i = 0; i < 500; i++) {
		snprintf(line, sizeof(line), "layer %03d: Downloading", i);
		control__progress_add(&s, line);
	}
	assert_int_equal(s.progress_seq, 501);
	assert_true(strlen(s.progress) < sizeof(s.progress));
	/* whole lines only, the newest last, the oldest dropped */
	assert_int_equal(s.progress[strlen(s.progress) - 1], '\n');
	assert_non_null(strstr(s.progress, "layer 499: Downloading\n"));
	assert_null(strstr(s.progress, "preparing"));
	assert_memory_equal(s.progress, "layer ", 6);
	assert_true(count_lines(s.progress) > 10);
}

static void progress_lines_hold_no_newline(void **state)
{
	(void)state;
	static struct ctl_service s;
	control__progress_add(&s, "a\nb");
	assert_string_equal(s.progress, "a b\n");
	char big[4096];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	control__progress_add(&s, big); /* cut to a quarter of the log */
	assert_int_equal(count_lines(s.progress), 2);
	assert_true(strlen(s.progress) < sizeof(s.progress));
}

static void escape_for_engine_paths(void **state)
{
	(void)state;
	char out[64];
	assert_string_equal(dk__escape("127.0.0.1:5000/a/b:1", out, sizeof(out)),
			    "127.0.0.1%3A5000%2Fa%2Fb%3A1");
	assert_string_equal(dk__escape("{\"x\":[\"y=z\"]}", out, sizeof(out)),
			    "%7B%22x%22%3A%5B%22y%3Dz%22%5D%7D");
	char small[8];
	dk__escape("////////", small, sizeof(small)); /* never past the buffer */
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(progress_keeps_the_last_lines),
		cmocka_unit_test(progress_lines_hold_no_newline),
		cmocka_unit_test(escape_for_engine_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
