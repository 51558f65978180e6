#include "api/body.h"

#include "brink/imageref.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum ftype { F_STRING, F_NUMBER, F_INTEGER, F_OBJECT, F_ARRAY, F_ANY };

struct field {
	const char *name;
	enum ftype type;
	bool required;
};

static const char *const type_names[] = {"a string", "a number", "an integer", "an object",
					 "an array", "a value"};

static enum brink_body_status fail(char *msg, size_t len, const char *fmt, ...)
	BRINK_PRINTF(3, 4);
static enum brink_body_status fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return BRINK_BODY_INVALID;
}

static bool type_ok(json_t *v, enum ftype t)
{
	switch (t) {
	case F_STRING:
		return json_is_string(v);
	case F_NUMBER:
		return json_is_number(v);
	case F_INTEGER:
		return json_is_integer(v);
	case F_OBJECT:
		return json_is_object(v);
	case F_ANY:
		return true;
	case F_ARRAY:
	default:
		return json_is_array(v);
	}
}

/* Every key of obj must be in fields with the right type; required ones present. */
static enum brink_body_status check_fields(json_t *obj, const char *where, const struct field *f,
					   size_t n, char *msg, size_t len)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		size_t i = 0;
		while (i < n && strcmp(f[i].name, key) != 0)
			i++;
		if (i == n)
			return fail(msg, len, "unknown field '%.64s'%s", key, where);
		if (!type_ok(v, f[i].type))
			return fail(msg, len, "field '%s'%s must be %s", key, where,
				    type_names[f[i].type]);
	}
	for (size_t i = 0; i < n; i++)
		if (f[i].required && !json_object_get(obj, f[i].name))
			return fail(msg, len, "field '%s'%s is required", f[i].name, where);
	return BRINK_BODY_OK;
}

/* Copies string field `name` (if present) into dst; lengths in bytes. */
static enum brink_body_status get_string(json_t *obj, const char *name, char *dst, size_t dstlen,
					 size_t minlen, char *msg, size_t len)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return BRINK_BODY_OK;
	size_t n = json_string_length(v);
	if (n < minlen || n >= dstlen)
		return fail(msg, len, "field '%s' must be %zu to %zu bytes long", name, minlen,
			    dstlen - 1);
	if (memchr(json_string_value(v), '\0', n))
		return fail(msg, len, "field '%s' must not contain NUL", name);
	memcpy(dst, json_string_value(v), n + 1);
	return BRINK_BODY_OK;
}

static enum brink_body_status get_int(json_t *obj, const char *name, json_int_t lo, json_int_t hi,
				      int *out, char *msg, size_t len)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return BRINK_BODY_OK;
	json_int_t i = json_integer_value(v);
	if (i < lo || i > hi)
		return fail(msg, len, "field '%s' must be between %lld and %lld", name,
			    (long long)lo, (long long)hi);
	*out = (int)i;
	return BRINK_BODY_OK;
}

static json_t *load(const char *buf, size_t len, enum brink_body_status *st, char *msg,
		    size_t msglen)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		snprintf(msg, msglen, "malformed JSON at line %d, column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		*st = BRINK_BODY_MALFORMED;
	} else if (!json_is_object(root)) {
		snprintf(msg, msglen, "the body must be a JSON object");
		*st = BRINK_BODY_MALFORMED;
		json_decref(root);
		root = NULL;
	}
	return root;
}

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		if ((st = (expr)) != BRINK_BODY_OK)                                                \
			goto out;                                                                  \
	} while (0)

/* A body of a required "name" and one optional string field `extra` (at
 * least extra_min bytes), as tenants and things have. */
struct named_body {
	const char *extra;
	size_t extra_min;
	char *name;
	char *extra_out;
	size_t extra_size;
};

static enum brink_body_status parse_named(const char *buf, size_t len, const struct named_body *b,
					  char *msg, size_t msglen)
{
	const struct field fields[] = {{"name", F_STRING, true}, {b->extra, F_STRING, false}};
	enum brink_body_status st = BRINK_BODY_OK;
	json_t *root = load(buf, len, &st, msg, msglen);
	if (!root)
		return st;
	TRY(check_fields(root, "", fields, BRINK_ARRAY_SIZE(fields), msg, msglen));
	TRY(get_string(root, "name", b->name, BRINK_NAME_MAX + 1, 1, msg, msglen));
	TRY(get_string(root, b->extra, b->extra_out, b->extra_size, b->extra_min, msg, msglen));
	if (!brink_name_valid(b->name))
		st = fail(msg, msglen, "field 'name' must be 1-64 characters of A-Z a-z 0-9 . _ -");
out:
	json_decref(root);
	return st;
}

