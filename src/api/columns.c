/* An analyze service's column order and classes in a request body.
 *
 * Columns come in three forms: an array of field names in the model's input
 * order; an object of 1-based positions to names ({"1":"temp","2":"hum"});
 * or ECM's Python-dict literal as a string ("{1:'temp',2:'hum'}", see
 * ECM-PROTOCOL.md; "null" means none). The literal is read by hand: it is a
 * tiny, fixed grammar (integer keys, quoted names), no library parses Python
 * literals in C, and ECM's own eval() of it is what must not be repeated. */
#include "api/body.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum brink_body_status fail(char *msg, size_t len, const char *fmt, ...) BRINK_PRINTF(3, 4);
static enum brink_body_status fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return BRINK_BODY_INVALID;
}

typedef char column_name[BRINK_NAME_MAX + 1];

/* Puts `name` (n bytes) at 1-based `pos` of cols[0..max); refuses bad names,
 * positions out of range, and a position or a name given twice. */
static enum brink_body_status place(column_name *cols, size_t max, long pos, const char *name,
				    size_t n, char *msg, size_t len)
{
	if (pos < 1 || (size_t)pos > max)
		return fail(msg, len, "column position %ld is out of range 1-%zu", pos, max);
	if (n == 0 || n > BRINK_NAME_MAX)
		return fail(msg, len, "column %ld has no valid name", pos);
	char tmp[BRINK_NAME_MAX + 1];
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	if (!brink_name_valid(tmp))
		return fail(msg, len, "column %ld: '%s' is not a valid field name", pos, tmp);
	if (cols[pos - 1][0])
		return fail(msg, len, "column position %ld is given twice", pos);
	for (size_t i = 0; i < max; i++)
		if (strcmp(cols[i], tmp) == 0)
			return fail(msg, len, "column '%s' is given twice", tmp);
	memcpy(cols[pos - 1], tmp, n + 1);
	return BRINK_BODY_OK;
}

/* Positions must be 1..n with no gap. */
static enum brink_body_status no_gaps(column_name *cols, size_t n, char *msg, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!cols[i][0])
			return fail(msg, len, "column position %zu is missing", i + 1);
	return BRINK_BODY_OK;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* One "N: 'name'" entry of the literal at *pp; advances *pp. */
static enum brink_body_status literal_entry(const char **pp, const char *end, column_name *cols,
					    size_t *count, char *msg, size_t len)
{
	const char *p = skip_ws(*pp, end);
	long pos = 0;
	if (p == end || !isdigit((unsigned char)*p))
		return fail(msg, len, "'columns': a position (an integer) was expected");
	for (; p < end && isdigit((unsigned char)*p); p++)
		if (pos <= BRINK_COLUMNS_MAX) /* past it: out of range, whatever follows */
			pos = pos * 10 + (*p - '0');
	p = skip_ws(p, end);
	if (p == end || *p++ != ':')
		return fail(msg, len, "'columns': ':' was expected after position %ld", pos);
	p = skip_ws(p, end);
	if (p == end || (*p != '\'' && *p != '"'))
		return fail(msg, len, "'columns': a quoted name was expected for position %ld", pos);
	char quote = *p++;
	const char *name = p;
	while (p < end && *p != quote)
		p++;
	if (p == end)
		return fail(msg, len, "'columns': the name of position %ld is not closed", pos);
	enum brink_body_status st = place(cols, BRINK_COLUMNS_MAX, pos, name, (size_t)(p - name),
					  msg, len);
	if (st != BRINK_BODY_OK)
		return st;
	(*count)++;
	*pp = p + 1;
	return BRINK_BODY_OK;
}

/* After an entry: ',' (then maybe '}', as Python allows) or '}'. Returns 1
 * at the closing '}', 0 to go on, -1 on anything else. */
