/* ECM's request JSON, its column order and raw keys (see request.h). The
 * JSON itself is parsed by jansson; a request is complete when jansson takes
 * it whole, since ECM's clients send no delimiter. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecm/request.h"

static enum ecm_parse fail(char *msg, size_t msglen, enum ecm_parse st, const char *fmt, ...)
	BRINK_PRINTF(4, 5);
static enum ecm_parse fail(char *msg, size_t msglen, enum ecm_parse st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (msglen)
		vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return st;
}

const char *brink_ecm_verb_name(enum ecm_verb v)
{
	static const char *const names[ECM_VERB_COUNT] = {
		"register", "bootstrap", "listening", "analysis", "custom",
		"info",     "stop",      "remove",    "unsubscribe"};
	return (unsigned)v < ECM_VERB_COUNT ? names[v] : "?";
}

/* Whether buf ends inside a UTF-8 sequence that more bytes could complete. */
static bool utf8_cut(const char *buf, size_t len)
{
	for (size_t back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = (unsigned char)buf[len - back];
		if ((c & 0xc0) == 0x80)
			continue;
		size_t need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		return need > back;
	}
	return false;
}

/* jansson's view of buf: the object, or why not (AGAIN for a valid prefix). */
static enum ecm_parse load(const char *buf, size_t len, json_t **out, char *msg, size_t msglen)
{
	json_error_t e;
	if (len > ECM_REQUEST_MAX)
		return fail(msg, msglen, ECM_PARSE_TOO_LARGE, "request over %d bytes", ECM_REQUEST_MAX);
	if (memchr(buf, '\0', len)) /* jansson would take it for the end of the input */
		return fail(msg, msglen, ECM_PARSE_MALFORMED, "not JSON: a NUL byte");
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (*out) {
		if (json_is_object(*out))
			return ECM_PARSE_OK;
		json_decref(*out);
		return fail(msg, msglen, ECM_PARSE_MALFORMED, "the request must be a JSON object");
	}
	/* a token cut at the end ("0.", "tr", "\\u00") is an invalid token to jansson */
	enum json_error_code code = json_error_code(&e);
	if (code == json_error_premature_end_of_input ||
	    (code == json_error_invalid_syntax && (size_t)e.position >= len) ||
	    (code == json_error_invalid_utf8 && utf8_cut(buf, len)))
		return ECM_PARSE_AGAIN;
	return fail(msg, msglen, ECM_PARSE_MALFORMED, "not JSON: %s", e.text);
}

static enum ecm_parse get_string(json_t *o, const char *name, char *out, size_t cap, bool needed,
				 char *msg, size_t msglen)
{
	json_t *v = json_object_get(o, name);
	if (!v && !needed)
		return ECM_PARSE_OK;
	if (!json_is_string(v))
		return fail(msg, msglen, ECM_PARSE_INVALID, "'%s' must be a string", name);
	size_t n = json_string_length(v);
	if (n >= cap || memchr(json_string_value(v), '\0', n))
		return fail(msg, msglen, ECM_PARSE_INVALID, "'%s' is longer than %zu bytes", name,
			    cap - 1);
	memcpy(out, json_string_value(v), n + 1);
	return ECM_PARSE_OK;
}

static enum ecm_parse get_int(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t *out,
			      char *msg, size_t msglen)
{
	json_t *v = json_object_get(o, name);
	if (!v)
		return ECM_PARSE_OK; /* the caller set the default */
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(msg, msglen, ECM_PARSE_INVALID, "'%s' must be an integer in [%lld, %lld]",
			    name, (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return ECM_PARSE_OK;
}

static enum ecm_parse get_cpus(json_t *o, struct ecm_request *r, char *msg, size_t msglen)
{
	json_t *c = json_object_get(o, "cpus");
	if (!c)
		return ECM_PARSE_OK;
	json_t *lo = json_object_get(c, "min"), *hi = json_object_get(c, "max");
	if (!json_is_object(c) || !json_is_number(lo) || !json_is_number(hi))
		return fail(msg, msglen, ECM_PARSE_INVALID,
			    "'cpus' must be {\"min\": number, \"max\": number}");
	r->cpu_min = json_number_value(lo);
	r->cpu_max = json_number_value(hi);
	if (!(r->cpu_min > 0 && r->cpu_min <= r->cpu_max && r->cpu_max < 64))
		return fail(msg, msglen, ECM_PARSE_INVALID, "'cpus' needs 0 < min <= max < 64");
	return ECM_PARSE_OK;
}

static enum ecm_parse port_value(json_t *v, int *out)
{
	long long p = -1;
	if (json_is_integer(v)) {
		p = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		if (*s < '0' || *s > '9' || strlen(s) > 5)
			return ECM_PARSE_INVALID;
		p = strtoll(s, &end, 10);
		if (*end)
			return ECM_PARSE_INVALID;
	}
	if (p < 1 || p > 65535)
		return ECM_PARSE_INVALID;
	*out = (int)p;
	return ECM_PARSE_OK;
}

/* lports: ["default"] or nports consecutive container ports (ECM's client
 * checks the same before sending). */
static enum ecm_parse get_lports(json_t *o, struct ecm_request *r, char *msg, size_t msglen)
{
	json_t *a = json_object_get(o, "lports");
	if (!a)
		return ECM_PARSE_OK;
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > BRINK_PORTS_MAX)
		return fail(msg, msglen, ECM_PARSE_INVALID, "'lports' must be a list of 1-%d ports",
			    BRINK_PORTS_MAX);
	json_t *first = json_array_get(a, 0);
	if (json_is_string(first) && strcmp(json_string_value(first), "default") == 0)
		return ECM_PARSE_OK;
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (port_value(json_array_get(a, i), &r->lports[i]) != ECM_PARSE_OK)
			return fail(msg, msglen, ECM_PARSE_INVALID,
				    "'lports' must hold ports 1-65535 (strings or numbers)");
		if (i && r->lports[i] != r->lports[i - 1] + 1)
			return fail(msg, msglen, ECM_PARSE_INVALID, "'lports' must be consecutive");
	}
	r->nlports = json_array_size(a);
	return ECM_PARSE_OK;
}

