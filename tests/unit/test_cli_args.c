/* The command-line client without a server: global options, option parsers,
 * request bodies, the table of verbs, error messages and output helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli-internal.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})

static int count(char **argv)
{
	int n = 0;
	while (argv[n])
		n++;
	return n;
}

static int clear_env(void **state)
{
	(void)state;
	unsetenv("BRINK_URL");
	unsetenv("BRINK_KEY");
	return 0;
}

static void globals_anywhere(void **state)
{
	(void)state;
	char *argv[] = {"brink", "--json", "thing", "--url", "http://h:1//", "ls", "--key=K", NULL};
	int argc = 7;
	struct cli_ctx ctx = {0};
	assert_int_equal(cli__globals(&ctx, &argc, argv), CLI_OK);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[1], "thing");
	assert_string_equal(argv[2], "ls");
	assert_null(argv[3]);
	assert_true(ctx.json);
	assert_false(ctx.help);
	assert_string_equal(ctx.url, "http://h:1");
	assert_string_equal(ctx.key, "K");
}

static void globals_stop_at_double_dash(void **state)
{
	(void)state;
	char *argv[] = {"brink", "thing", "add", "-h", "--", "--json", NULL};
	int argc = 6;
	struct cli_ctx ctx = {0};
	assert_int_equal(cli__globals(&ctx, &argc, argv), CLI_OK);
	assert_int_equal(argc, 5);
	assert_string_equal(argv[3], "--");
	assert_string_equal(argv[4], "--json");
	assert_false(ctx.json);
	assert_true(ctx.help);
}

static void globals_env_and_defaults(void **state)
{
	(void)state;
	char *argv[] = {"brink", "system", NULL};
	int argc = 2;
	struct cli_ctx ctx = {0};
	assert_int_equal(cli__globals(&ctx, &argc, argv), CLI_OK);
	assert_string_equal(ctx.url, CLI_DEFAULT_URL);
	assert_null(ctx.key);

	setenv("BRINK_URL", "https://gw:9/", 1);
	setenv("BRINK_KEY", "envkey", 1);
	char *argv2[] = {"brink", "--key", "optkey", "system", NULL};
	argc = 4;
	struct cli_ctx ctx2 = {0};
	assert_int_equal(cli__globals(&ctx2, &argc, argv2), CLI_OK);
	assert_string_equal(ctx2.url, "https://gw:9");
	assert_string_equal(ctx2.key, "optkey"); /* the option wins */

	setenv("BRINK_KEY", "", 1);
	char *argv3[] = {"brink", "system", NULL};
	argc = 2;
	struct cli_ctx ctx3 = {0};
	assert_int_equal(cli__globals(&ctx3, &argc, argv3), CLI_OK);
	assert_null(ctx3.key); /* empty is none */
}

static void globals_errors(void **state)
{
	(void)state;
	char *a1[] = {"brink", "system", "--key", NULL};
	int argc = 3;
	struct cli_ctx ctx = {0};
	assert_int_equal(cli__globals(&ctx, &argc, a1), CLI_EUSAGE);
	char *a2[] = {"brink", "--url=ftp://x", "system", NULL};
	argc = 3;
	assert_int_equal(cli__globals(&ctx, &argc, a2), CLI_EUSAGE);
	char *a3[] = {"brink", "--url=///", "system", NULL};
	argc = 3;
	assert_int_equal(cli__globals(&ctx, &argc, a3), CLI_EUSAGE);
	/* an unknown option is the verb's business, not an error here */
	char *a4[] = {"brink", "--jsn", "system", NULL};
	argc = 3;
	assert_int_equal(cli__globals(&ctx, &argc, a4), CLI_OK);
	assert_int_equal(argc, 3);
}

