/* Rule expressions: precedence, fields in order of first appearance, values,
 * and syntax errors with their 1-based column. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/engine.h"

static double eval(const char *src, const double *values)
{
	struct brink_rule *r = NULL;
	struct brink_error *err = NULL;
	if (brink_rule_compile(src, &r, &err) < 0)
		fail_msg("%s: %s", src, err->msg);
	double v = brink_rule_eval(r, values);
	brink_rule_free(r);
	return v;
}

static void expect_error(const char *src, const char *msg)
{
	struct brink_rule *r = (struct brink_rule *)1;
	struct brink_error *err = NULL;
	assert_int_equal(brink_rule_compile(src, &r, &err), -1);
	assert_null(r);
	assert_non_null(err);
	if (strcmp(err->msg, msg) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", src, err->msg, msg);
	brink_error_free(&err);
}

static void test_fields(void **state)
{
	(void)state;
	struct brink_rule *r = NULL;
	struct brink_error *err = NULL;
	assert_int_equal(brink_rule_compile("temp > 30 || hum > 60 && temp_2.x < hum", &r, &err), 0);
	assert_int_equal(brink_rule_fields(r), 3);
	assert_string_equal(brink_rule_field(r, 0), "temp");
	assert_string_equal(brink_rule_field(r, 1), "hum");
	assert_string_equal(brink_rule_field(r, 2), "temp_2.x");
	assert_null(brink_rule_field(r, 3));
	double v[3] = {31, 0, 0};
	assert_true(brink_rule_eval(r, v) == 1.0);
	v[0] = 30;
	assert_true(brink_rule_eval(r, v) == 0.0);
	v[1] = 61;
	v[2] = 60;
	assert_true(brink_rule_eval(r, v) == 1.0);
	brink_rule_free(r);
}

static void test_arithmetic(void **state)
{
	(void)state;
	double v[2] = {7, 2};
	assert_true(eval("1 + 2 * 3", NULL) == 7);
	assert_true(eval("(1 + 2) * 3", NULL) == 9);
	assert_true(eval("10 - 4 - 3", NULL) == 3);
	assert_true(eval("64 / 4 / 2", NULL) == 8);
	assert_true(eval("a % b", v) == 1);
	assert_true(eval("-a + -(-b)", v) == -5);
	assert_true(eval("--a", v) == 7);
	assert_true(eval("1.5e1 + .5 + 2E-1", NULL) == 15.7);
	assert_true(eval("a*a - b*b", v) == 45);
	assert_true(isinf(eval("1 / 0", NULL)));
	assert_true(isnan(eval("a % 0", v)));
}

static void test_logic(void **state)
{
	(void)state;
	double v[2] = {3, 0};
	assert_true(eval("!b", (double[]){0}) == 1);
	assert_true(eval("!a", v) == 0);
	assert_true(eval("!!a", v) == 1);
	assert_true(eval("a == 3 && b != 3", v) == 1);
	assert_true(eval("a <= 3 && a >= 3 && !(a < 3) && !(a > 3)", v) == 1);
	assert_true(eval("a > 2 || b", v) == 1);
	assert_true(eval("b || a > 2", (double[]){0, 1}) == 0);
	assert_true(eval("1 < 2 == 1", NULL) == 1); /* (1 < 2) == 1, as in C */
	assert_true(eval("0 || 0 && 1 || 1", NULL) == 1);
	assert_true(eval("1 + 1 > 1 && 2", NULL) == 1);
	double nan_v[1] = {NAN};
	assert_true(eval("x > 0 || x <= 0", nan_v) == 0);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "rule: column 1: unexpected end of rule");
	expect_error("temp >", "rule: column 7: unexpected end of rule");
	expect_error("temp > 30 ||| hum", "rule: column 13: expected a number, a field, '(', '-' or '!'");
	expect_error("(temp > 30", "rule: column 11: expected ')'");
	expect_error("temp > 30)", "rule: column 10: unexpected character");
	expect_error("temp = 30", "rule: column 6: unexpected character");
	expect_error("temp > 3.0.1", "rule: column 8: malformed number");
	expect_error("temp > 1e999", "rule: column 8: malformed number");
	expect_error("a $ b", "rule: column 3: unexpected character");
	expect_error("a & b", "rule: column 3: unexpected character");
	expect_error("a b", "rule: column 3: unexpected character");
	expect_error("* 2", "rule: column 1: expected a number, a field, '(', '-' or '!'");
}

static void test_limits(void **state)
{
	(void)state;
	char src[5000];
	memset(src, '(', 100);
	strcpy(src + 100, "1");
	memset(src + 101, ')', 100);
	src[201] = 0;
	struct brink_rule *r = NULL;
	struct brink_error *err = NULL;
	assert_int_equal(brink_rule_compile(src, &r, &err), -1);
	assert_non_null(strstr(err->msg, "nested too deeply"));
	brink_error_free(&err);
	memset(src, '-', 4096);
	strcpy(src + 4096, "1");
	assert_int_equal(brink_rule_compile(src, &r, &err), -1);
	assert_int_equal(err->code, BRINK_E_TOO_LARGE);
	brink_error_free(&err);
	/* 65 distinct fields: one too many. */
	size_t n = 0;
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "%sf%d", i ? "+" : "", i);
	assert_int_equal(brink_rule_compile(src, &r, &err), -1);
	assert_non_null(strstr(err->msg, "too many fields"));
	brink_error_free(&err);
	/* A long flat sum stays within the stack: left-associative. */
	n = 0;
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "%s1", i ? "+" : "");
	assert_true(eval(src, NULL) == 500);
	char name[80];
	memset(name, 'x', 70);
	name[70] = 0;
	expect_error(name, "rule: column 1: field name too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
