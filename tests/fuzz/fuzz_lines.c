/* libFuzzer harness for the TCP line framer (src/ingest/lines.c).
 *
 * Input: byte 0 picks the line limit, byte 1 how many chunk sizes follow,
 * then those sizes, then the stream. The stream is fed in chunks of those
 * sizes (cycling), then whole, and both runs must give the same events as a
 * plain model of the rules (see lines.h), with every line well formed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	uint64_t hash;
	size_t events;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void mix(struct digest *d, int st, const char *p, size_t n)
{
	uint64_t h = d->hash ^ (uint64_t)(st + 1) * 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001B3ull;
	d->hash = (h ^ n) * 0x100000001B3ull;
	d->events++;
}

static void feed(struct brink_lines *l, size_t max, const char *p, size_t n, struct digest *d)
{
	struct brink_line line;
	enum brink_lines_status st;
	while ((st = brink_lines_feed(l, &p, &n, &line)) != BRINK_LINES_AGAIN) {
		if (st == BRINK_LINES_OK) {
			check(line.len > 0 && line.len <= max && line.data[line.len] == '\0');
			check(!memchr(line.data, '\n', line.len) && !memchr(line.data, '\0', line.len));
		}
		mix(d, st, st == BRINK_LINES_OK ? line.data : "", st == BRINK_LINES_OK ? line.len : 0);
	}
	check(n == 0);
}

static bool model_bad(size_t max, const char *p, size_t n, struct digest *d)
{
	size_t scan = n < max + 1 ? n : max + 1;
	int st = memchr(p, '\0', scan) ? BRINK_LINES_BINARY
	       : n > max + 1	       ? BRINK_LINES_TOO_LONG
				       : BRINK_LINES_OK;
	if (st != BRINK_LINES_OK)
		mix(d, st, "", 0);
	return st != BRINK_LINES_OK;
}

/* Returns what brink_lines_pending should say at the end. */
static size_t model(size_t max, const char *buf, size_t len, struct digest *d)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		const char *p = buf + start;
		size_t n = i - start;
		start = i + 1;
		if (model_bad(max, p, n, d))
			continue;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > max)
			mix(d, BRINK_LINES_TOO_LONG, "", 0);
		else if (n > 0)
			mix(d, BRINK_LINES_OK, p, n);
	}
	model_bad(max, buf + start, len - start, d);
	return len - start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = data[0] < 250 ? 1 + data[0] % 64 : BRINK_LINES_DEFAULT_MAX;
	size_t nsizes = data[1] % 16;
	if (size < 2 + nsizes)
		return 0;
	const uint8_t *sizes = data + 2;
	const char *stream = (const char *)data + 2 + nsizes;
	size_t len = size - 2 - nsizes;

	struct digest chunked = {0, 0}, whole = {0, 0}, want = {0, 0};
	struct brink_lines *a = brink_lines_new(max), *b = brink_lines_new(max);
	check(a && b);
	for (size_t off = 0, i = 0; off < len; i++) {
		size_t n = nsizes ? 1 + sizes[i % nsizes] : len;
		if (n > len - off)
			n = len - off;
		feed(a, max, stream + off, n, &chunked);
		off += n;
	}
	feed(b, max, stream, len, &whole);
	size_t pending = model(max, stream, len, &want);
	check(chunked.hash == want.hash && chunked.events == want.events);
	check(whole.hash == want.hash && whole.events == want.events);
	check(brink_lines_pending(a) == pending && brink_lines_pending(b) == pending);
	brink_lines_free(a);
	brink_lines_free(b);
	return 0;
}