static void parse_numbers(void **state)
{
	(void)state;
	double lo, hi, d;
	long l;
	assert_int_equal(cli__parse_cpu("0.1:0.5", &lo, &hi), 0);
	assert_true(lo == 0.1 && hi == 0.5);
	assert_int_equal(cli__parse_cpu("2", &lo, &hi), 0);
	assert_true(lo == 2 && hi == 2);
	assert_int_equal(cli__parse_cpu("0:1", &lo, &hi), 0);
	assert_true(lo == 0 && hi == 1);
	const char *bad[] = {"", "x", "0.1:", ":1", "1:0.5", "-1:1", "0", "0:0",
			     "nan", "inf:inf", "1e999", "0.1:0.5:1", "1 ", " "};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(bad); i++)
		assert_int_equal(cli__parse_cpu(bad[i], &lo, &hi), -1);
	assert_int_equal(cli__parse_double("1.5", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(cli__parse_long("65535", 1, 65535, &l), 0);
	assert_int_equal(l, 65535);
	assert_int_equal(cli__parse_long("65536", 1, 65535, &l), -1);
	assert_int_equal(cli__parse_long("0", 1, 65535, &l), -1);
	assert_int_equal(cli__parse_long("12x", 1, 65535, &l), -1);
	assert_int_equal(cli__parse_long("", 1, 65535, &l), -1);
	assert_int_equal(cli__parse_long("99999999999999999999", 1, 65535, &l), -1);
}

static void id_paths(void **state)
{
	(void)state;
	char *p = cli__id_path("/v1/services", "ab-12_x.y~", "/stop");
	assert_string_equal(p, "/v1/services/ab-12_x.y~/stop");
	free(p);
	p = cli__id_path("/v1/things", "a b/../c?d#", NULL);
	assert_string_equal(p, "/v1/things/a%20b%2F..%2Fc%3Fd%23");
	free(p);
	assert_null(cli__id_path("/v1/things", "", NULL));
	assert_null(cli__id_path("/v1/things", ".", NULL));
	assert_null(cli__id_path("/v1/things", "..", NULL));
}

static void service_body_full(void **state)
{
	(void)state;
	char **argv = ARGV("up", "analyze", "--cpu", "0.25:1.5", "--memory", "128", "--name=an",
			   "--runtime", "sandbox", "--thing", "t1", "--thing", "t2", "--model", "m",
			   "--columns", "a,b,c", "--batch", "10");
	struct cli_ctx ctx = {0};
	json_t *body = NULL;
	assert_int_equal(cli__service_body(&ctx, count(argv), argv, &body), CLI_OK);
	json_t *want = json_pack("{ss s{sfsf} si ss ss s[ss] ss s[sss] ss si}", "kind", "analyze",
				 "cpu", "min", 0.25, "max", 1.5, "memory_mb", 128, "name", "an",
				 "runtime", "sandbox", "things", "t1", "t2", "model", "m", "columns",
				 "a", "b", "c", "mode", "batch", "batch", 10);
	assert_true(json_equal(body, want));
	json_decref(body);
	json_decref(want);
}

static void service_body_custom_minimal(void **state)
{
	(void)state;
	char **argv = ARGV("up", "--cpu", "0.5", "custom", "--image", "nginx:1", "--port", "80",
			   "--port", "443");
	struct cli_ctx ctx = {0};
	json_t *body = NULL;
	assert_int_equal(cli__service_body(&ctx, count(argv), argv, &body), CLI_OK);
	json_t *want = json_pack("{ss s{sfsf} ss s[ii]}", "kind", "custom", "cpu", "min", 0.5,
				 "max", 0.5, "image", "nginx:1", "container_ports", 80, 443);
	assert_true(json_equal(body, want));
	json_decref(body);
	json_decref(want);
}

static void service_body_usage_errors(void **state)
{
	(void)state;
	char **cases[] = {
		ARGV("up", "forward"),
		ARGV("up", "--cpu", "0.1"),
		ARGV("up", "forward", "extra", "--cpu", "0.1"),
		ARGV("up", "forward", "--cpu", "abc"),
		ARGV("up", "forward", "--cpu", "0.1", "--port", "70000"),
		ARGV("up", "forward", "--cpu", "0.1", "--memory", "-5"),
		ARGV("up", "forward", "--cpu", "0.1", "--columns", "a,,b"),
		ARGV("up", "forward", "--cpu", "0.1", "--columns", "a,"),
		ARGV("up", "forward", "--cpu", "0.1", "--bogus"),
		ARGV("up", "forward", "--cpu"),
		ARGV("up", "forward", "--cpu", "0.1", "-x"),
	};
	struct cli_ctx ctx = {0};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(cases); i++) {
		json_t *body = NULL;
		assert_int_equal(cli__service_body(&ctx, count(cases[i]), cases[i], &body),
				 CLI_EUSAGE);
		assert_null(body);
	}
}

