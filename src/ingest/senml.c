/* SenML packs (RFC 8428) in JSON (jansson) and CBOR (libcbor's streaming
 * decoder, one callback per item, driven by a flat state machine: nothing
 * is allocated and nesting beyond array-of-maps is refused at its first
 * byte). Both fill a struct rec per record and share apply(). */
#include "ingest/reading-internal.h"

#include <cbor.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum label { L_BVER, L_BN, L_BT, L_BU, L_BV, L_BS, L_N, L_U, L_V, L_VS, L_VB, L_S, L_T, L_UT,
	     L_VD, L_COUNT };
enum ltype { T_NUM, T_STR, T_BOOL, T_DATA };

static const struct {
	const char *name;
	int cbor;
	enum ltype type;
} labels[L_COUNT] = {
	[L_BVER] = {"bver", -1, T_NUM}, [L_BN] = {"bn", -2, T_STR}, [L_BT] = {"bt", -3, T_NUM},
	[L_BU] = {"bu", -4, T_STR},	[L_BV] = {"bv", -5, T_NUM}, [L_BS] = {"bs", -6, T_NUM},
	[L_N] = {"n", 0, T_STR},	[L_U] = {"u", 1, T_STR},    [L_V] = {"v", 2, T_NUM},
	[L_VS] = {"vs", 3, T_STR},	[L_VB] = {"vb", 4, T_BOOL}, [L_S] = {"s", 5, T_NUM},
	[L_T] = {"t", 6, T_NUM},	[L_UT] = {"ut", 7, T_NUM},  [L_VD] = {"vd", 8, T_DATA},
};

static const char *const type_names[] = {"a number", "a string", "a boolean", "data"};

/* One record as received; strings point into the input. */
struct rec {
	unsigned have; /* 1u << label */
	bool vb;
	double num[L_COUNT];
	const char *str[L_COUNT];
	size_t len[L_COUNT];
};

/* Base values in force, and where the records go. */
struct pack {
	struct brink_reading *out;
	char *msg;
	size_t msglen;
	size_t index; /* 1-based number of the current record, for messages */
	size_t bnlen;
	double bt, bv, bs;
	char bn[BRINK_READING_NAME_MAX + 1];
	char bu[BRINK_READING_UNIT_MAX + 1];
};

static void pack_init(struct pack *p, struct brink_reading *out, char *msg, size_t msglen)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->msg = msg;
	p->msglen = msglen;
	out->nfields = 0;
}

static enum brink_reading_status rfail(struct pack *p, enum brink_reading_status st,
				       const char *fmt, ...) BRINK_PRINTF(3, 4);
static enum brink_reading_status rfail(struct pack *p, enum brink_reading_status st,
				       const char *fmt, ...)
{
	if (p->msglen == 0)
		return st;
	int n = snprintf(p->msg, p->msglen, "record %zu: ", p->index);
	if (n > 0 && (size_t)n < p->msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->msg + n, p->msglen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return st;
}

static bool has(const struct rec *r, enum label l)
{
	return r->have & (1u << l);
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && c != '\0' && strchr("-:./_", c) != NULL;
}

/* RFC 8428 section 4.5.1. */
static bool senml_name_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], i == 0))
			return false;
	return n > 0;
}

/* A label not in the RFC: refused when must-understand or nested, else ignored. */
static enum brink_reading_status extension(struct pack *p, const char *key, size_t n, bool nested)
{
	char q[40];
	if (n > 0 && key[n - 1] == '_')
		return rfail(p, BRINK_READING_INVALID, "must-understand label '%s' is not supported",
			     reading__quote(q, sizeof(q), key, n));
	if (nested)
		return rfail(p, BRINK_READING_INVALID, "label '%s' holds a nested value",
			     reading__quote(q, sizeof(q), key, n));
	return BRINK_READING_OK;
}

static enum brink_reading_status check_numbers(struct pack *p, const struct rec *r)
{
	for (int l = 0; l < L_COUNT; l++)
		if (has(r, l) && labels[l].type == T_NUM && !isfinite(r->num[l]))
			return rfail(p, BRINK_READING_INVALID, "'%s' is not a finite number",
				     labels[l].name);
	if (has(r, L_BVER) && (r->num[L_BVER] != floor(r->num[L_BVER]) || r->num[L_BVER] < 1))
		return rfail(p, BRINK_READING_INVALID, "'bver' must be a positive integer");
	if (has(r, L_BVER) && r->num[L_BVER] > 10)
		return rfail(p, BRINK_READING_INVALID, "SenML version %.0f is not supported (10 is)",
			     r->num[L_BVER]);
	return BRINK_READING_OK;
}