static int after_entry(const char **pp, const char *end)
{
	const char *p = skip_ws(*pp, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	else if (p == end || *p != '}')
		return -1;
	*pp = p < end && *p == '}' ? p + 1 : p;
	return p < end && *p == '}' ? 1 : 0;
}

static enum brink_body_status parse_literal(const char *s, size_t n, column_name *cols,
					    size_t *count, char *msg, size_t len)
{
	const char *p = skip_ws(s, s + n), *end = s + n;
	if (end - p == 4 && memcmp(p, "null", 4) == 0)
		return BRINK_BODY_OK;
	if (p == end || *p++ != '{')
		return fail(msg, len, "'columns' as a string must look like \"{1:'temp',2:'hum'}\"");
	p = skip_ws(p, end);
	int done = p < end && *p == '}';
	if (done)
		p++;
	while (!done) {
		enum brink_body_status st = literal_entry(&p, end, cols, count, msg, len);
		if (st != BRINK_BODY_OK)
			return st;
		if ((done = after_entry(&p, end)) < 0)
			return fail(msg, len, "'columns': ',' or '}' was expected");
	}
	if (skip_ws(p, end) != end)
		return fail(msg, len, "'columns': text after the closing '}'");
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_object(json_t *o, column_name *cols, size_t *count,
					   char *msg, size_t len)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		char *end;
		long pos = strtol(key, &end, 10);
		if (!*key || *end || !isdigit((unsigned char)*key))
			return fail(msg, len, "'columns': key '%.16s' is not a position", key);
		if (!json_is_string(v))
			return fail(msg, len, "'columns': position %ld must name a field", pos);
		enum brink_body_status st = place(cols, BRINK_COLUMNS_MAX, pos, json_string_value(v),
						  json_string_length(v), msg, len);
		if (st != BRINK_BODY_OK)
			return st;
		(*count)++;
	}
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_array(json_t *a, column_name *cols, size_t *count, char *msg,
					  size_t len)
{
	size_t n = json_array_size(a);
	if (n > BRINK_COLUMNS_MAX)
		return fail(msg, len, "field 'columns' has more than %d entries", BRINK_COLUMNS_MAX);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		if (!json_is_string(v))
			return fail(msg, len, "entry %zu of 'columns' is not valid", i);
		enum brink_body_status st = place(cols, BRINK_COLUMNS_MAX, (long)i + 1,
						  json_string_value(v), json_string_length(v), msg,
						  len);
		if (st != BRINK_BODY_OK)
			return st;
	}
	*count = n;
	return BRINK_BODY_OK;
}

enum brink_body_status brink_body_columns(json_t *v, struct brink_spec *sp, char *msg, size_t len)
{
	column_name *cols = calloc(BRINK_COLUMNS_MAX, sizeof(*cols));
	size_t n = 0;
	enum brink_body_status st;
	if (!cols)
		return fail(msg, len, "out of memory");
	if (json_is_array(v))
		st = parse_array(v, cols, &n, msg, len);
	else if (json_is_object(v))
		st = parse_object(v, cols, &n, msg, len);
	else if (json_is_string(v))
		st = parse_literal(json_string_value(v), json_string_length(v), cols, &n, msg, len);
	else
		st = fail(msg, len, "field 'columns' must be an array, an object or a string");
	if (st == BRINK_BODY_OK)
		st = no_gaps(cols, n, msg, len);
	if (st != BRINK_BODY_OK || n == 0) {
		free(cols);
		return st;
	}
	sp->columns = realloc(cols, n * sizeof(*cols)) ?: cols;
	sp->ncolumns = n;
	return BRINK_BODY_OK;
}

/* "alerts": names among "labels", as a bit mask. */
static enum brink_body_status parse_alerts(json_t *a, struct brink_spec *sp, char *msg, size_t len)
{
	if (!sp->nlabels)
		return fail(msg, len, "field 'alerts' names labels: give 'labels' too");
	sp->alerts = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		size_t j = 0;
		while (s && j < sp->nlabels && strcmp(sp->labels[j], s) != 0)
			j++;
		if (!s || j == sp->nlabels)
			return fail(msg, len, "entry %zu of 'alerts' is not one of 'labels'", i);
		sp->alerts |= (int64_t)1 << j;
	}
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_labels(json_t *a, struct brink_spec *sp, char *msg, size_t len)
{
	size_t n = json_array_size(a);
	if (n < 2 || n > BRINK_LABELS_MAX)
		return fail(msg, len, "field 'labels' must have 2 to %d entries", BRINK_LABELS_MAX);
	if (!(sp->labels = calloc(n, sizeof(*sp->labels))))
		return fail(msg, len, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		const char *s = json_string_value(v);
		if (!s || json_string_length(v) > BRINK_LABEL_MAX || !brink_name_valid(s))
			return fail(msg, len, "entry %zu of 'labels' must be 1-%d characters of "
					      "A-Z a-z 0-9 . _ -", i, BRINK_LABEL_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(sp->labels[j], s) == 0)
				return fail(msg, len, "entry %zu of 'labels' repeats '%s'", i, s);
		snprintf(sp->labels[i], sizeof(sp->labels[i]), "%s", s);
		sp->nlabels = i + 1;
	}
	return BRINK_BODY_OK;
}

enum brink_body_status brink_body_classes(json_t *root, struct brink_spec *sp, char *msg,
					  size_t len)
{
	json_t *labels = json_object_get(root, "labels"), *alerts = json_object_get(root, "alerts");
	json_t *threshold = json_object_get(root, "threshold");
	enum brink_body_status st = BRINK_BODY_OK;
	sp->threshold = 0.5;
	sp->alerts = -1;
	if (labels)
		st = parse_labels(labels, sp, msg, len);
	if (st == BRINK_BODY_OK && alerts)
		st = parse_alerts(alerts, sp, msg, len);
	if (st == BRINK_BODY_OK && threshold) {
		sp->threshold = json_number_value(threshold);
		if (!isfinite(sp->threshold))
			st = fail(msg, len, "field 'threshold' must be a finite number");
	}
	return st;
}