enum brink_body_status brink_body_tenant(const char *buf, size_t len, struct brink_tenant_body *out,
					 char *msg, size_t msglen)
{
	memset(out, 0, sizeof(*out));
	struct named_body b = {"password", 8, out->name, out->password, sizeof(out->password)};
	enum brink_body_status st = parse_named(buf, len, &b, msg, msglen);
	out->has_password = st == BRINK_BODY_OK && out->password[0] != '\0';
	return st;
}

enum brink_body_status brink_body_thing(const char *buf, size_t len, struct brink_thing_body *out,
					char *msg, size_t msglen)
{
	memset(out, 0, sizeof(*out));
	struct named_body b = {"info", 0, out->name, out->info, sizeof(out->info)};
	return parse_named(buf, len, &b, msg, msglen);
}

static enum brink_body_status parse_cpu(json_t *cpu, struct brink_spec *sp, char *msg, size_t len)
{
	static const struct field fields[] = {{"min", F_NUMBER, true}, {"max", F_NUMBER, true}};
	enum brink_body_status st = check_fields(cpu, " of 'cpu'", fields, 2, msg, len);
	if (st != BRINK_BODY_OK)
		return st;
	sp->cpu_min = json_number_value(json_object_get(cpu, "min"));
	sp->cpu_max = json_number_value(json_object_get(cpu, "max"));
	if (!isfinite(sp->cpu_min) || !isfinite(sp->cpu_max) || sp->cpu_min < 0 || sp->cpu_max <= 0)
		return fail(msg, len, "cpu.min must be >= 0 and cpu.max > 0 (cores)");
	if (sp->cpu_min > sp->cpu_max)
		return fail(msg, len, "cpu.min (%g) is greater than cpu.max (%g)", sp->cpu_min,
			    sp->cpu_max);
	if (sp->cpu_max > 1024)
		return fail(msg, len, "cpu.max must be at most 1024 cores");
	return BRINK_BODY_OK;
}

/* Reads an array of strings, each checked by `valid`, into a new array of
 * `width`-byte slots; duplicates are refused. */
static enum brink_body_status get_strings(json_t *arr, const char *name, size_t max, size_t width,
					  bool (*valid)(const char *), void **out, size_t *count,
					  char *msg, size_t len)
{
	size_t n = json_array_size(arr);
	if (n > max)
		return fail(msg, len, "field '%s' has more than %zu entries", name, max);
	char *slots = n ? calloc(n, width) : NULL;
	if (n && !slots)
		return fail(msg, len, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s || strlen(s) >= width || !valid(s)) {
			free(slots);
			return fail(msg, len, "entry %zu of '%s' is not valid", i, name);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(slots + j * width, s) == 0) {
				free(slots);
				return fail(msg, len, "entry %zu of '%s' repeats '%s'", i, name, s);
			}
		strcpy(slots + i * width, s);
	}
	*out = slots;
	*count = n;
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_ports(json_t *arr, struct brink_spec *sp, char *msg, size_t len)
{
	size_t n = json_array_size(arr);
	if (n > BRINK_PORTS_MAX)
		return fail(msg, len, "field 'container_ports' has more than %d entries",
			    BRINK_PORTS_MAX);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		json_int_t p = json_integer_value(v);
		if (!json_is_integer(v) || p < 1 || p > 65535)
			return fail(msg, len, "entry %zu of 'container_ports' must be a port 1-65535",
				    i);
		sp->container_ports[i] = (int)p;
	}
	sp->nports = n;
	return BRINK_BODY_OK;
}

static const struct field service_fields[] = {
	{"kind", F_STRING, true},	 {"name", F_STRING, false},
	{"runtime", F_STRING, false},	 {"cpu", F_OBJECT, true},
	{"memory_mb", F_INTEGER, false}, {"things", F_ARRAY, false},
	{"model", F_STRING, false},	 {"columns", F_ANY, false},
	{"mode", F_STRING, false},	 {"batch", F_INTEGER, false},
	{"labels", F_ARRAY, false},	 {"alerts", F_ARRAY, false},
	{"threshold", F_NUMBER, false},
	{"image", F_STRING, false},	 {"container_ports", F_ARRAY, false},
	{"restart", F_STRING, false},
};