static enum ecm_parse get_service(json_t *o, struct ecm_request *r, char *msg, size_t msglen)
{
	json_t *s = json_object_get(o, "service");
	int64_t custom = 0;
	enum ecm_parse st;
	if (!s)
		return ECM_PARSE_OK;
	if (!json_is_object(s))
		return fail(msg, msglen, ECM_PARSE_INVALID, "'service' must be an object");
	if ((st = get_int(s, "custom", 0, 1, &custom, msg, msglen)) != ECM_PARSE_OK ||
	    (st = get_string(s, "image", r->image, sizeof(r->image), false, msg, msglen)) ||
	    (st = get_string(s, "default_service", r->service, sizeof(r->service), false, msg,
			     msglen)))
		return st;
	r->custom = custom == 1;
	return ECM_PARSE_OK;
}

static void defaults(struct ecm_request *r)
{
	memset(r, 0, sizeof(*r));
	r->cpu_min = 0.5;
	r->cpu_max = 1;
	r->nports = 1;
	r->number_values = 10;
	snprintf(r->image, sizeof(r->image), "null");
}

/* The verb's own needs, after the common fields. */
static enum ecm_parse verb_fields(json_t *o, enum ecm_verb verb, struct ecm_request *r, char *msg,
				  size_t msglen)
{
	json_t *order = json_object_get(o, "order");
	switch (verb) {
	case ECM_ANALYSIS:
		if (!json_is_string(order) || strcmp(json_string_value(order), "null") == 0)
			return fail(msg, msglen, ECM_PARSE_INVALID,
				    "an analysis needs 'order', e.g. \"{1:'temp',2:'hum'}\"");
		return brink_ecm_order_parse(json_string_value(order), json_string_length(order), r,
					     msg, msglen);
	case ECM_CUSTOM:
		if (!r->custom || strcmp(r->image, "null") == 0 || !r->image[0])
			return fail(msg, msglen, ECM_PARSE_INVALID,
				    "a custom service needs service.custom = 1 and an image");
		if (r->nlports == 0 || (int)r->nlports != r->nports)
			return fail(msg, msglen, ECM_PARSE_INVALID,
				    "a custom service needs nports consecutive ports in 'lports'");
		return ECM_PARSE_OK;
	case ECM_STOP:
	case ECM_REMOVE:
		if (r->serviceid <= 0)
			return fail(msg, msglen, ECM_PARSE_INVALID, "'serviceid' must be given");
		return ECM_PARSE_OK;
	default:
		return ECM_PARSE_OK;
	}
}

static enum ecm_parse common_fields(json_t *o, enum ecm_verb verb, struct ecm_request *r,
				    char *msg, size_t msglen)
{
	int64_t nports = 1, batch = 0, values = 10, sid = 0;
	enum ecm_parse st;
	if ((st = get_string(o, "id", r->id, sizeof(r->id), true, msg, msglen)) != ECM_PARSE_OK)
		return st;
	for (const char *p = r->id; *p; p++)
		if (*p <= ' ' || *p > '~')
			return fail(msg, msglen, ECM_PARSE_INVALID, "'id' must be printable ASCII");
	if (!r->id[0])
		return fail(msg, msglen, ECM_PARSE_INVALID, "'id' is empty");
	if ((st = get_cpus(o, r, msg, msglen)) || (st = get_lports(o, r, msg, msglen)) ||
	    (st = get_service(o, r, msg, msglen)) ||
	    (st = get_int(o, "nports", 1, BRINK_PORTS_MAX, &nports, msg, msglen)) ||
	    (st = get_int(o, "batch", 0, 1, &batch, msg, msglen)) ||
	    (st = get_int(o, "number_values", 1, 100000, &values, msg, msglen)) ||
	    (st = get_int(o, "serviceid", 0, INT64_MAX, &sid, msg, msglen)))
		return st;
	r->nports = (int)nports;
	r->batch = (int)batch;
	r->number_values = (int)values;
	r->serviceid = sid;
	return verb_fields(o, verb, r, msg, msglen);
}