static enum brink_reading_status copy_unit(struct pack *p, const struct rec *r, enum label l,
					   char *dst)
{
	if (r->len[l] > BRINK_READING_UNIT_MAX)
		return rfail(p, BRINK_READING_TOO_LARGE, "'%s' is longer than %d bytes",
			     labels[l].name, BRINK_READING_UNIT_MAX);
	if (!reading__text_valid(r->str[l], r->len[l]))
		return rfail(p, BRINK_READING_INVALID, "'%s' holds control characters or bad UTF-8",
			     labels[l].name);
	memcpy(dst, r->str[l], r->len[l]);
	dst[r->len[l]] = '\0';
	return BRINK_READING_OK;
}

static enum brink_reading_status apply_bases(struct pack *p, const struct rec *r)
{
	if (has(r, L_BN)) {
		if (r->len[L_BN] > BRINK_READING_NAME_MAX)
			return rfail(p, BRINK_READING_TOO_LARGE, "'bn' is longer than %d bytes",
				     BRINK_READING_NAME_MAX);
		memcpy(p->bn, r->str[L_BN], r->len[L_BN]);
		p->bnlen = r->len[L_BN];
	}
	if (has(r, L_BT))
		p->bt = r->num[L_BT];
	if (has(r, L_BV))
		p->bv = r->num[L_BV];
	if (has(r, L_BS))
		p->bs = r->num[L_BS];
	return has(r, L_BU) ? copy_unit(p, r, L_BU, p->bu) : BRINK_READING_OK;
}

static enum brink_reading_status count_values(struct pack *p, const struct rec *r)
{
	if (has(r, L_VD))
		return rfail(p, BRINK_READING_INVALID, "data values (vd) are not supported");
	int n = has(r, L_V) + has(r, L_VS) + has(r, L_VB);
	if (n == 0)
		return rfail(p, BRINK_READING_INVALID, "no value (v, vs or vb)");
	if (n > 1)
		return rfail(p, BRINK_READING_INVALID, "more than one value");
	return BRINK_READING_OK;
}

/* name = bn + n, checked; name has room for BRINK_READING_NAME_MAX + 1. */
static enum brink_reading_status resolve_name(struct pack *p, const struct rec *r, char *name,
					      size_t *len)
{
	size_t n = has(r, L_N) ? r->len[L_N] : 0;
	if (p->bnlen + n > BRINK_READING_NAME_MAX)
		return rfail(p, BRINK_READING_TOO_LARGE, "the name (bn + n) is longer than %d bytes",
			     BRINK_READING_NAME_MAX);
	memcpy(name, p->bn, p->bnlen);
	if (n)
		memcpy(name + p->bnlen, r->str[L_N], n);
	*len = p->bnlen + n;
	name[*len] = '\0';
	if (!senml_name_valid(name, *len))
		return rfail(p, BRINK_READING_INVALID,
			     "a name (bn + n) must be 1-%d characters of A-Z a-z 0-9 - : . / _, "
			     "starting with a letter or digit",
			     BRINK_READING_NAME_MAX);
	return BRINK_READING_OK;
}

static bool duplicate(const struct brink_reading *out, const char *name, double t)
{
	for (size_t i = 0; i < out->nfields; i++)
		if (out->fields[i].time == t && strcmp(out->fields[i].name, name) == 0)
			return true;
	return false;
}

static enum brink_reading_status set_value(struct pack *p, const struct rec *r,
					   struct brink_reading_field *f)
{
	if (has(r, L_V)) {
		f->type = BRINK_READING_NUMBER;
		f->num = p->bv + r->num[L_V];
		f->has_num = true;
	} else if (has(r, L_VB)) {
		f->type = BRINK_READING_BOOL;
		f->b = r->vb;
	} else {
		enum brink_reading_status st =
			reading__set_string(f, r->str[L_VS], r->len[L_VS], p->msg, p->msglen);
		if (st != BRINK_READING_OK)
			return st;
	}
	if (has(r, L_S)) {
		f->has_sum = true;
		f->sum = p->bs + r->num[L_S];
	}
	if (!isfinite(f->num) || !isfinite(f->sum))
		return rfail(p, BRINK_READING_INVALID, "the value (bv + v or bs + s) is not finite");
	if (has(r, L_U))
		return copy_unit(p, r, L_U, f->unit);
	strcpy(f->unit, p->bu);
	return BRINK_READING_OK;
}

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		enum brink_reading_status st_ = (expr);                                            \
		if (st_ != BRINK_READING_OK)                                                       \
			return st_;                                                                \
	} while (0)

