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

static void append(struct jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void jsonw_raw(struct jsonw *w, const char *s)
{
	append(w, s, strlen(s));
}

void jsonw_str(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	append(w, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t run = strcspn((const char *)p, "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
							 "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
							 "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f");
		if (run) {
			append(w, (const char *)p, run);
			p += run - 1;
			continue;
		}
		char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
		if (*p == '"' || *p == '\\')
			append(w, (const char[]){'\\', (char)*p}, 2);
		else
			append(w, esc, 6);
	}
	append(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key, bool first)
{
	if (!first)
		append(w, ",", 1);
	jsonw_str(w, key);
	append(w, ":", 1);
}

void jsonw_real(struct jsonw *w, double v)
{
	char num[32];
	if (!isfinite(v)) {
		append(w, "null", 4);
		return;
	}
	int n = snprintf(num, sizeof(num), "%.12g", v);
	append(w, num, (size_t)n);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);
	append(w, num, (size_t)n);
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
