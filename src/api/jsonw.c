#include "api/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct jsonw *w, size_t extra)
{
	if (w->oom)
		return false;
	if (w->len + extra + 1 <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < w->len + extra + 1)
		cap *= 2;
	char *nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static inline void append(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap && !reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Writes v in decimal, at least `width` digits, into the end of buf[24];
 * returns where the digits start. */
static char *format_u64(uint64_t v, int width, char *end)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
		width--;
	} while (v || width > 0);
	return p;
}

void jsonw_reserve(struct jsonw *w, size_t bytes)
{
	reserve(w, bytes);
}

void jsonw_mem(struct jsonw *w, const char *s, size_t n)
{
	append(w, s, n);
}

void jsonw_raw(struct jsonw *w, const char *s)
{
	append(w, s, strlen(s));
}

/* The bytes JSON requires escaped: controls, '"' and '\\'. */
static const bool needs_escape[256] = {
	[0 ... 0x1f] = true,
	['"'] = true,
	['\\'] = true,
};

void jsonw_str(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	append(w, "\"", 1);
	for (; *p; p++) {
		if (!needs_escape[*p])
			continue;
		append(w, (const char *)run, (size_t)(p - run));
		if (*p == '"' || *p == '\\') {
			append(w, (const char[]){'\\', (char)*p}, 2);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			append(w, esc, 6);
		}
		run = p + 1;
	}
	append(w, (const char *)run, (size_t)(p - run));
	append(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key, bool first)
{
	if (!first)
		append(w, ",", 1);
	jsonw_str(w, key);
	append(w, ":", 1);
}

/* Cores and similar figures: nine decimals are plenty, and formatting them
 * with integers is several times faster than printf's %g. */
void jsonw_real(struct jsonw *w, double v)
{
	char num[40];
	if (!isfinite(v)) {
		append(w, "null", 4);
		return;
	}
	if (fabs(v) >= 1e9) {
		int n = snprintf(num, sizeof(num), "%.12g", v);
		append(w, num, (size_t)n);
		return;
	}
	int64_t nano = llround(v * 1e9);
	uint64_t mag = (uint64_t)(nano < 0 ? -nano : nano);
	uint64_t whole = mag / 1000000000u, frac = mag % 1000000000u;
	char *end = num + sizeof(num), *p = end;
	if (frac) {
		int digits = 9;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		p = format_u64(frac, digits, p);
		*--p = '.';
	}
	p = format_u64(whole, 1, p);
	if (nano < 0)
		*--p = '-';
	append(w, p, (size_t)(end - p));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char num[24], *end = num + sizeof(num);
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = format_u64(mag, 1, end);
	if (v < 0)
		*--p = '-';
	append(w, p, (size_t)(end - p));
}

void jsonw_bool(struct jsonw *w, bool v)
{
	append(w, v ? "true" : "false", v ? 4 : 5);
}

char *jsonw_take(struct jsonw *w, size_t *len)
{
	if (w->oom || !w->buf) {
		free(w->buf);
		*w = (struct jsonw){0};
		return NULL;
	}
	char *out = w->buf;
	*len = w->len;
	*w = (struct jsonw){0};
	return out;
}
