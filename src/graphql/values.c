/* Input coercion (spec 3.5 and 5.6): literals and JSON variables to the
 * argument's type, as JSON values for the resolvers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql-internal.h"

static void print_items(const struct gql_value *v, char *buf, size_t len, bool object)
{
	size_t o = (size_t)snprintf(buf, len, "%c", object ? '{' : '[');
	for (size_t i = 0; i < v->n && o + 8 < len; i++) {
		char item[96];
		gql_value_print(&v->items[i], item, sizeof(item));
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", i ? ", " : "",
				      object ? v->items[i].name : "", object ? ": " : "", item);
	}
	if (o + 2 < len)
		snprintf(buf + o, len - o, "%c", object ? '}' : ']');
}

void gql_value_print(const struct gql_value *v, char *buf, size_t len)
{
	switch (v->kind) {
	case GV_VAR: snprintf(buf, len, "$%s", v->str); break;
	case GV_STRING: snprintf(buf, len, "\"%.60s\"", v->str); break;
	case GV_BOOL: snprintf(buf, len, "%s", v->b ? "true" : "false"); break;
	case GV_NULL: snprintf(buf, len, "null"); break;
	case GV_LIST: print_items(v, buf, len, false); break;
	case GV_OBJECT: print_items(v, buf, len, true); break;
	default: snprintf(buf, len, "%.60s", v->str); break;
	}
}

static json_t *bad(char *msg, size_t msglen, const char *fmt, const char *a, const char *b)
{
	snprintf(msg, msglen, fmt, a, b);
	return NULL;
}

static bool enum_has(const struct gql_type *t, const char *s)
{
	for (size_t i = 0; i < t->nvalues; i++)
		if (strcmp(t->values[i], s) == 0)
			return true;
	return false;
}

static json_t *scalar_literal(const struct gql_type *t, const struct gql_value *v, char *msg,
			      size_t msglen)
{
	char p[128];
	gql_value_print(v, p, sizeof(p));
	const char *n = t->name;
	if (strcmp(n, "Int") == 0) {
		if (v->kind != GV_INT)
			return bad(msg, msglen, "Int cannot represent non-integer value: %s%s", p, "");
		errno = 0;
		long long x = strtoll(v->str, NULL, 10);
		if (errno || x < INT32_MIN || x > INT32_MAX)
			return bad(msg, msglen, "Int cannot represent non 32-bit signed integer value: %s%s", p, "");
		return json_integer(x);
	}
	if (strcmp(n, "Float") == 0) {
		if (v->kind != GV_INT && v->kind != GV_FLOAT)
			return bad(msg, msglen, "Float cannot represent non numeric value: %s%s", p, "");
		double d = strtod(v->str, NULL);
		if (!isfinite(d))
			return bad(msg, msglen, "Float cannot represent non numeric value: %s%s", p, "");
		return json_real(d);
	}
	if (strcmp(n, "String") == 0)
		return v->kind == GV_STRING ? json_stringn(v->str, v->len)
			: bad(msg, msglen, "String cannot represent a non string value: %s%s", p, "");
	if (strcmp(n, "Boolean") == 0)
		return v->kind == GV_BOOL ? json_boolean(v->b)
			: bad(msg, msglen, "Boolean cannot represent a non boolean value: %s%s", p, "");
	if (strcmp(n, "ID") == 0)
		return v->kind == GV_STRING || v->kind == GV_INT ? json_stringn(v->str, v->len)
			: bad(msg, msglen, "ID cannot represent a non-string and non-integer value: %s%s", p, "");
	return bad(msg, msglen, "Unknown scalar %s%s", n, "");
}

static json_t *enum_literal(const struct gql_type *t, const struct gql_value *v, char *msg,
			    size_t msglen)
{
	char p[128];
	gql_value_print(v, p, sizeof(p));
	if (v->kind != GV_ENUM)
		return bad(msg, msglen, "Enum \"%s\" cannot represent non-enum value: %s.", t->name, p);
	if (!enum_has(t, v->str))
		return bad(msg, msglen, "Value \"%s\" does not exist in \"%s\" enum.", v->str, t->name);
	return json_string(v->str);
}

static bool var_absent(const struct gql_value *v, json_t *vars)
{
	return v->kind == GV_VAR && vars && !json_object_get(vars, v->str);
}

/* Fills defaults and checks required fields of an input object. */
static int object_finish(const struct gql_type *t, json_t *obj, char *msg, size_t msglen)
{
	char tb[128];
	for (size_t i = 0; i < t->ninputs; i++) {
		const struct gql_ivalue *f = &t->inputs[i];
		if (json_object_get(obj, f->def->name))
			continue;
		if (f->def_value) {
			json_object_set(obj, f->def->name, f->def_value);
		} else if (f->type->kind == TR_NONNULL) {
			snprintf(msg, msglen, "Field \"%s.%s\" of required type \"%s\" was not provided.",
				 t->name, f->def->name, gql_tref_str(f->type, tb, sizeof(tb)));
			return -1;
		}
	}
	return 0;
}

