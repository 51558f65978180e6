/* What arrives on ECM's data paths: the sensor's JSON objects with no
 * delimiter between them, and the analysis client's .h5 model with no length
 * and no end marker (see request.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ecm/request.h"

size_t brink_ecm_object_end(const char *buf, size_t len, struct ecm_scan *scan, bool *bad)
{
	*bad = false;
	for (; scan->pos < len; scan->pos++) {
		char c = buf[scan->pos];
		if (scan->pos >= ECM_OBJECT_MAX || c == '\0') {
			*bad = true;
			return 0;
		}
		if (scan->in_string) {
			if (scan->escape)
				scan->escape = false;
			else if (c == '\\')
				scan->escape = true;
			else if (c == '"')
				scan->in_string = false;
		} else if (c == '"' && scan->depth > 0) {
			scan->in_string = true;
		} else if (c == '{' || c == '[') {
			scan->depth++;
		} else if ((c == '}' || c == ']') && scan->depth > 0) {
			if (--scan->depth == 0)
				return ++scan->pos;
		} else if (scan->depth == 0 && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
			*bad = true; /* between objects only white space */
			return 0;
		}
	}
	return 0;
}

/* ---- a sensor object, as ECM's listening container passed it on ---- */

static bool put(char **p, char *end, const char *s, size_t n)
{
	if ((size_t)(end - *p) <= n)
		return false;
	memcpy(*p, s, n);
	*p += n;
	**p = '\0';
	return true;
}

static bool put_value(char **p, char *end, json_t *v)
{
	char num[64];
	size_t n;
	switch (json_typeof(v)) {
	case JSON_STRING:
		n = brink_ecm_pystr(*p, (size_t)(end - *p), json_string_value(v), json_string_length(v));
		*p += n;
		return n > 0;
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return put(p, end, num, n);
	case JSON_REAL:
		n = brink_ecm_pyfloat(num, sizeof(num), json_real_value(v));
		return n && put(p, end, num, n);
	case JSON_TRUE:
		return put(p, end, "true", 4);
	case JSON_FALSE:
		return put(p, end, "false", 5);
	case JSON_NULL:
		return put(p, end, "null", 4);
	default:
		return false;
	}
}

/* Whether a member is left out: the sensor's id; brink's own fields of a
 * service's output line, which ECM's containers did not send. */
static bool skipped(const char *name, bool output, bool analysis)
{
	static const char *const ours[] = {"thing", "received"};
	static const char *const analysis_ours[] = {"class", "score", "count", "classes"};
	if (!output)
		return strcmp(name, "id") == 0;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (strcmp(name, ours[i]) == 0)
			return true;
	for (size_t i = 0; analysis && i < sizeof(analysis_ours) / sizeof(analysis_ours[0]); i++)
		if (strcmp(name, analysis_ours[i]) == 0)
			return true;
	return false;
}

static enum ecm_parse render(json_t *o, bool output, char *out, size_t cap, char *msg,
			     size_t msglen)
{
	char *p = out, *end = out + cap;
	const char *name;
	json_t *v;
	size_t fields = 0;
	bool analysis = json_is_string(json_object_get(o, "msg"));
	if (!put(&p, end, "{", 1))
		goto full;
	json_object_foreach(o, name, v) {
		if (skipped(name, output, analysis))
			continue;
		if (json_is_object(v) || json_is_array(v)) {
			snprintf(msg, msglen, "field '%.64s' is nested", name);
			return ECM_PARSE_INVALID;
		}
		size_t n = fields ? (size_t)(put(&p, end, ", ", 2) ? 1 : 0) : 1;
		if (!n || !(n = brink_ecm_pystr(p, (size_t)(end - p), name, strlen(name))))
			goto full;
		p += n;
		if (!put(&p, end, ": ", 2) || !put_value(&p, end, v))
			goto full;
		fields++;
	}
	if (fields == 0) {
		snprintf(msg, msglen, "a reading needs a field besides 'id'");
		return ECM_PARSE_INVALID;
	}
	if (put(&p, end, "}", 1))
		return ECM_PARSE_OK;
full:
	snprintf(msg, msglen, "the reading is too large");
	return ECM_PARSE_TOO_LARGE;
}

enum ecm_parse brink_ecm_sensor_object(const char *buf, size_t len, char id[ECM_KEY_MAX + 1],
				       char *out, size_t cap, char *msg, size_t msglen)
{
	json_error_t e;
	if (len > ECM_OBJECT_MAX) {
		snprintf(msg, msglen, "an object over %d bytes", ECM_OBJECT_MAX);
		return ECM_PARSE_TOO_LARGE;
	}
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o)) {
		snprintf(msg, msglen, "not a JSON object%s%s", o ? "" : ": ", o ? "" : e.text);
		json_decref(o);
		return ECM_PARSE_MALFORMED;
	}
	json_t *k = json_object_get(o, "id");
	enum ecm_parse st = ECM_PARSE_INVALID;
	if (!json_is_string(k) || json_string_length(k) == 0 || json_string_length(k) > ECM_KEY_MAX ||
	    memchr(json_string_value(k), '\0', json_string_length(k)))
		snprintf(msg, msglen, "no 'id' (the tenant key)");
	else if ((st = render(o, false, out, cap, msg, msglen)) == ECM_PARSE_OK)
		memcpy(id, json_string_value(k), json_string_length(k) + 1);
	json_decref(o);
	return st;
}

size_t brink_ecm_output(const char *line, size_t len, char *out, size_t cap)
{
	char msg[64];
	json_t *o = len <= ECM_OBJECT_MAX * 2 ? json_loadb(line, len, 0, NULL) : NULL;
	enum ecm_parse st = json_is_object(o) ? render(o, true, out, cap, msg, sizeof(msg))
					      : ECM_PARSE_MALFORMED;
	json_decref(o);
	return st == ECM_PARSE_OK ? strlen(out) : 0;
}

/* ---- the .h5 model's length ---- */

static const uint8_t h5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

enum ecm_parse brink_ecm_h5_size(const uint8_t *buf, size_t len, uint64_t *size)
{
	if (memcmp(buf, h5_signature, len < 8 ? len : 8) != 0)
		return ECM_PARSE_MALFORMED;
	if (len < 16)
		return ECM_PARSE_AGAIN;
	unsigned version = buf[8], offsets, at;
	if (version <= 1) {
		offsets = buf[13];
		at = version == 0 ? 24 : 28; /* base address; end of file two addresses later */
	} else if (version <= 3) {
		offsets = buf[9];
		at = 12;
	} else {
		return ECM_PARSE_MALFORMED;
	}
	if (offsets != 2 && offsets != 4 && offsets != 8)
		return ECM_PARSE_MALFORMED;
	if (len < at + 3 * offsets)
		return ECM_PARSE_AGAIN;
	uint64_t base = le(buf + at, offsets), eof = le(buf + at + 2 * offsets, offsets);
	/* addresses are relative to the base; a file ends after its superblock */
	if (base > (1ull << 40) || eof > (1ull << 40) || base + eof < at + 3 * offsets)
		return ECM_PARSE_MALFORMED;
	*size = base + eof;
	return ECM_PARSE_OK;
}
