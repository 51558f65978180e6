#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "brink/imageref.h"

static enum brink_imageref_status parse(const char *s, struct brink_imageref *r)
{
	return brink_imageref_parse(s, strlen(s), r);
}

static void accepts_the_grammar(void **state)
{
	(void)state;
	static const char *const good[] = {
		"busybox",
		"busybox:1.36",
		"brink/test:1",
		"library/debian:bookworm-slim",
		"127.0.0.1:5000/brink/test:1",
		"localhost/a/b",
		"registry.example.com:443/org/app@sha256:0123456789abcdef0123456789abcdef",
		"x/a__b.c-d---e/f_g:T_a.g-1",
		"x:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	struct brink_imageref r;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(parse(good[i], &r), BRINK_IMAGEREF_OK);
}

static void splits_the_parts(void **state)
{
	(void)state;
	struct brink_imageref r;
	const char *s = "127.0.0.1:5000/brink/test:1";
	assert_int_equal(parse(s, &r), BRINK_IMAGEREF_OK);
	assert_int_equal(r.domain_len, strlen("127.0.0.1:5000"));
	assert_int_equal(r.name_len, strlen("127.0.0.1:5000/brink/test"));
	assert_int_equal(r.tag_len, 1);
	assert_int_equal(s[r.tag_off], '1');
	assert_int_equal(r.digest_len, 0);
	assert_int_equal(parse("host:5000/x", &r), BRINK_IMAGEREF_OK);
	assert_int_equal(r.tag_len, 0); /* the port is not a tag */
	assert_int_equal(parse("busybox", &r), BRINK_IMAGEREF_OK);
	assert_int_equal(r.domain_len, 0);
	assert_int_equal(r.tag_len, 0);
}

static void refuses_the_rest(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		enum brink_imageref_status st;
	} bad[] = {
		{"", BRINK_IMAGEREF_EMPTY},
		{"a b", BRINK_IMAGEREF_BAD_CHAR},
		{"a;rm -rf /", BRINK_IMAGEREF_BAD_CHAR},
		{"$(id)", BRINK_IMAGEREF_BAD_CHAR},
		{"a\nb", BRINK_IMAGEREF_BAD_CHAR},
		{"-rf", BRINK_IMAGEREF_BAD_NAME},
		{"Upper", BRINK_IMAGEREF_BAD_NAME},
		{"a//b", BRINK_IMAGEREF_BAD_NAME},
		{"a/", BRINK_IMAGEREF_BAD_NAME},
		{"a..b", BRINK_IMAGEREF_BAD_NAME},
		{"a___b", BRINK_IMAGEREF_BAD_NAME},
		{"a:", BRINK_IMAGEREF_BAD_TAG},
		{"a:.x", BRINK_IMAGEREF_BAD_TAG},
		{"a@sha256:12", BRINK_IMAGEREF_BAD_DIGEST},
		{"a@sha256", BRINK_IMAGEREF_BAD_DIGEST},
		{"a@@sha256:0123456789abcdef0123456789abcdef", BRINK_IMAGEREF_BAD_DIGEST},
		{"host:99999/x", BRINK_IMAGEREF_BAD_DOMAIN},
		{"-host.com/x", BRINK_IMAGEREF_BAD_DOMAIN},
		{"host.com:/x", BRINK_IMAGEREF_BAD_DOMAIN},
	};
	struct brink_imageref r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum brink_imageref_status st = parse(bad[i].s, &r);
		if (st != bad[i].st)
			fail_msg("'%s': got %d, want %d", bad[i].s, st, bad[i].st);
		assert_int_equal(r.name_len, 0);
	}
}

static void bounds_the_length(void **state)
{
	(void)state;
	char s[BRINK_IMAGEREF_MAX + 2];
	struct brink_imageref r;
	memset(s, 'a', sizeof(s));
	assert_int_equal(brink_imageref_parse(s, 255, &r), BRINK_IMAGEREF_OK);
	assert_int_equal(brink_imageref_parse(s, 256, &r), BRINK_IMAGEREF_TOO_LONG);
	assert_int_equal(brink_imageref_parse(s, sizeof(s), &r), BRINK_IMAGEREF_TOO_LONG);
	char tag[140] = "a:";
	memset(tag + 2, 't', 129);
	tag[131] = '\0';
	assert_int_equal(parse(tag, &r), BRINK_IMAGEREF_BAD_TAG);
	tag[130] = '\0';
	assert_int_equal(parse(tag, &r), BRINK_IMAGEREF_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_the_grammar),
		cmocka_unit_test(splits_the_parts),
		cmocka_unit_test(refuses_the_rest),
		cmocka_unit_test(bounds_the_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