/* Fields that belong to one kind only. */
static enum brink_body_status check_kind_fields(json_t *root, enum brink_kind kind, char *msg,
						size_t len)
{
	static const struct {
		const char *name;
		enum brink_kind kind;
	} owned[] = {{"model", BRINK_KIND_ANALYZE},	{"columns", BRINK_KIND_ANALYZE},
		     {"mode", BRINK_KIND_ANALYZE},	{"batch", BRINK_KIND_ANALYZE},
		     {"labels", BRINK_KIND_ANALYZE},	{"alerts", BRINK_KIND_ANALYZE},
		     {"threshold", BRINK_KIND_ANALYZE},
		     {"image", BRINK_KIND_CUSTOM},	{"container_ports", BRINK_KIND_CUSTOM},
		     {"restart", BRINK_KIND_CUSTOM}};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(owned); i++)
		if (json_object_get(root, owned[i].name) && owned[i].kind != kind)
			return fail(msg, len, "field '%s' applies to kind %s only", owned[i].name,
				    brink_kind_name(owned[i].kind));
	if (kind == BRINK_KIND_CUSTOM && !json_object_get(root, "image"))
		return fail(msg, len, "field 'image' is required for kind custom");
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_service(json_t *root, struct brink_spec *sp, char *msg,
					    size_t len)
{
	enum brink_body_status st;
	char kind[16] = "", mode[16] = "datum";
	TRY(check_fields(root, "", service_fields, BRINK_ARRAY_SIZE(service_fields), msg, len));
	TRY(get_string(root, "kind", kind, sizeof(kind), 1, msg, len));
	if (brink_kind_parse(kind, &sp->kind) < 0)
		return fail(msg, len, "field 'kind' must be forward, analyze or custom");
	TRY(check_kind_fields(root, sp->kind, msg, len));
	TRY(get_string(root, "name", sp->name, sizeof(sp->name), 0, msg, len));
	TRY(get_string(root, "runtime", sp->runtime, sizeof(sp->runtime), 1, msg, len));
	TRY(parse_cpu(json_object_get(root, "cpu"), sp, msg, len));
	TRY(get_int(root, "memory_mb", 4, 65536, &sp->memory_mb, msg, len));
	json_t *things = json_object_get(root, "things");
	sp->all_things = !things;
	if (things)
		TRY(get_strings(things, "things", BRINK_SERVICE_THINGS_MAX, sizeof(brink_id),
				brink_id_valid, (void **)&sp->things, &sp->nthings, msg, len));
	TRY(get_string(root, "model", sp->model, sizeof(sp->model), 1, msg, len));
	json_t *cols = json_object_get(root, "columns");
	if (cols)
		TRY(brink_body_columns(cols, sp, msg, len));
	TRY(brink_body_classes(root, sp, msg, len));
	TRY(get_string(root, "mode", mode, sizeof(mode), 1, msg, len));
	if (brink_mode_parse(mode, &sp->mode) < 0)
		return fail(msg, len, "field 'mode' must be datum or batch");
	sp->batch = 1;
	TRY(get_int(root, "batch", 1, 100000, &sp->batch, msg, len));
	TRY(get_string(root, "image", sp->image, sizeof(sp->image), 1, msg, len));
	TRY(get_string(root, "restart", sp->restart, sizeof(sp->restart), 1, msg, len));
	if (sp->restart[0] && strcmp(sp->restart, "no") != 0 && strcmp(sp->restart, "on-failure") != 0)
		return fail(msg, len, "field 'restart' must be no or on-failure");
	if (sp->kind == BRINK_KIND_CUSTOM) {
		struct brink_imageref ref;
		enum brink_imageref_status rs = brink_imageref_parse(sp->image, strlen(sp->image), &ref);
		if (rs != BRINK_IMAGEREF_OK)
			return fail(msg, len, "field 'image' is not a valid image reference: %s",
				    brink_imageref_strerror(rs));
	}
	json_t *ports = json_object_get(root, "container_ports");
	if (ports)
		TRY(parse_ports(ports, sp, msg, len));
out:
	return st;
}

enum brink_body_status brink_body_service(const char *buf, size_t len, struct brink_spec *out,
					  char *msg, size_t msglen)
{
	enum brink_body_status st = BRINK_BODY_OK;
	json_t *root = load(buf, len, &st, msg, msglen);
	if (!root)
		return st;
	memset(out, 0, sizeof(*out));
	st = parse_service(root, out, msg, msglen);
	if (st != BRINK_BODY_OK)
		brink_spec_free(out);
	json_decref(root);
	return st;
}