static void thing_body(void **state)
{
	(void)state;
	char **argv = ARGV("add", "s1", "--info", "kitchen, north wall");
	struct cli_ctx ctx = {0};
	json_t *body = NULL;
	assert_int_equal(cli__thing_body(&ctx, count(argv), argv, &body), CLI_OK);
	json_t *want = json_pack("{ssss}", "name", "s1", "info", "kitchen, north wall");
	assert_true(json_equal(body, want));
	json_decref(body);
	json_decref(want);
	char **none = ARGV("add", "--info", "x");
	body = NULL;
	assert_int_equal(cli__thing_body(&ctx, count(none), none, &body), CLI_EUSAGE);
	assert_null(body);
}

/* ---- the table of verbs, with a fake table ---- */

static int ran;
static char *ran_arg;

static int fake_run(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	ran++;
	ran_arg = argc > 1 ? argv[1] : NULL;
	return 7;
}

static const struct cli_cmd fake_leaf = {
	.name = "do", .usage = "grp do X", .summary = "s", .flags = CLI_NEEDS_KEY, .run = fake_run};
static const struct cli_cmd fake_open = {
	.name = "open", .usage = "open", .summary = "s", .run = fake_run};
static const struct cli_cmd *const fake_sub[] = {&fake_leaf, NULL};
static const struct cli_cmd fake_group = {
	.name = "grp", .usage = "grp COMMAND", .summary = "s", .sub = fake_sub};
static const struct cli_cmd *const fake_table[] = {&fake_group, &fake_open, NULL};

static int dispatch(struct cli_ctx *ctx, char **argv)
{
	ran = 0;
	ran_arg = NULL;
	return cli__dispatch(ctx, fake_table, count(argv), argv);
}

static void dispatch_finds_verbs(void **state)
{
	(void)state;
	struct cli_ctx ctx = {.key = "k"};
	assert_int_equal(dispatch(&ctx, ARGV("grp", "do", "arg")), 7);
	assert_int_equal(ran, 1);
	assert_string_equal(ran_arg, "arg");
	assert_ptr_equal(ctx.cmd, &fake_leaf);
	assert_string_equal(ctx.path, "grp do");
	assert_string_equal(ctx.key, "k");

	struct cli_ctx open = {.key = "k"};
	assert_int_equal(dispatch(&open, ARGV("open")), 7);
	assert_null(open.key); /* a verb without a key does not send one */
}

static void dispatch_refuses(void **state)
{
	(void)state;
	struct cli_ctx ctx = {.key = "k"};
	assert_int_equal(dispatch(&ctx, ARGV("nope")), CLI_EUSAGE);
	assert_int_equal(dispatch(&ctx, ARGV("grp")), CLI_EUSAGE);
	assert_int_equal(dispatch(&ctx, ARGV("grp", "nope")), CLI_EUSAGE);
	assert_int_equal(ran, 0);
	struct cli_ctx nokey = {0};
	assert_int_equal(dispatch(&nokey, ARGV("grp", "do", "x")), CLI_EUSAGE);
	assert_int_equal(ran, 0);
	struct cli_ctx badkey = {.key = "a\r\nX-Evil: 1"};
	assert_int_equal(dispatch(&badkey, ARGV("grp", "do", "x")), CLI_EUSAGE);
	assert_int_equal(ran, 0);
}