/* Resolves one record against the bases in force and appends its field. */
static enum brink_reading_status apply(struct pack *p, const struct rec *r)
{
	char name[BRINK_READING_NAME_MAX + 1];
	size_t len = 0;
	struct brink_reading_field *f;
	TRY(check_numbers(p, r));
	TRY(apply_bases(p, r));
	TRY(count_values(p, r));
	TRY(resolve_name(p, r, name, &len));
	double t = p->bt + (has(r, L_T) ? r->num[L_T] : 0);
	if (!isfinite(t))
		return rfail(p, BRINK_READING_INVALID, "the time (bt + t) is not finite");
	if (duplicate(p->out, name, t))
		return rfail(p, BRINK_READING_INVALID, "'%s' repeats at the same time", name);
	TRY(reading__add(p->out, name, len, &f, p->msg, p->msglen));
	f->time = t;
	return set_value(p, r, f);
}

/* ---- SenML JSON ---- */

static int label_by_name(const char *key)
{
	for (int l = 0; l < L_COUNT; l++)
		if (strcmp(labels[l].name, key) == 0)
			return l;
	return -1;
}

static bool json_type_ok(json_t *v, enum ltype t)
{
	switch (t) {
	case T_NUM:
		return json_is_number(v);
	case T_BOOL:
		return json_is_boolean(v);
	case T_STR:
	case T_DATA:
	default:
		return json_is_string(v);
	}
}

static enum brink_reading_status json_label(struct pack *p, struct rec *r, const char *key,
					    json_t *v)
{
	int l = label_by_name(key);
	if (l < 0)
		return extension(p, key, strlen(key), json_is_object(v) || json_is_array(v));
	if (!json_type_ok(v, labels[l].type))
		return rfail(p, BRINK_READING_INVALID, "'%s' must be %s", labels[l].name,
			     type_names[labels[l].type]);
	r->have |= 1u << l;
	if (labels[l].type == T_NUM)
		r->num[l] = json_number_value(v);
	else if (labels[l].type == T_BOOL)
		r->vb = json_is_true(v);
	else {
		r->str[l] = json_string_value(v);
		r->len[l] = json_string_length(v);
	}
	return BRINK_READING_OK;
}

static enum brink_reading_status json_record(struct pack *p, json_t *obj)
{
	struct rec r = {0};
	const char *key;
	json_t *v;
	if (!json_is_object(obj))
		return rfail(p, BRINK_READING_INVALID, "a record must be a JSON object");
	json_object_foreach(obj, key, v) {
		TRY(json_label(p, &r, key, v));
	}
	return apply(p, &r);
}

static enum brink_reading_status senml_json_pack(json_t *root, struct pack *p)
{
	size_t n = json_array_size(root);
	if (!json_is_array(root))
		return reading__fail(p->msg, p->msglen, BRINK_READING_MALFORMED,
				     "a SenML pack must be a JSON array");
	if (n == 0)
		return reading__fail(p->msg, p->msglen, BRINK_READING_INVALID, "an empty pack");
	if (n > BRINK_READING_FIELDS_MAX)
		return reading__fail(p->msg, p->msglen, BRINK_READING_TOO_LARGE,
				     "%zu records (at most %d)", n, BRINK_READING_FIELDS_MAX);
	for (size_t i = 0; i < n; i++) {
		p->index = i + 1;
		TRY(json_record(p, json_array_get(root, i)));
	}
	return BRINK_READING_OK;
}

enum brink_reading_status brink_reading_parse_senml_json(const char *buf, size_t len,
							 struct brink_reading *out, char *msg,
							 size_t msglen)
{
	struct pack p;
	json_t *root;
	pack_init(&p, out, msg, msglen);
	enum brink_reading_status st = reading__load(buf, len, &root, msg, msglen);
	if (st != BRINK_READING_OK)
		return st;
	st = senml_json_pack(root, &p);
	json_decref(root);
	return st;
}

/* ---- SenML CBOR ---- */

enum cstate {
	C_TOP,	  /* expecting the pack's array */
	C_RECORD, /* a record's map, or the break of an indefinite pack */
	C_KEY,	  /* a label, or the break of an indefinite record */
	C_VALUE,  /* the value of `label` */
	C_DF,	  /* tag 4 seen: its [exponent, mantissa] array */
	C_DF_EXP,
	C_DF_MANT,
	C_DONE,
};

