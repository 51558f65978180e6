#include "worker/analyze.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/engine.h"
#include "brink/model.h"
#include "worker/forward.h"

/* Rows run through the network at once in batch mode (memory stays
 * CHUNK x inputs floats whatever N is). */
#define CHUNK 64

typedef char field_name[BRINK_NAME_MAX + 1];

struct brink_analyze {
	bool rules, batch;
	bool compiled; /* the network came from its compiled image */
	struct brink_nn *nn;
	struct brink_rule *rule;
	size_t nfields;      /* what a reading must carry */
	field_name *fields;  /* h5: the columns; rules: the rule's fields */
	size_t inputs, outputs, classes;
	size_t batch_n;
	size_t nlabels;
	char labels[BRINK_LABELS_MAX][BRINK_LABEL_MAX + 1];
	double threshold;
	int64_t alerts;
	/* scratch */
	double *values;  /* one reading's fields */
	float *rows;     /* pending rows (CHUNK x inputs) */
	float *outs;     /* CHUNK x outputs */
	size_t nrows;    /* rows pending in `rows` */
	/* the batch being filled */
	size_t pending;
	uint64_t nalerts;
	uint64_t *class_count;
	double score_sum;
	uint64_t last_time_ns;
	struct brink_wire_stats stats;
};

static int fail(char *msg, size_t len, const char *fmt, ...) BRINK_PRINTF(3, 4);
static int fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- classes ---- */

static const char *label_of(const struct brink_analyze *a, size_t c, char *buf, size_t n)
{
	if (a->nlabels)
		return a->labels[c];
	if (a->classes == 2)
		return c ? "alert" : "normal";
	snprintf(buf, n, "%zu", c);
	return buf;
}

static bool is_alert(const struct brink_analyze *a, size_t c)
{
	if (a->alerts < 0 || a->rules)
		return c != 0;
	return c < 63 && (a->alerts >> c & 1);
}

/* The class and score of one network output row. */
static size_t classify(const struct brink_analyze *a, const float *y, double *score)
{
	if (a->outputs == 1) {
		*score = y[0];
		return y[0] >= a->threshold ? 1 : 0;
	}
	size_t best = 0;
	for (size_t i = 1; i < a->outputs; i++)
		if (y[i] > y[best])
			best = i;
	*score = y[best];
	return best;
}

static size_t classify_rule(double v, double *score)
{
	*score = v;
	return v != 0 && !isnan(v) ? 1 : 0;
}

/* ---- configuration ---- */

static int read_names(json_t *arr, field_name **out, size_t *n, char *msg, size_t len)
{
	size_t count = json_array_size(arr);
	*n = 0;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return fail(msg, len, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s || !brink_name_valid(s))
			return fail(msg, len, "configuration: column %zu is not a field name", i);
		snprintf((*out)[i], sizeof((*out)[i]), "%s", s);
	}
	*n = count;
	return 0;
}

static int read_labels(struct brink_analyze *a, json_t *arr, char *msg, size_t len)
{
	size_t n = json_array_size(arr);
	if (n > BRINK_LABELS_MAX)
		return fail(msg, len, "configuration: too many labels");
	for (size_t i = 0; i < n; i++)
		snprintf(a->labels[i], sizeof(a->labels[i]), "%s",
			 json_string_value(json_array_get(arr, i)) ?: "?");
	a->nlabels = n;
	return 0;
}

