/* JSON lines and the auth line, with jansson. A typical line
 * {"temp":"31.2","hum":"48.1"} costs about 1.3 us on the 2-core dev machine
 * (test_reading's parse_cost), two thirds of it jansson's load and a tenth
 * strtod: under the ~2 us that would justify a hand-written parser, so the
 * well-kept library stays. jansson bounds nesting, refuses \u0000 (no
 * JSON_ALLOW_NUL), duplicates (JSON_REJECT_DUPLICATES), invalid UTF-8 and
 * numbers that overflow a double; its allocations are freed before return. */
#include "ingest/reading-internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_MAX 8589934592.0 /* 2^33 s: year 2242 */

enum brink_reading_status reading__fail(char *msg, size_t msglen, enum brink_reading_status st,
					const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (msglen > 0)
		vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return st;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t digits(const char *s, size_t i, size_t n)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_syntax(const char *s, size_t n)
{
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0, j;
	if (i < n && s[i] == '0')
		i++;
	else if ((j = digits(s, i, n)) > i)
		i = j;
	else
		return false;
	if (i < n && s[i] == '.') {
		if ((j = digits(s, i + 1, n)) == i + 1)
			return false;
		i = j;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if ((j = digits(s, i, n)) == i)
			return false;
		i = j;
	}
	return i == n;
}

/* s must be NUL-terminated at s[n] (strtod reads up to the NUL). */
bool reading__num_text(const char *s, size_t n, double *out)
{
	if (!json_number_syntax(s, n))
		return false;
	char *end;
	*out = strtod(s, &end);
	return end == s + n;
}

/* Length of the UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

bool reading__text_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		if (s[i] < 0x20)
			return false;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(s + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

enum brink_reading_status reading__add(struct brink_reading *out, const char *name, size_t n,
				       struct brink_reading_field **f, char *msg, size_t msglen)
{
	if (out->nfields >= BRINK_READING_FIELDS_MAX)
		return reading__fail(msg, msglen, BRINK_READING_TOO_LARGE,
				     "more than %d fields", BRINK_READING_FIELDS_MAX);
	struct brink_reading_field *p = &out->fields[out->nfields++];
	memcpy(p->name, name, n);
	p->name[n] = '\0';
	p->has_num = p->b = p->has_sum = false;
	p->num = p->sum = p->time = 0;
	p->slen = 0;
	p->str[0] = p->unit[0] = '\0';
	*f = p;
	return BRINK_READING_OK;
}

enum brink_reading_status reading__set_string(struct brink_reading_field *f, const char *s,
					      size_t n, char *msg, size_t msglen)
{
	if (n > BRINK_READING_STR_MAX)
		return reading__fail(msg, msglen, BRINK_READING_TOO_LARGE,
				     "the value of '%s' is longer than %d bytes", f->name,
				     BRINK_READING_STR_MAX);
	if (!reading__text_valid(s, n))
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "the value of '%s' holds control characters or bad UTF-8",
				     f->name);
	f->type = BRINK_READING_STRING;
	memcpy(f->str, s, n);
	f->str[n] = '\0';
	f->slen = n;
	f->has_num = reading__num_text(f->str, n, &f->num) && isfinite(f->num);
	if (!f->has_num)
		f->num = 0;
	return BRINK_READING_OK;
}

const char *reading__quote(char *dst, size_t size, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && i < 32 && i + 1 < size; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (size > 0)
		dst[i] = '\0';
	return dst;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool name_valid(const char *s, size_t n)
{
	if (n < 1 || n > BRINK_READING_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

enum brink_reading_status reading__load(const char *buf, size_t len, json_t **root, char *msg,
					size_t msglen)
{
	if (len > BRINK_READING_INPUT_MAX)
		return reading__fail(msg, msglen, BRINK_READING_TOO_LARGE,
				     "%zu bytes (at most %d)", len, BRINK_READING_INPUT_MAX);
	*root = NULL;
	const char *nul = memchr(buf, '\0', len); /* jansson may stop at one */
	if (nul)
		return reading__fail(msg, msglen, BRINK_READING_MALFORMED,
				     "a NUL byte at byte %zu", (size_t)(nul - buf));
	json_error_t e;
	*root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (*root)
		return BRINK_READING_OK;
	switch (json_error_code(&e)) {
	case json_error_duplicate_key:
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "a field repeats (byte %d)", e.position);
	case json_error_numeric_overflow:
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "a number is too large (byte %d)", e.position);
	case json_error_null_character:
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "a string holds \\u0000 (byte %d)", e.position);
	default:
		return reading__fail(msg, msglen, BRINK_READING_MALFORMED,
				     "malformed JSON at byte %d: %s", e.position, e.text);
	}
}

static enum brink_reading_status load_object(const char *buf, size_t len, json_t **root,
					     char *msg, size_t msglen)
{
	enum brink_reading_status st = reading__load(buf, len, root, msg, msglen);
	if (st == BRINK_READING_OK && !json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		st = reading__fail(msg, msglen, BRINK_READING_MALFORMED,
				   "a reading must be a JSON object");
	}
	return st;
}