enum ecm_parse brink_ecm_request_parse(const char *buf, size_t len, enum ecm_verb verb,
				       struct ecm_request *out, char *msg, size_t msglen)
{
	json_t *o;
	enum ecm_parse st = load(buf, len, &o, msg, msglen);
	if (st != ECM_PARSE_OK)
		return st;
	defaults(out);
	if (verb == ECM_REGISTER)
		st = get_string(o, "company", out->company, sizeof(out->company), true, msg, msglen);
	else
		st = common_fields(o, verb, out, msg, msglen);
	json_decref(o);
	return st;
}

/* ---- the column order ---- */

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

struct order_item {
	long key;
	size_t index;
};

static int by_key(const void *a, const void *b)
{
	const struct order_item *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

/* One "<int>:'<name>'" at *p into r->columns[n]. */
static bool order_item(const char **p, const char *end, struct ecm_request *r, size_t n,
		       struct order_item *it)
{
	char *stop;
	char num[12];
	size_t k = 0;
	while (*p + k < end && k < sizeof(num) - 1 && (*p)[k] >= '0' && (*p)[k] <= '9')
		k++;
	if (k == 0 || k > 9)
		return false;
	memcpy(num, *p, k);
	num[k] = '\0';
	it->key = strtol(num, &stop, 10);
	it->index = n;
	*p += k;
	skip_ws(p, end);
	if (*p >= end || **p != ':')
		return false;
	(*p)++;
	skip_ws(p, end);
	if (*p >= end || **p != '\'')
		return false;
	const char *name = ++(*p), *q = memchr(name, '\'', (size_t)(end - name));
	if (!q || q - name > BRINK_NAME_MAX)
		return false;
	memcpy(r->columns[n], name, (size_t)(q - name));
	r->columns[n][q - name] = '\0';
	*p = q + 1;
	return brink_name_valid(r->columns[n]);
}

enum ecm_parse brink_ecm_order_parse(const char *s, size_t len, struct ecm_request *out,
				     char *msg, size_t msglen)
{
	const char *p = s, *end = s + len;
	struct order_item items[ECM_COLUMNS_MAX];
	char names[ECM_COLUMNS_MAX][BRINK_NAME_MAX + 1];
	size_t n = 0;
	skip_ws(&p, end);
	if (p >= end || *p++ != '{')
		goto bad;
	for (skip_ws(&p, end); p < end && *p != '}'; skip_ws(&p, end)) {
		if (n == ECM_COLUMNS_MAX)
			return fail(msg, msglen, ECM_PARSE_TOO_LARGE, "'order' names more than %d columns",
				    ECM_COLUMNS_MAX);
		if (n && (*p++ != ',' || (skip_ws(&p, end), false)))
			goto bad;
		if (!order_item(&p, end, out, n, &items[n]))
			goto bad;
		n++;
	}
	if (p >= end || *p++ != '}' || (skip_ws(&p, end), p != end) || n == 0)
		goto bad;
	qsort(items, n, sizeof(items[0]), by_key);
	for (size_t i = 0; i < n; i++) {
		if (i && items[i].key == items[i - 1].key)
			return fail(msg, msglen, ECM_PARSE_INVALID, "'order' repeats position %ld",
				    items[i].key);
		memcpy(names[i], out->columns[items[i].index], sizeof(names[i]));
	}
	memcpy(out->columns, names, n * sizeof(names[0]));
	out->ncolumns = n;
	return ECM_PARSE_OK;
bad:
	return fail(msg, msglen, ECM_PARSE_INVALID,
		    "'order' must look like \"{1:'temp',2:'hum'}\" (column names of A-Z a-z 0-9 . _ -)");
}

/* ---- raw keys ---- */

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

enum ecm_parse brink_ecm_key_parse(const char *buf, size_t len, bool eof,
				   char out[ECM_KEY_MAX + 1])
{
	size_t n = 0;
	while (n < len && buf[n] != '\n') {
		if (buf[n] < ' ' && buf[n] != '\r' && buf[n] != '\t')
			return ECM_PARSE_MALFORMED;
		if ((unsigned char)buf[n] > '~')
			return ECM_PARSE_MALFORMED;
		n++;
	}
	bool done = n < len || eof || (n == 40 && all_hex(buf, 40)) || (n == 32 && !all_hex(buf, 32));
	if (!done)
		return n > ECM_KEY_MAX ? ECM_PARSE_TOO_LARGE : ECM_PARSE_AGAIN;
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\r' || buf[n - 1] == '\t'))
		n--;
	if (n == 0)
		return ECM_PARSE_MALFORMED;
	if (n > ECM_KEY_MAX)
		return ECM_PARSE_TOO_LARGE;
	memcpy(out, buf, n);
	out[n] = '\0';
	return ECM_PARSE_OK;
}