#define LABEL_IGNORED L_COUNT

struct cbor_ctx {
	enum cstate state;
	enum brink_reading_status st;
	int label; /* enum label, or LABEL_IGNORED */
	uint64_t records_left, pairs_left;
	bool records_indef, pairs_indef; /* indefinite length: ends at a break */
	int64_t df_exp;
	struct rec rec;
	struct pack pack;
};

static enum brink_reading_status cfail(struct cbor_ctx *c, enum brink_reading_status st,
				       const char *what)
{
	if (c->st != BRINK_READING_OK)
		return c->st;
	c->st = st;
	if (c->state == C_TOP || c->state == C_DONE)
		return reading__fail(c->pack.msg, c->pack.msglen, st, "%s", what);
	return rfail(&c->pack, st, "%s", what);
}

static enum brink_reading_status cunexpected(struct cbor_ctx *c, const char *item)
{
	static const char *const want[] = {
		[C_TOP] = "the pack's array",
		[C_RECORD] = "a record's map",
		[C_KEY] = "a label",
		[C_VALUE] = "a value",
		[C_DF] = "a decimal fraction's array",
		[C_DF_EXP] = "an exponent",
		[C_DF_MANT] = "a mantissa",
		[C_DONE] = "the end",
	};
	char m[112];
	snprintf(m, sizeof(m), "expected %s, found %s", want[c->state], item);
	bool bad_type = c->state == C_VALUE || c->state == C_KEY;
	return cfail(c, bad_type ? BRINK_READING_INVALID : BRINK_READING_MALFORMED, m);
}

static enum brink_reading_status end_record(struct cbor_ctx *c)
{
	if ((c->st = apply(&c->pack, &c->rec)) != BRINK_READING_OK)
		return c->st; /* apply wrote the message */
	if (!c->records_indef && --c->records_left == 0) {
		c->state = C_DONE;
	} else {
		c->state = C_RECORD;
		c->pack.index++;
	}
	return BRINK_READING_OK;
}

static enum brink_reading_status end_value(struct cbor_ctx *c)
{
	if (!c->pairs_indef && --c->pairs_left == 0)
		return end_record(c);
	c->state = C_KEY;
	return BRINK_READING_OK;
}

/* A value of type t arrived for the current label; *store says whether
 * the caller should keep it (false when the label is ignored). */
static enum brink_reading_status value_for(struct cbor_ctx *c, enum ltype t, bool *store)
{
	*store = false;
	if (c->state != C_VALUE)
		return cunexpected(c, type_names[t]);
	if (c->label == LABEL_IGNORED)
		return end_value(c);
	if (labels[c->label].type != t) {
		char m[64];
		snprintf(m, sizeof(m), "'%s' must be %s", labels[c->label].name,
			 type_names[labels[c->label].type]);
		return cfail(c, BRINK_READING_INVALID, m);
	}
	c->rec.have |= 1u << c->label;
	*store = true;
	return BRINK_READING_OK;
}

/* uint: v came as an unsigned integer, the only form bver may take. */
static enum brink_reading_status cnumber(struct cbor_ctx *c, double v, bool uint)
{
	bool store;
	if (c->state == C_VALUE && c->label == L_BVER && !uint)
		return cfail(c, BRINK_READING_INVALID, "'bver' must be an unsigned integer");
	if (value_for(c, T_NUM, &store) != BRINK_READING_OK || !store)
		return c->st;
	c->rec.num[c->label] = v;
	return end_value(c);
}

static enum brink_reading_status ckey(struct cbor_ctx *c, int64_t key)
{
	char m[64];
	int l = 0;
	while (l < L_COUNT && labels[l].cbor != key)
		l++;
	if (l == L_COUNT) {
		snprintf(m, sizeof(m), "unknown label %" PRId64, key);
		return cfail(c, BRINK_READING_INVALID, m);
	}
	if (has(&c->rec, l)) {
		snprintf(m, sizeof(m), "'%s' repeats", labels[l].name);
		return cfail(c, BRINK_READING_INVALID, m);
	}
	c->label = l;
	c->state = C_VALUE;
	return BRINK_READING_OK;
}

/* A decimal fraction's mantissa: converted through text so that the result
 * is the correctly rounded double of m * 10^e. */