static void dispatch_help(void **state)
{
	(void)state;
	struct cli_ctx ctx = {.help = true};
	assert_int_equal(dispatch(&ctx, ARGV("grp", "do")), CLI_OK);
	assert_int_equal(dispatch(&ctx, ARGV("grp")), CLI_OK);
	assert_int_equal(ran, 0);
	struct cli_ctx h = {0};
	char **argv = ARGV("help", "grp", "do");
	assert_int_equal(cli__help(&h, fake_table, count(argv), argv), CLI_OK);
	assert_int_equal(ran, 0);
}

/* ---- http.c and output.c helpers ---- */

static void buffer_limit(void **state)
{
	(void)state;
	struct cli_buf b = {0};
	assert_int_equal(cli__buf_append(&b, "abcd", 4, 6), 0);
	assert_int_equal(cli__buf_append(&b, "ef", 2, 6), 0);
	assert_int_equal(cli__buf_append(&b, "g", 1, 6), -1);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	assert_int_equal(cli__buf_append(&b, "x", SIZE_MAX, 6), -1);
	free(b.data);
}

static void error_messages(void **state)
{
	(void)state;
	const char *nf = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such service\"}}";
	char *m = cli__error_message(404, nf, strlen(nf));
	assert_string_equal(m, "no such service");
	free(m);
	m = cli__error_message(401, nf, strlen(nf));
	assert_string_equal(m, "the key was refused (set BRINK_KEY or --key)");
	free(m);
	m = cli__error_message(502, "<html>", 6);
	assert_non_null(strstr(m, "HTTP 502"));
	free(m);
	const char *esc = "{\"error\":{\"code\":\"x\",\"message\":\"a\\u001b[2Jb\"}}";
	m = cli__error_message(400, esc, strlen(esc));
	assert_string_equal(m, "a?[2Jb");
	free(m);
}

static void shown_values(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:[s,i,f,n,b]}", "a", "x\x01y", 3, 0.5, 1);
	char *s = cli__show_field(v, "a");
	assert_string_equal(s, "x?y, 3, 0.5, -, yes");
	free(s);
	s = cli__show_field(v, "missing");
	assert_string_equal(s, "-");
	free(s);
	json_decref(v);
	json_t *o = json_pack("{s:i,s:s,s:{s:i}}", "pid", 7, "state", "ok", "deep", "x", 1);
	s = cli__show(o);
	assert_string_equal(s, "pid 7, state ok, deep {\"x\":1}");
	free(s);
	json_decref(o);
	json_t *t = json_integer(0);
	s = cli__show_time(t);
	assert_string_equal(s, "never");
	free(s);
	json_integer_set(t, 86400);
	s = cli__show_time(t);
	assert_string_equal(s, "1970-01-02 00:00:00 UTC");
	free(s);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(globals_anywhere, clear_env),
		cmocka_unit_test_setup(globals_stop_at_double_dash, clear_env),
		cmocka_unit_test_setup(globals_env_and_defaults, clear_env),
		cmocka_unit_test_setup(globals_errors, clear_env),
		cmocka_unit_test(parse_numbers),
		cmocka_unit_test(id_paths),
		cmocka_unit_test(service_body_full),
		cmocka_unit_test(service_body_custom_minimal),
		cmocka_unit_test(service_body_usage_errors),
		cmocka_unit_test(thing_body),
		cmocka_unit_test(dispatch_finds_verbs),
		cmocka_unit_test(dispatch_refuses),
		cmocka_unit_test(dispatch_help),
		cmocka_unit_test(buffer_limit),
		cmocka_unit_test(error_messages),
		cmocka_unit_test(shown_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