static json_t *object_literal(const struct gql_schema *s, const struct gql_type *t,
			      const struct gql_value *v, json_t *vars, char *msg, size_t msglen)
{
	char p[128];
	if (v->kind != GV_OBJECT) {
		gql_value_print(v, p, sizeof(p));
		return bad(msg, msglen, "Expected value of type \"%s\", found %s.", t->name, p);
	}
	json_t *obj = json_object();
	for (size_t i = 0; obj && i < v->n; i++) {
		const struct gql_value *fv = &v->items[i];
		const struct gql_ivalue *f = gql_find_input(t->inputs, t->ninputs, fv->name);
		if (!f) {
			json_decref(obj);
			return bad(msg, msglen, "Field \"%s\" is not defined by type \"%s\".", fv->name, t->name);
		}
		if (var_absent(fv, vars))
			continue;
		json_t *c = gql_coerce_literal(s, fv, f->type, vars, msg, msglen);
		if (!c) {
			json_decref(obj);
			return NULL;
		}
		json_object_set_new(obj, fv->name, c);
	}
	if (obj && object_finish(t, obj, msg, msglen) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *list_literal(const struct gql_schema *s, const struct gql_value *v,
			    const struct gql_tref *item, json_t *vars, char *msg, size_t msglen)
{
	json_t *arr = json_array();
	if (v->kind != GV_LIST) { /* input coercion: a single value is a list of one */
		json_t *c = gql_coerce_literal(s, v, item, vars, msg, msglen);
		if (!c || json_is_null(c))
			return json_decref(arr), c;
		json_array_append_new(arr, c);
		return arr;
	}
	for (size_t i = 0; arr && i < v->n; i++) {
		json_t *c = var_absent(&v->items[i], vars) ? json_null()
			: gql_coerce_literal(s, &v->items[i], item, vars, msg, msglen);
		if (!c) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, c);
	}
	return arr;
}

json_t *gql_coerce_literal(const struct gql_schema *s, const struct gql_value *v,
			   const struct gql_tref *t, json_t *vars, char *msg, size_t msglen)
{
	char tb[128];
	if (v->kind == GV_VAR) {
		if (!vars) /* validation: variable usages are checked by their own rule */
			return json_null();
		json_t *val = json_object_get(vars, v->str);
		if ((!val || json_is_null(val)) && t->kind == TR_NONNULL)
			return bad(msg, msglen, "Expected value of type \"%s\", found %s.",
				   gql_tref_str(t, tb, sizeof(tb)), "null");
		return val ? json_incref(val) : json_null();
	}
	if (t->kind == TR_NONNULL) {
		if (v->kind == GV_NULL)
			return bad(msg, msglen, "Expected value of type \"%s\", found %s.",
				   gql_tref_str(t, tb, sizeof(tb)), "null");
		return gql_coerce_literal(s, v, t->of, vars, msg, msglen);
	}
	if (v->kind == GV_NULL)
		return json_null();
	if (t->kind == TR_LIST)
		return list_literal(s, v, t->of, vars, msg, msglen);
	const struct gql_type *nt = t->named;
	if (nt->kind == GQL_SCALAR)
		return scalar_literal(nt, v, msg, msglen);
	if (nt->kind == GQL_ENUM)
		return enum_literal(nt, v, msg, msglen);
	return object_literal(s, nt, v, vars, msg, msglen);
}

/* ---- JSON (variables) ---- */

static json_t *scalar_json(const struct gql_type *t, json_t *v, char *msg, size_t msglen)
{
	const char *n = t->name;
	char p[96];
	char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(p, sizeof(p), "%.80s", dump ? dump : "?");
	free(dump);
	if (strcmp(n, "Int") == 0) {
		double d = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : NAN;
		if (isnan(d) || d != floor(d))
			return bad(msg, msglen, "Int cannot represent non-integer value: %s%s", p, "");
		if (d < INT32_MIN || d > INT32_MAX)
			return bad(msg, msglen, "Int cannot represent non 32-bit signed integer value: %s%s", p, "");
		return json_integer((json_int_t)d);
	}
	if (strcmp(n, "Float") == 0)
		return json_is_number(v) ? json_real(json_number_value(v))
			: bad(msg, msglen, "Float cannot represent non numeric value: %s%s", p, "");
	if (strcmp(n, "String") == 0)
		return json_is_string(v) ? json_incref(v)
			: bad(msg, msglen, "String cannot represent a non string value: %s%s", p, "");
	if (strcmp(n, "Boolean") == 0)
		return json_is_boolean(v) ? json_incref(v)
			: bad(msg, msglen, "Boolean cannot represent a non boolean value: %s%s", p, "");
	if (strcmp(n, "ID") == 0) {
		if (json_is_string(v))
			return json_incref(v);
		if (json_is_integer(v)) {
			char b[32];
			snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
			return json_string(b);
		}
		return bad(msg, msglen, "ID cannot represent value: %s%s", p, "");
	}
	return bad(msg, msglen, "Unknown scalar %s%s", n, "");
}

static json_t *object_json(const struct gql_schema *s, const struct gql_type *t, json_t *v,
			   char *msg, size_t msglen)
{
	if (!json_is_object(v))
		return bad(msg, msglen, "Expected type \"%s\" to be an object.%s", t->name, "");
	json_t *obj = json_object();
	const char *k;
	json_t *fv;
	json_object_foreach(v, k, fv) {
		const struct gql_ivalue *f = gql_find_input(t->inputs, t->ninputs, k);
		if (!f) {
			json_decref(obj);
			return bad(msg, msglen, "Field \"%s\" is not defined by type \"%s\".", k, t->name);
		}
		json_t *c = gql_coerce_json(s, fv, f->type, msg, msglen);
		if (!c) {
			json_decref(obj);
			return NULL;
		}
		json_object_set_new(obj, k, c);
	}
	if (object_finish(t, obj, msg, msglen) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *gql_coerce_json(const struct gql_schema *s, json_t *v, const struct gql_tref *t,
			char *msg, size_t msglen)
{
	char tb[128];
	if (t->kind == TR_NONNULL) {
		if (json_is_null(v))
			return bad(msg, msglen, "Expected non-nullable type \"%s\" not to be null.%s",
				   gql_tref_str(t, tb, sizeof(tb)), "");
		return gql_coerce_json(s, v, t->of, msg, msglen);
	}
	if (json_is_null(v))
		return json_null();
	if (t->kind == TR_LIST) {
		json_t *arr = json_array();
		if (!json_is_array(v)) {
			json_t *c = gql_coerce_json(s, v, t->of, msg, msglen);
			if (!c)
				return json_decref(arr), NULL;
			json_array_append_new(arr, c);
			return arr;
		}
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *c = gql_coerce_json(s, json_array_get(v, i), t->of, msg, msglen);
			if (!c)
				return json_decref(arr), NULL;
			json_array_append_new(arr, c);
		}
		return arr;
	}
	const struct gql_type *nt = t->named;
	if (nt->kind == GQL_SCALAR)
		return scalar_json(nt, v, msg, msglen);
	if (nt->kind == GQL_ENUM) {
		if (!json_is_string(v) || !enum_has(nt, json_string_value(v)))
			return bad(msg, msglen, "Value does not exist in \"%s\" enum.%s", nt->name, "");
		return json_incref(v);
	}
	return object_json(s, nt, v, msg, msglen);
}