static enum brink_reading_status cmantissa(struct cbor_ctx *c, bool neg, uint64_t u)
{
	char text[64];
	if (!neg) /* else the CBOR negative integer -1 - u */
		snprintf(text, sizeof(text), "%" PRIu64 "e%" PRId64, u, c->df_exp);
	else if (u == UINT64_MAX)
		snprintf(text, sizeof(text), "-18446744073709551616e%" PRId64, c->df_exp);
	else
		snprintf(text, sizeof(text), "-%" PRIu64 "e%" PRId64, u + 1, c->df_exp);
	c->state = C_VALUE;
	return cnumber(c, strtod(text, NULL), false);
}

static int64_t to_int64(bool neg, uint64_t u)
{
	if (u > INT64_MAX)
		return neg ? INT64_MIN : INT64_MAX;
	return neg ? -1 - (int64_t)u : (int64_t)u;
}

/* An integer: -1 - u when neg (CBOR major type 1). */
static enum brink_reading_status cinteger(struct cbor_ctx *c, bool neg, uint64_t u)
{
	switch (c->state) {
	case C_KEY:
		return ckey(c, to_int64(neg, u));
	case C_DF_EXP:
		/* 10^400 is past any double either way */
		c->df_exp = to_int64(neg, u > 400 ? 400 : u);
		c->state = C_DF_MANT;
		return BRINK_READING_OK;
	case C_DF_MANT:
		return cmantissa(c, neg, u);
	default:
		return cnumber(c, neg ? -1.0 - (double)u : (double)u, !neg);
	}
}

static void cb_u8(void *c, uint8_t v)
{
	cinteger(c, false, v);
}
static void cb_u16(void *c, uint16_t v)
{
	cinteger(c, false, v);
}
static void cb_u32(void *c, uint32_t v)
{
	cinteger(c, false, v);
}
static void cb_u64(void *c, uint64_t v)
{
	cinteger(c, false, v);
}
static void cb_n8(void *c, uint8_t v)
{
	cinteger(c, true, v);
}
static void cb_n16(void *c, uint16_t v)
{
	cinteger(c, true, v);
}
static void cb_n32(void *c, uint32_t v)
{
	cinteger(c, true, v);
}
static void cb_n64(void *c, uint64_t v)
{
	cinteger(c, true, v);
}
static void cb_float(void *c, float v)
{
	cnumber(c, v, false);
}
static void cb_double(void *c, double v)
{
	cnumber(c, v, false);
}

static enum brink_reading_status ctext(struct cbor_ctx *c, const char *s, size_t len)
{
	bool store;
	if (c->state == C_KEY) {
		if ((c->st = extension(&c->pack, s, len, false)) == BRINK_READING_OK) {
			c->label = LABEL_IGNORED;
			c->state = C_VALUE;
		}
		return c->st;
	}
	if (value_for(c, T_STR, &store) != BRINK_READING_OK || !store)
		return c->st;
	c->rec.str[c->label] = s;
	c->rec.len[c->label] = len;
	return end_value(c);
}

static void cb_string(void *c, cbor_data data, size_t len)
{
	ctext(c, (const char *)data, len);
}

static void cb_bytes(void *ctx, cbor_data data, size_t len)
{
	struct cbor_ctx *c = ctx;
	bool store;
	(void)data;
	(void)len;
	if (value_for(c, T_DATA, &store) == BRINK_READING_OK && store)
		end_value(c);
}

static void cb_bool(void *ctx, bool b)
{
	struct cbor_ctx *c = ctx;
	bool store;
	if (value_for(c, T_BOOL, &store) == BRINK_READING_OK && store) {
		c->rec.vb = b;
		end_value(c);
	}
}

static void cb_null(void *c)
{
	cunexpected(c, "null");
}

static void cb_undefined(void *c)
{
	cunexpected(c, "undefined");
}

static void cb_indef_string(void *c)
{
	cunexpected(c, "an indefinite-length string (not supported)");
}

static enum brink_reading_status carray(struct cbor_ctx *c, uint64_t n, bool indef)
{
	char m[64];
	if (c->state == C_DF && (indef || n != 2))
		return cfail(c, BRINK_READING_INVALID, "a decimal fraction needs 2 items");
	if (c->state == C_DF) {
		c->state = C_DF_EXP;
		return BRINK_READING_OK;
	}
	if (c->state != C_TOP)
		return cunexpected(c, "an array (nesting is not allowed)");
	if (!indef && n == 0)
		return cfail(c, BRINK_READING_INVALID, "an empty pack");
	if (!indef && n > BRINK_READING_FIELDS_MAX) {
		snprintf(m, sizeof(m), "%" PRIu64 " records (at most %d)", n,
			 BRINK_READING_FIELDS_MAX);
		return cfail(c, BRINK_READING_TOO_LARGE, m);
	}
	c->records_left = n;
	c->records_indef = indef;
	c->state = C_RECORD;
	c->pack.index = 1;
	return BRINK_READING_OK;
}