/* The reserved "time": a number or numeric string of absolute unix seconds. */
static enum brink_reading_status get_time(json_t *root, double *t, char *msg, size_t msglen)
{
	json_t *v = json_object_get(root, "time");
	*t = 0;
	if (!v)
		return BRINK_READING_OK;
	bool ok = json_is_number(v);
	if (ok)
		*t = json_number_value(v);
	else if (json_is_string(v))
		ok = reading__num_text(json_string_value(v), json_string_length(v), t);
	if (!ok || !(*t >= BRINK_READING_TIME_RELATIVE && *t < TIME_MAX))
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "'time' must be unix seconds from 2^28 to 2^33");
	return BRINK_READING_OK;
}

static enum brink_reading_status add_json_field(struct brink_reading *out, const char *key,
						size_t klen, json_t *v, double t, char *msg,
						size_t msglen)
{
	if (!name_valid(key, klen))
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "field %zu: a name must be 1-%d characters of A-Z a-z 0-9 _ . -",
				     out->nfields + 1, BRINK_READING_NAME_MAX);
	struct brink_reading_field *f;
	enum brink_reading_status st = reading__add(out, key, klen, &f, msg, msglen);
	if (st != BRINK_READING_OK)
		return st;
	f->time = t;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return reading__set_string(f, json_string_value(v), json_string_length(v), msg,
					   msglen);
	case JSON_INTEGER:
	case JSON_REAL:
		f->type = BRINK_READING_NUMBER;
		f->num = json_number_value(v);
		f->has_num = true;
		return BRINK_READING_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		f->type = BRINK_READING_BOOL;
		f->b = json_is_true(v);
		return BRINK_READING_OK;
	default:
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "field '%s' must be a number, a string or a boolean", f->name);
	}
}

static enum brink_reading_status parse_fields(json_t *root, struct brink_reading *out, char *msg,
					      size_t msglen)
{
	double t;
	enum brink_reading_status st = get_time(root, &t, msg, msglen);
	if (st != BRINK_READING_OK)
		return st;
	size_t n = json_object_size(root) - (json_object_get(root, "time") ? 1 : 0);
	if (n == 0)
		return reading__fail(msg, msglen, BRINK_READING_INVALID, "a reading has no fields");
	if (n > BRINK_READING_FIELDS_MAX)
		return reading__fail(msg, msglen, BRINK_READING_TOO_LARGE,
				     "%zu fields (at most %d)", n, BRINK_READING_FIELDS_MAX);
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		size_t klen = strlen(key); /* keys hold no NUL without JSON_ALLOW_NUL */
		if (klen == 4 && memcmp(key, "time", 4) == 0)
			continue;
		if ((st = add_json_field(out, key, klen, v, t, msg, msglen)) != BRINK_READING_OK)
			return st;
	}
	return BRINK_READING_OK;
}

enum brink_reading_status brink_reading_parse_json(const char *buf, size_t len,
						   struct brink_reading *out, char *msg,
						   size_t msglen)
{
	json_t *root;
	out->nfields = 0;
	enum brink_reading_status st = load_object(buf, len, &root, msg, msglen);
	if (st != BRINK_READING_OK)
		return st;
	st = parse_fields(root, out, msg, msglen);
	json_decref(root);
	return st;
}

static bool key_valid(const char *s, size_t n)
{
	if (n < 1 || n > BRINK_READING_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static enum brink_reading_status check_auth(json_t *root, char *msg, size_t msglen)
{
	json_t *thing = json_object_get(root, "thing"), *key = json_object_get(root, "key");
	if (!json_is_string(thing) || !json_is_string(key) || json_object_size(root) != 2)
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "the first line must be {\"thing\": NAME, \"key\": KEY}");
	if (json_string_length(thing) > BRINK_NAME_MAX ||
	    !brink_name_valid(json_string_value(thing)))
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "'thing' must be 1-64 characters of A-Z a-z 0-9 . _ -");
	if (!key_valid(json_string_value(key), json_string_length(key)))
		return reading__fail(msg, msglen, BRINK_READING_INVALID,
				     "'key' must be 1-%d printable ASCII characters",
				     BRINK_READING_KEY_MAX);
	return BRINK_READING_OK;
}

enum brink_reading_status brink_reading_parse_auth(const char *buf, size_t len,
						   struct brink_reading_auth *out, char *msg,
						   size_t msglen)
{
	json_t *root;
	enum brink_reading_status st = load_object(buf, len, &root, msg, msglen);
	if (st != BRINK_READING_OK)
		return st;
	st = check_auth(root, msg, msglen);
	if (st == BRINK_READING_OK) {
		json_t *key = json_object_get(root, "key");
		strcpy(out->thing, json_string_value(json_object_get(root, "thing")));
		memcpy(out->key, json_string_value(key), json_string_length(key) + 1);
	}
	json_decref(root);
	return st;
}

double brink_reading_time_abs(double t, double now)
{
	return t >= BRINK_READING_TIME_RELATIVE ? t : now + t;
}

const char *brink_reading_status_name(enum brink_reading_status st)
{
	switch (st) {
	case BRINK_READING_OK:
		return "ok";
	case BRINK_READING_MALFORMED:
		return "malformed";
	case BRINK_READING_TOO_LARGE:
		return "too_large";
	case BRINK_READING_INVALID:
		return "invalid";
	}
	return "unknown";
}
