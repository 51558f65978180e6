#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/lines.h"

/* What a framer reported, flattened: "OK:text", "TOO_LONG", "BINARY", one
 * per event, each followed by '\n' (lines hold no '\n'). */
struct events {
	char text[1 << 18];
	size_t len;
};

static void record(struct events *ev, enum brink_lines_status st, const struct brink_line *line)
{
	if (st == BRINK_LINES_OK) {
		assert_int_equal(line->data[line->len], '\0');
		assert_null(memchr(line->data, '\0', line->len));
		assert_null(memchr(line->data, '\n', line->len));
		assert_true(line->len > 0);
		ev->len += (size_t)snprintf(ev->text + ev->len, sizeof(ev->text) - ev->len, "OK:%s\n",
					    line->data);
	} else {
		ev->len += (size_t)snprintf(ev->text + ev->len, sizeof(ev->text) - ev->len, "%s\n",
					    brink_lines_status_name(st));
	}
	assert_true(ev->len < sizeof(ev->text));
}

/* Feeds buf[0..len) in one call sequence; returns the pending count after. */
static size_t feed(struct brink_lines *l, const char *buf, size_t len, struct events *ev)
{
	struct brink_line line;
	enum brink_lines_status st;
	while ((st = brink_lines_feed(l, &buf, &len, &line)) != BRINK_LINES_AGAIN)
		record(ev, st, &line);
	assert_int_equal(len, 0);
	return brink_lines_pending(l);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Feeds buf in chunks: size 1 if chunk_max is 1, else random 1..chunk_max. */
static size_t feed_split(size_t max, const char *buf, size_t len, size_t chunk_max, uint64_t seed,
			 struct events *ev)
{
	struct brink_lines *l = brink_lines_new(max);
	assert_non_null(l);
	size_t off = 0;
	while (off < len) {
		size_t n = chunk_max == 1 ? 1 : 1 + rng_next(&seed) % chunk_max;
		if (n > len - off)
			n = len - off;
		feed(l, buf + off, n, ev);
		off += n;
	}
	size_t pending = brink_lines_pending(l);
	brink_lines_free(l);
	return pending;
}

/* The specification, written independently of lines.c: split on '\n'; a
 * NUL within the first max+1 bytes makes BINARY; else more than max+1
 * bytes, or more than max after dropping one final '\r', make TOO_LONG;
 * empty lines vanish. The unterminated tail is reported only when it is
 * already BINARY or TOO_LONG. */
static bool model_bad(size_t max, const char *p, size_t n, struct events *ev)
{
	size_t scan = n < max + 1 ? n : max + 1;
	const char *what = memchr(p, '\0', scan) ? "binary\n" : n > max + 1 ? "too_long\n" : NULL;
	if (what)
		ev->len += (size_t)sprintf(ev->text + ev->len, "%s", what);
	return what != NULL;
}

static void model(size_t max, const char *buf, size_t len, struct events *ev)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		const char *p = buf + start;
		size_t n = i - start;
		start = i + 1;
		if (model_bad(max, p, n, ev))
			continue;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > max) {
			ev->len += (size_t)sprintf(ev->text + ev->len, "too_long\n");
			continue;
		}
		if (n > 0)
			ev->len += (size_t)sprintf(ev->text + ev->len, "OK:%.*s\n", (int)n, p);
	}
	model_bad(max, buf + start, len - start, ev);
}

static void expect(size_t max, const char *buf, size_t len, const char *want)
{
	struct events ev = {.len = 0};
	struct brink_lines *l = brink_lines_new(max);
	assert_non_null(l);
	feed(l, buf, len, &ev);
	brink_lines_free(l);
	ev.text[ev.len] = '\0';
	assert_string_equal(ev.text, want);
}

#define EXPECT(max, lit, want) expect(max, lit, sizeof(lit) - 1, want)

static void lines_crlf_and_empty(void **state)
{
	(void)state;
	EXPECT(16, "a\nbb\r\nccc\n", "OK:a\nOK:bb\nOK:ccc\n");
	EXPECT(16, "\n\r\n\n{}\n", "OK:{}\n");
	EXPECT(16, "a\r\r\n", "OK:a\r\n"); /* only one '\r' is dropped */
	EXPECT(16, "a\rb\n", "OK:a\rb\n");
	EXPECT(16, "no newline yet", "");
}

static void limit_is_exact(void **state)
{
	(void)state;
	EXPECT(4, "abcd\nabcd\r\nabcde\nok\n", "OK:abcd\nOK:abcd\ntoo_long\nOK:ok\n");
	EXPECT(4, "abcd\r\r\nok\n", "too_long\nOK:ok\n");
	EXPECT(1, "a\nab\n\r\nb\n", "OK:a\ntoo_long\nOK:b\n");
}

static void too_long_reported_once_and_not_buffered(void **state)
{
	(void)state;
	struct brink_lines *l = brink_lines_new(8);
	struct events ev = {.len = 0};
	char junk[1000];
	memset(junk, 'x', sizeof(junk));
	for (int i = 0; i < 100; i++)
		assert_int_equal(feed(l, junk, sizeof(junk), &ev), (size_t)(i + 1) * sizeof(junk));
	feed(l, "tail\nnext\n", 10, &ev);
	assert_int_equal(brink_lines_pending(l), 0);
	ev.text[ev.len] = '\0';
	assert_string_equal(ev.text, "too_long\nOK:next\n");
	brink_lines_free(l);
}