static int read_config(struct brink_analyze *a, json_t *o, char *msg, size_t len)
{
	const char *format = json_string_value(json_object_get(o, "format"));
	const char *mode = json_string_value(json_object_get(o, "mode"));
	json_int_t batch = json_integer_value(json_object_get(o, "batch"));
	if (!json_is_object(o) || !format || !mode)
		return fail(msg, len, "configuration: not an analyze configuration");
	a->rules = strcmp(format, "rules") == 0;
	a->batch = strcmp(mode, "batch") == 0;
	a->batch_n = a->batch ? (size_t)batch : 1;
	if (a->batch && (batch < 1 || batch > 1000000))
		return fail(msg, len, "configuration: batch must be 1-1000000");
	json_t *t = json_object_get(o, "threshold"), *al = json_object_get(o, "alerts");
	a->threshold = json_is_number(t) ? json_number_value(t) : 0.5;
	a->alerts = json_is_integer(al) ? json_integer_value(al) : -1;
	if (read_labels(a, json_object_get(o, "labels"), msg, len) < 0)
		return -1;
	if (a->rules)
		return 0;
	return read_names(json_object_get(o, "columns"), &a->fields, &a->nfields, msg, len);
}

/* ---- the model ---- */

static int load_rule(struct brink_analyze *a, const void *model, size_t len, char *msg,
		     size_t msglen)
{
	struct brink_error *err = NULL;
	char *src = malloc(len + 1);
	if (!src)
		return fail(msg, msglen, "out of memory");
	memcpy(src, model, len);
	src[len] = '\0';
	int rc = brink_rule_compile(src, &a->rule, &err);
	free(src);
	if (rc < 0) {
		fail(msg, msglen, "%s", err ? err->msg : "rule: refused");
		brink_error_free(&err);
		return -1;
	}
	a->nfields = brink_rule_fields(a->rule);
	a->fields = calloc(a->nfields ? a->nfields : 1, sizeof(*a->fields));
	if (!a->fields)
		return fail(msg, msglen, "out of memory");
	for (size_t i = 0; i < a->nfields; i++)
		snprintf(a->fields[i], sizeof(a->fields[i]), "%s", brink_rule_field(a->rule, i));
	a->inputs = a->nfields;
	a->outputs = 1;
	return 0;
}

/* An HDF5 file, or (allow_image) the compiled image brinkd stored for it. */
static int load_nn(struct brink_analyze *a, const void *model, size_t len, bool allow_image,
		   char *msg, size_t msglen)
{
	struct brink_error *err = NULL;
	a->compiled = allow_image && brink_nn_image_is(model, len);
	int rc = a->compiled ? brink_nn_image_load(model, len, &a->nn, &err)
			     : brink_nn_load(model, len, &a->nn, &err);
	if (rc < 0) {
		fail(msg, msglen, "%s", err ? err->msg : "model: refused");
		brink_error_free(&err);
		return -1;
	}
	a->inputs = brink_nn_inputs(a->nn);
	a->outputs = brink_nn_outputs(a->nn);
	return 0;
}

static int check_width(const struct brink_analyze *a, char *msg, size_t len)
{
	if (!a->rules && a->inputs != a->nfields)
		return fail(msg, len, "the model takes %zu inputs but %zu columns are named",
			    a->inputs, a->nfields);
	return 0;
}

static int alloc_scratch(struct brink_analyze *a, char *msg, size_t len)
{
	a->classes = a->rules || a->outputs == 1 ? 2 : a->outputs;
	if (a->nlabels && a->nlabels != a->classes)
		return fail(msg, len, "%zu labels for %zu classes", a->nlabels, a->classes);
	a->values = calloc(a->nfields ? a->nfields : 1, sizeof(double));
	a->rows = calloc(CHUNK * (a->inputs ? a->inputs : 1), sizeof(float));
	a->outs = calloc(CHUNK * a->outputs, sizeof(float));
	a->class_count = calloc(a->classes, sizeof(uint64_t));
	if (!a->values || !a->rows || !a->outs || !a->class_count)
		return fail(msg, len, "out of memory");
	return 0;
}