static enum brink_reading_status cmap(struct cbor_ctx *c, uint64_t n, bool indef)
{
	if (c->state != C_RECORD)
		return cunexpected(c, "a map (nesting is not allowed)");
	memset(&c->rec, 0, sizeof(c->rec));
	c->pairs_left = n;
	c->pairs_indef = indef;
	c->state = C_KEY;
	return !indef && n == 0 ? end_record(c) : BRINK_READING_OK;
}

static void cb_array(void *c, size_t n)
{
	carray(c, n, false);
}
static void cb_indef_array(void *c)
{
	carray(c, 0, true);
}
static void cb_map(void *c, size_t n)
{
	cmap(c, n, false);
}
static void cb_indef_map(void *c)
{
	cmap(c, 0, true);
}

static void cb_tag(void *ctx, uint64_t tag)
{
	struct cbor_ctx *c = ctx;
	if (c->state == C_VALUE && tag == 4)
		c->state = C_DF;
	else
		cunexpected(c, "a tag (only decimal fractions are allowed)");
}

static void cb_break(void *ctx)
{
	struct cbor_ctx *c = ctx;
	if (c->state == C_KEY && c->pairs_indef)
		end_record(c);
	else if (c->state == C_RECORD && c->records_indef)
		c->state = C_DONE;
	else
		cunexpected(c, "a break");
}

static const struct cbor_callbacks callbacks = {
	.uint8 = cb_u8,
	.uint16 = cb_u16,
	.uint32 = cb_u32,
	.uint64 = cb_u64,
	.negint8 = cb_n8,
	.negint16 = cb_n16,
	.negint32 = cb_n32,
	.negint64 = cb_n64,
	.byte_string_start = cb_indef_string,
	.byte_string = cb_bytes,
	.string = cb_string,
	.string_start = cb_indef_string,
	.indef_array_start = cb_indef_array,
	.array_start = cb_array,
	.indef_map_start = cb_indef_map,
	.map_start = cb_map,
	.tag = cb_tag,
	.float2 = cb_float,
	.float4 = cb_float,
	.float8 = cb_double,
	.undefined = cb_undefined,
	.null = cb_null,
	.boolean = cb_bool,
	.indef_break = cb_break,
};

static enum brink_reading_status cbor_items(struct cbor_ctx *c, const unsigned char *buf,
					    size_t len)
{
	size_t off = 0;
	while (off < len && c->st == BRINK_READING_OK) {
		if (c->state == C_DONE)
			return reading__fail(c->pack.msg, c->pack.msglen, BRINK_READING_MALFORMED,
					     "%zu bytes after the pack", len - off);
		struct cbor_decoder_result r = cbor_stream_decode(buf + off, len - off, &callbacks, c);
		if (r.status == CBOR_DECODER_NEDATA)
			break;
		if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
			return reading__fail(c->pack.msg, c->pack.msglen, BRINK_READING_MALFORMED,
					     "not CBOR at byte %zu", off);
		off += r.read;
	}
	if (c->st != BRINK_READING_OK)
		return c->st;
	if (c->state != C_DONE)
		return reading__fail(c->pack.msg, c->pack.msglen, BRINK_READING_MALFORMED,
				     "truncated CBOR (%zu bytes)", len);
	if (c->pack.out->nfields == 0) /* [_ ] */
		return reading__fail(c->pack.msg, c->pack.msglen, BRINK_READING_INVALID,
				     "an empty pack");
	return BRINK_READING_OK;
}

enum brink_reading_status brink_reading_parse_senml_cbor(const void *buf, size_t len,
							 struct brink_reading *out, char *msg,
							 size_t msglen)
{
	struct cbor_ctx c = {.state = C_TOP, .st = BRINK_READING_OK};
	pack_init(&c.pack, out, msg, msglen);
	if (len > BRINK_READING_INPUT_MAX)
		return reading__fail(msg, msglen, BRINK_READING_TOO_LARGE,
				     "%zu bytes (at most %d)", len, BRINK_READING_INPUT_MAX);
	return cbor_items(&c, buf, len);
}