static void nul_makes_binary(void **state)
{
	(void)state;
	EXPECT(16, "ab\0cd\nok\n", "binary\nOK:ok\n");
	EXPECT(16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\n{}\n", "binary\nOK:{}\n");
	/* the NUL comes after the line already passed its limit */
	EXPECT(4, "abcdefg\0\nok\n", "too_long\nOK:ok\n");
	EXPECT(4, "abcd\0\nok\n", "binary\nOK:ok\n");
	/* NUL in a later piece of a partly buffered line */
	struct brink_lines *l = brink_lines_new(16);
	struct events ev = {.len = 0};
	assert_int_equal(feed(l, "{\"a\":", 5, &ev), 5);
	assert_int_equal(feed(l, "1\0", 2, &ev), 7);
	assert_int_equal(feed(l, "}\n{}\n", 5, &ev), 0);
	ev.text[ev.len] = '\0';
	assert_string_equal(ev.text, "binary\nOK:{}\n");
	brink_lines_free(l);
}

static void pending_and_reset(void **state)
{
	(void)state;
	struct brink_lines *l = brink_lines_new(64);
	struct events ev = {.len = 0};
	assert_int_equal(brink_lines_max(l), 64);
	assert_int_equal(feed(l, "{\"t", 3, &ev), 3);
	assert_int_equal(feed(l, "emp\"", 4, &ev), 7);
	brink_lines_reset(l);
	assert_int_equal(brink_lines_pending(l), 0);
	assert_int_equal(feed(l, "x\n", 2, &ev), 0);
	ev.text[ev.len] = '\0';
	assert_string_equal(ev.text, "OK:x\n");
	brink_lines_free(l);
}

static void input_left_after_a_line(void **state)
{
	(void)state;
	struct brink_lines *l = brink_lines_new(64);
	const char *p = "one\ntwo\nthr";
	size_t n = strlen(p);
	struct brink_line line;
	assert_int_equal(brink_lines_feed(l, &p, &n, &line), BRINK_LINES_OK);
	assert_int_equal(line.len, 3);
	assert_string_equal(line.data, "one");
	assert_int_equal(n, 7);
	assert_string_equal(p, "two\nthr");
	assert_int_equal(brink_lines_feed(l, &p, &n, &line), BRINK_LINES_OK);
	assert_string_equal(line.data, "two");
	assert_int_equal(brink_lines_feed(l, &p, &n, &line), BRINK_LINES_AGAIN);
	assert_int_equal(n, 0);
	assert_int_equal(brink_lines_pending(l), 3);
	brink_lines_free(l);
}

static void bad_limits(void **state)
{
	(void)state;
	assert_null(brink_lines_new(0));
	assert_null(brink_lines_new(BRINK_LINES_LIMIT + 1));
	struct brink_lines *l = brink_lines_new(BRINK_LINES_LIMIT);
	assert_non_null(l);
	brink_lines_free(l);
	brink_lines_free(NULL);
}

/* A stream of every kind of line, built from a seed. */
static size_t make_stream(char *buf, size_t cap, size_t max, uint64_t seed)
{
	size_t len = 0;
	while (len + 3 * max + 8 < cap) {
		uint64_t r = rng_next(&seed);
		size_t n = r % (max + 4);
		if (r % 29 == 0)
			n = 2 * max + r % (3 * max);
		for (size_t i = 0; i < n; i++) {
			uint64_t c = rng_next(&seed) % 64;
			buf[len++] = c == 0 && r % 7 == 0 ? '\0' : (char)('!' + c);
		}
		if (r % 5 == 0)
			buf[len++] = '\r';
		if (r % 11 != 0) /* sometimes two lines run together */
			buf[len++] = '\n';
	}
	return len;
}

static void any_split_gives_the_same_lines(void **state)
{
	static char buf[40000];
	static struct events whole, want, split;
	(void)state;
	const size_t maxes[] = {1, 5, 16, 64};
	for (size_t m = 0; m < (sizeof(maxes) / sizeof(maxes[0])); m++) {
		for (uint64_t seed = 1; seed <= 8; seed++) {
			size_t max = maxes[m];
			size_t len = make_stream(buf, sizeof(buf), max, seed * 7919);
			whole.len = want.len = 0;
			model(max, buf, len, &want);
			size_t pend = feed_split(max, buf, len, len, 0, &whole);
			assert_int_equal(whole.len, want.len);
			assert_memory_equal(whole.text, want.text, want.len);
			const size_t chunks[] = {1, 2, 3, 7, 64, 1000};
			for (size_t c = 0; c < (sizeof(chunks) / sizeof(chunks[0])); c++) {
				split.len = 0;
				size_t p = feed_split(max, buf, len, chunks[c], seed, &split);
				if (split.len != want.len ||
				    memcmp(split.text, want.text, want.len) != 0)
					fail_msg("max %zu seed %llu chunks %zu differ", max,
						 (unsigned long long)seed, chunks[c]);
				assert_int_equal(p, pend);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_crlf_and_empty),
		cmocka_unit_test(limit_is_exact),
		cmocka_unit_test(too_long_reported_once_and_not_buffered),
		cmocka_unit_test(nul_makes_binary),
		cmocka_unit_test(pending_and_reset),
		cmocka_unit_test(input_left_after_a_line),
		cmocka_unit_test(bad_limits),
		cmocka_unit_test(any_split_gives_the_same_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