int brink_analyze_open(const char *config, const void *model, size_t len,
		       struct brink_analyze **out, char *msg, size_t msglen)
{
	struct brink_analyze *a = calloc(1, sizeof(*a));
	json_t *o = json_loads(config, JSON_REJECT_DUPLICATES, NULL);
	int rc = -1;
	if (!a)
		fail(msg, msglen, "out of memory");
	else if (read_config(a, o, msg, msglen) == 0)
		rc = a->rules ? load_rule(a, model, len, msg, msglen)
			      : load_nn(a, model, len, true, msg, msglen);
	if (rc == 0)
		rc = check_width(a, msg, msglen);
	if (rc == 0)
		rc = alloc_scratch(a, msg, msglen);
	json_decref(o);
	if (rc < 0) {
		brink_analyze_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

bool brink_analyze_compiled(const struct brink_analyze *a)
{
	return a->compiled;
}

void brink_analyze_warm_up(struct brink_analyze *a)
{
	if (a->nn)
		brink_nn_warm_up(a->nn);
}

void brink_analyze_free(struct brink_analyze *a)
{
	if (!a)
		return;
	brink_nn_free(a->nn);
	brink_rule_free(a->rule);
	free(a->fields);
	free(a->values);
	free(a->rows);
	free(a->outs);
	free(a->class_count);
	free(a);
}

void brink_analyze_stats(const struct brink_analyze *a, struct brink_wire_stats *out)
{
	*out = a->stats;
}

/* ---- readings ---- */

enum { READ_OK, READ_MISSING, READ_BAD };

/* A number, or a string that is entirely one finite number. */
static int value_of(json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return isfinite(*out) ? READ_OK : READ_BAD;
	}
	const char *s = json_string_value(v);
	if (!s || !*s || json_string_length(v) != strlen(s))
		return READ_BAD;
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return *end || errno || !isfinite(*out) ? READ_BAD : READ_OK;
}

/* Reads the fields of one reading (a JSON object) into a->values. */
static int extract(struct brink_analyze *a, const char *obj, size_t len)
{
	json_t *o = json_loadb(obj, len, JSON_REJECT_DUPLICATES, NULL);
	int st = json_is_object(o) ? READ_OK : READ_BAD;
	for (size_t i = 0; st == READ_OK && i < a->nfields; i++) {
		json_t *v = json_object_get(o, a->fields[i]);
		st = v ? value_of(v, &a->values[i]) : READ_MISSING;
	}
	json_decref(o);
	return st;
}

/* Appends ,"score":X (null when not finite) at out[n..cap). */
static int put_score(char *out, size_t cap, size_t n, double score)
{
	if (isfinite(score))
		return snprintf(out + n, cap - n, ",\"score\":%.9g}", score);
	return snprintf(out + n, cap - n, ",\"score\":null}");
}

/* The datum line: the forward line with msg, class and score added. */
static size_t datum_line(struct brink_analyze *a, const uint8_t *rec, size_t len,
			 uint64_t time_ns, size_t cls, double score, char *out, size_t cap)
{
	char buf[24];
	size_t n = brink_forward_format(rec, len, time_ns, out, cap);
	if (n < 2 || out[n - 1] != '}')
		return 0;
	n -= 1;
	bool first = out[n - 1] == '{';
	int k = snprintf(out + n, cap - n, "%s\"msg\":\"%s\",\"class\":\"%s\"", first ? "" : ",",
			 is_alert(a, cls) ? BRINK_ANALYZE_ALERT_MSG : BRINK_ANALYZE_NORMAL_MSG,
			 label_of(a, cls, buf, sizeof(buf)));
	if (k < 0 || (size_t)k >= cap - n)
		return 0;
	n += (size_t)k;
	k = put_score(out, cap, n, score);
	return k < 0 || (size_t)k >= cap - n ? 0 : n + (size_t)k;
}

static void count(struct brink_analyze *a, size_t cls, double score)
{
	a->class_count[cls]++;
	a->nalerts += is_alert(a, cls);
	a->score_sum += isfinite(score) ? score : 0;
	a->pending++;
}

/* Runs the pending rows of a batch through the network. */
static void flush_rows(struct brink_analyze *a)
{
	if (!a->nrows)
		return;
	brink_nn_infer_batch(a->nn, a->rows, a->nrows, a->outs);
	for (size_t r = 0; r < a->nrows; r++) {
		double score;
		size_t cls = classify(a, a->outs + r * a->outputs, &score);
		count(a, cls, score);
	}
	a->nrows = 0;
}

/* The batch line; resets the batch. */
static size_t batch_line(struct brink_analyze *a, char *out, size_t cap)
{
	char buf[24];
	size_t n = 0;
	int k = snprintf(out, cap,
			 "{\"received\":%" PRIu64 ".%06" PRIu64 ",\"msg\":\"%s\",\"nalerts\":%" PRIu64
			 ",\"count\":%zu,\"classes\":{",
			 a->last_time_ns / 1000000000u, (a->last_time_ns % 1000000000u) / 1000u,
			 a->nalerts ? BRINK_ANALYZE_ALERT_MSG : BRINK_ANALYZE_NORMAL_MSG, a->nalerts,
			 a->pending);
	for (size_t c = 0; k >= 0 && (size_t)k < cap - n && c < a->classes; c++) {
		n += (size_t)k;
		k = snprintf(out + n, cap - n, "%s\"%s\":%" PRIu64, c ? "," : "",
			     label_of(a, c, buf, sizeof(buf)), a->class_count[c]);
	}
	if (k >= 0 && (size_t)k < cap - n) {
		n += (size_t)k;
		k = snprintf(out + n, cap - n, "}");
	}
	if (k >= 0 && (size_t)k < cap - n) {
		n += (size_t)k;
		k = put_score(out, cap, n, a->score_sum / (double)a->pending);
	}
	size_t total = k >= 0 && (size_t)k < cap - n ? n + (size_t)k : 0;
	memset(a->class_count, 0, a->classes * sizeof(uint64_t));
	a->pending = 0;
	a->nalerts = 0;
	a->score_sum = 0;
	return total;
}

/* Adds one reading's values to the batch; returns the line when it is full. */
static size_t add_to_batch(struct brink_analyze *a, char *out, size_t cap)
{
	if (a->rules) {
		double score;
		size_t cls = classify_rule(brink_rule_eval(a->rule, a->values), &score);
		count(a, cls, score);
	} else {
		float *row = a->rows + a->nrows * a->inputs;
		for (size_t i = 0; i < a->inputs; i++)
			row[i] = (float)a->values[i];
		if (++a->nrows == CHUNK)
			flush_rows(a);
	}
	if (a->pending + a->nrows < a->batch_n)
		return 0;
	flush_rows(a);
	return batch_line(a, out, cap);
}

static size_t one_datum(struct brink_analyze *a, const uint8_t *rec, size_t len,
			uint64_t time_ns, char *out, size_t cap)
{
	double score;
	size_t cls;
	if (a->rules) {
		cls = classify_rule(brink_rule_eval(a->rule, a->values), &score);
	} else {
		for (size_t i = 0; i < a->inputs; i++)
			a->rows[i] = (float)a->values[i];
		brink_nn_infer(a->nn, a->rows, a->outs);
		cls = classify(a, a->outs, &score);
	}
	return datum_line(a, rec, len, time_ns, cls, score, out, cap);
}

size_t brink_analyze_reading(struct brink_analyze *a, const uint8_t *rec, size_t len,
			     uint64_t time_ns, char *out, size_t cap)
{
	const uint8_t *nl = memchr(rec, '\n', len);
	a->stats.readings++;
	int st = nl ? extract(a, (const char *)nl + 1, len - (size_t)(nl + 1 - rec)) : READ_BAD;
	if (st != READ_OK) {
		if (st == READ_MISSING)
			a->stats.skipped_missing++;
		else
			a->stats.skipped_bad++;
		return 0;
	}
	a->last_time_ns = time_ns;
	size_t n = a->batch ? add_to_batch(a, out, cap) : one_datum(a, rec, len, time_ns, out, cap);
	a->stats.results += n > 0;
	return n;
}

/* ---- the check mode ---- */

static int check_rules(const void *data, size_t len, char *out, size_t cap)
{
	struct brink_analyze a;
	memset(&a, 0, sizeof(a));
	if (memchr(data, '\0', len)) {
		snprintf(out, cap, "rule: the file holds a NUL byte");
		return 0;
	}
	int ok = load_rule(&a, data, len, out, cap) == 0;
	for (size_t i = 0; ok && i < a.nfields; i++)
		if (!brink_name_valid(a.fields[i]))
			ok = fail(out, cap, "rule: '%s' cannot be a field name (A-Z a-z 0-9 . _ -)",
				  a.fields[i]) == 0;
	if (ok) {
		json_t *fields = json_array();
		for (size_t i = 0; i < a.nfields; i++)
			json_array_append_new(fields, json_string(a.fields[i]));
		json_t *o = json_pack("{s:s,s:i,s:i,s:o}", "format", "rules", "inputs",
				      (int)a.nfields, "outputs", 1, "fields", fields);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		ok = text && strlen(text) < cap;
		snprintf(out, cap, "%s", ok ? text : "rule: too many fields");
		free(text);
		json_decref(o);
	}
	brink_rule_free(a.rule);
	free(a.fields);
	return ok;
}

/* Writes the network's image into img when given and it fits; appends its
 * length (0: none) to the summary being written at out[pos..cap). */
static int put_image(const struct brink_nn *nn, struct brink_analyze_image *img, char *out,
		     size_t pos, size_t cap)
{
	if (!img)
		return snprintf(out + pos, cap - pos, "}");
	img->len = brink_nn_image_write(nn, img->buf, img->cap);
	return snprintf(out + pos, cap - pos, ",\"image_bytes\":%zu}", img->len);
}

/* Loads, describes and runs the network once on zeros. */
static int check_h5(const void *data, size_t len, char *out, size_t cap,
		    struct brink_analyze_image *img)
{
	struct brink_analyze a;
	memset(&a, 0, sizeof(a));
	if (load_nn(&a, data, len, false, out, cap) < 0)
		return 0;
	int n = snprintf(out, cap, "{\"format\":\"h5\",\"inputs\":%zu,\"outputs\":%zu,\"layers\":%zu,"
				   "\"model\":",
			 a.inputs, a.outputs, brink_nn_layers(a.nn));
	int d = n > 0 && (size_t)n < cap ? brink_nn_describe(a.nn, out + n, cap - (size_t)n - 1)
					 : -1;
	float *in = calloc(a.inputs ? a.inputs : 1, sizeof(float));
	float *y = calloc(a.outputs ? a.outputs : 1, sizeof(float));
	int ok = d >= 0 && in && y;
	if (ok) {
		brink_nn_infer(a.nn, in, y);
		int k = put_image(a.nn, img, out, (size_t)(n + d), cap);
		ok = k > 0 && (size_t)k < cap - (size_t)(n + d);
	}
	if (!ok)
		snprintf(out, cap, "model: its description does not fit or out of memory");
	free(in);
	free(y);
	brink_nn_free(a.nn);
	return ok;
}

int brink_analyze_check(const char *format, const void *data, size_t len, char *out, size_t cap)
{
	return brink_analyze_check_image(format, data, len, out, cap, NULL);
}

int brink_analyze_check_image(const char *format, const void *data, size_t len, char *out,
			      size_t cap, struct brink_analyze_image *img)
{
	if (img)
		img->len = 0;
	if (strcmp(format, "rules") == 0)
		return check_rules(data, len, out, cap);
	if (strcmp(format, "h5") == 0)
		return check_h5(data, len, out, cap, img);
	snprintf(out, cap, "unknown model format '%s'", format);
	return 0;
}
