/* The analyze worker's reading path (src/worker/analyze.c) with a rule model:
 * exact result lines, batch counts, skipped readings, labels and alerts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "worker/analyze.h"

static const char rule[] = "temp > 30 || hum > 60";

static struct brink_analyze *open_rules(const char *mode_fields)
{
	char config[512], msg[256];
	struct brink_analyze *a = NULL;
	snprintf(config, sizeof(config), "{\"format\":\"rules\",\"columns\":[],%s,\"threshold\":0.5,"
					 "\"inputs\":2,\"outputs\":1}", mode_fields);
	if (brink_analyze_open(config, rule, strlen(rule), &a, msg, sizeof(msg)) < 0)
		fail_msg("open: %s", msg);
	return a;
}

static size_t feed(struct brink_analyze *a, const char *rec, char *out, size_t cap)
{
	return brink_analyze_reading(a, (const uint8_t *)rec, strlen(rec), 42000001000ull, out, cap);
}

static void datum_lines(void **state)
{
	char out[512];
	(void)state;
	struct brink_analyze *a = open_rules("\"mode\":\"datum\",\"batch\":1,\"labels\":[],\"alerts\":-1");
	size_t n = feed(a, "roof\n{\"temp\":31,\"hum\":\"10\"}", out, sizeof(out));
	const char *want = "{\"thing\":\"roof\",\"received\":42.000001,\"temp\":31,\"hum\":\"10\","
			   "\"msg\":\"" BRINK_ANALYZE_ALERT_MSG "\",\"class\":\"alert\",\"score\":1}";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	n = feed(a, "roof\n{\"temp\":\"20.5\",\"hum\":50}", out, sizeof(out));
	out[n] = '\0';
	assert_non_null(strstr(out, "\"msg\":\"" BRINK_ANALYZE_NORMAL_MSG "\",\"class\":\"normal\","
				    "\"score\":0}"));
	brink_analyze_free(a);
}

static void skipped_readings_are_counted(void **state)
{
	char out[512];
	struct brink_wire_stats st;
	(void)state;
	struct brink_analyze *a = open_rules("\"mode\":\"datum\",\"batch\":1,\"labels\":[],\"alerts\":-1");
	assert_int_equal(feed(a, "roof\n{\"temp\":31}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "roof\n{\"temp\":\"hot\",\"hum\":1}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "roof\n{\"temp\":true,\"hum\":1}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "roof\n{\"temp\":\"1e999\",\"hum\":1}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "roof\n{\"temp\":\"3 \",\"hum\":1}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "roof\nnot json", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "no newline", out, sizeof(out)), 0);
	assert_true(feed(a, "roof\n{\"temp\":1,\"hum\":1}", out, sizeof(out)) > 0);
	assert_int_equal(feed(a, "roof\n{\"temp\":1,\"hum\":1}", out, 40), 0); /* does not fit */
	brink_analyze_stats(a, &st);
	assert_int_equal(st.readings, 9);
	assert_int_equal(st.skipped_missing, 1);
	assert_int_equal(st.skipped_bad, 6);
	assert_int_equal(st.results, 1);
	brink_analyze_free(a);
}

static void batches_count_classes(void **state)
{
	char out[512];
	(void)state;
	struct brink_analyze *a =
		open_rules("\"mode\":\"batch\",\"batch\":3,\"labels\":[\"ok\",\"hot\"],\"alerts\":-1");
	assert_int_equal(feed(a, "r\n{\"temp\":31,\"hum\":1}", out, sizeof(out)), 0);
	assert_int_equal(feed(a, "r\n{\"temp\":1}", out, sizeof(out)), 0); /* skipped, not counted */
	assert_int_equal(feed(a, "r\n{\"temp\":1,\"hum\":1}", out, sizeof(out)), 0);
	size_t n = feed(a, "r\n{\"temp\":1,\"hum\":61}", out, sizeof(out));
	const char *want = "{\"received\":42.000001,\"msg\":\"" BRINK_ANALYZE_ALERT_MSG "\","
			   "\"nalerts\":2,\"count\":3,\"classes\":{\"ok\":1,\"hot\":2},"
			   "\"score\":0.666666667}";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	/* the next batch starts from zero */
	feed(a, "r\n{\"temp\":1,\"hum\":1}", out, sizeof(out));
	feed(a, "r\n{\"temp\":1,\"hum\":1}", out, sizeof(out));
	n = feed(a, "r\n{\"temp\":1,\"hum\":1}", out, sizeof(out));
	out[n] = '\0';
	assert_non_null(strstr(out, "\"msg\":\"" BRINK_ANALYZE_NORMAL_MSG "\",\"nalerts\":0"));
	brink_analyze_free(a);
}

static void bad_configurations_are_refused(void **state)
{
	char msg[256];
	struct brink_analyze *a = NULL;
	(void)state;
	assert_int_equal(brink_analyze_open("not json", rule, strlen(rule), &a, msg, sizeof(msg)), -1);
	assert_int_equal(brink_analyze_open("{\"format\":\"rules\",\"mode\":\"batch\",\"batch\":0}", rule,
					    strlen(rule), &a, msg, sizeof(msg)),
			 -1);
	assert_non_null(strstr(msg, "batch"));
	assert_int_equal(brink_analyze_open("{\"format\":\"rules\",\"mode\":\"datum\",\"labels\":[\"a\"]}",
					    rule, strlen(rule), &a, msg, sizeof(msg)),
			 -1);
	assert_int_equal(brink_analyze_open("{\"format\":\"rules\",\"mode\":\"datum\"}", "temp >",
					    6, &a, msg, sizeof(msg)),
			 -1);
	assert_non_null(strstr(msg, "column"));
	assert_null(a);
}

static void the_check_mode_describes_or_refuses(void **state)
{
	char out[1024];
	(void)state;
	assert_int_equal(brink_analyze_check("rules", rule, strlen(rule), out, sizeof(out)), 1);
	assert_string_equal(out, "{\"format\":\"rules\",\"inputs\":2,\"outputs\":1,"
				 "\"fields\":[\"temp\",\"hum\"]}");
	assert_int_equal(brink_analyze_check("rules", "a >\0 1", 6, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "NUL"));
	assert_int_equal(brink_analyze_check("h5", "garbage", 7, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "model:"));
	assert_int_equal(brink_analyze_check("onnx", "x", 1, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(datum_lines),
		cmocka_unit_test(skipped_readings_are_counted),
		cmocka_unit_test(batches_count_classes),
		cmocka_unit_test(bad_configurations_are_refused),
		cmocka_unit_test(the_check_mode_describes_or_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
