#include "api/vm-body.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *load(const char *buf, size_t len, char *msg, size_t msglen)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root)) {
		snprintf(msg, msglen, "the body must be a JSON object%s%.100s", root ? "" : ": ",
			 root ? "" : je.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Every key of obj is one of the NULL-terminated `known`. */
static enum brink_body_status only(json_t *obj, const char *const *known, char *msg, size_t len)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key))
			i++;
		if (!known[i])
			return fail(msg, len, "unknown field '%.64s'", key);
	}
	return BRINK_BODY_OK;
}

/* Copies the string field `name` (optional unless required) into out. */
static enum brink_body_status str(json_t *obj, const char *name, bool required, char *out,
				  size_t width, char *msg, size_t len)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return required ? fail(msg, len, "field '%s' is required", name) : BRINK_BODY_OK;
	if (!json_is_string(v))
		return fail(msg, len, "field '%s' must be a string", name);
	if (json_string_length(v) >= width || strlen(json_string_value(v)) != json_string_length(v))
		return fail(msg, len, "field '%s' is longer than %zu bytes or holds a NUL", name,
			    width - 1);
	if (required && json_string_length(v) == 0)
		return fail(msg, len, "field '%s' must not be empty", name);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return BRINK_BODY_OK;
}

static enum brink_body_status integer(json_t *obj, const char *name, int lo, int hi, int *out,
				      char *msg, size_t len)
{
	json_t *v = json_object_get(obj, name);
	if (!v)
		return BRINK_BODY_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(msg, len, "field '%s' must be an integer in %d-%d", name, lo, hi);
	*out = (int)json_integer_value(v);
	return BRINK_BODY_OK;
}

static enum brink_body_status devices(json_t *obj, int *devs, size_t *n, char *msg, size_t len)
{
	json_t *arr = json_object_get(obj, "devices");
	if (!json_is_array(arr) || json_array_size(arr) > BRINK_VM_DEVS_MAX)
		return fail(msg, len, "field 'devices' must be an array of at most %d device ids",
			    BRINK_VM_DEVS_MAX);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000000)
			return fail(msg, len, "devices[%zu] must be a device id", i);
		devs[i] = (int)json_integer_value(v);
	}
	*n = json_array_size(arr);
	return BRINK_BODY_OK;
}

static enum brink_body_status config(json_t *root, struct brink_vm_body *b, char *msg, size_t len)
{
	static const char *const known[] = {"user", "password", NULL};
	json_t *c = json_object_get(root, "config");
	enum brink_body_status st;
	if (!c)
		return BRINK_BODY_OK;
	if (!json_is_object(c))
		return fail(msg, len, "field 'config' must be an object");
	if ((st = only(c, known, msg, len)) ||
	    (st = str(c, "user", false, b->user, sizeof(b->user), msg, len)) ||
	    (st = str(c, "password", false, b->password, sizeof(b->password), msg, len)))
		return st;
	b->has_password = json_object_get(c, "password") != NULL;
	return BRINK_BODY_OK;
}

static enum brink_body_status keys(json_t *root, struct brink_vm_body *b, char *msg, size_t len)
{
	json_t *arr = json_object_get(root, "ssh_keys");
	if (!arr)
		return BRINK_BODY_OK;
	if (!json_is_array(arr) || json_array_size(arr) > BRINK_VM_KEYS_MAX)
		return fail(msg, len, "field 'ssh_keys' must be an array of at most %d keys",
			    BRINK_VM_KEYS_MAX);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v) || json_string_length(v) > BRINK_VM_KEY_MAX)
			return fail(msg, len, "ssh_keys[%zu] must be a string of at most %d bytes", i,
				    BRINK_VM_KEY_MAX);
		snprintf(b->keys[i], sizeof(b->keys[i]), "%s", json_string_value(v));
	}
	b->nkeys = json_array_size(arr);
	return BRINK_BODY_OK;
}

static enum brink_body_status cpu(json_t *root, struct brink_vm_body *b, char *msg, size_t len)
{
	static const char *const known[] = {"min", "max", NULL};
	json_t *c = json_object_get(root, "cpu");
	if (!c)
		return BRINK_BODY_OK;
	json_t *mn = json_object_get(c, "min"), *mx = json_object_get(c, "max");
	if (!json_is_object(c) || only(c, known, msg, len) || !json_is_number(mn) ||
	    !json_is_number(mx))
		return fail(msg, len, "field 'cpu' must be {\"min\": cores, \"max\": cores}");
	b->cpu_min = json_number_value(mn);
	b->cpu_max = json_number_value(mx);
	if (!isfinite(b->cpu_min) || !isfinite(b->cpu_max) || b->cpu_min < 0 || b->cpu_max <= 0 ||
	    b->cpu_min > b->cpu_max || b->cpu_max > 1024)
		return fail(msg, len, "cpu needs 0 <= min <= max <= 1024 and max > 0");
	return BRINK_BODY_OK;
}

static enum brink_body_status things(json_t *root, struct brink_vm_body *b, char *msg, size_t len)
{
	json_t *arr = json_object_get(root, "things");
	if (!arr)
		return BRINK_BODY_OK;
	if (!json_is_array(arr) || json_array_size(arr) > BRINK_VM_THINGS_MAX)
		return fail(msg, len, "field 'things' must be an array of at most %d thing ids",
			    BRINK_VM_THINGS_MAX);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s || !brink_id_valid(s))
			return fail(msg, len, "things[%zu] must be a thing id", i);
		memcpy(b->things[i], s, sizeof(brink_id));
	}
	b->nthings = json_array_size(arr);
	return BRINK_BODY_OK;
}

static enum brink_body_status parse_vm(json_t *root, struct brink_vm_body *b, char *msg,
				       size_t len)
{
	static const char *const known[] = {"name", "base", "vcpu", "memory", "config",
					    "ssh_keys", "cpu", "devices", "things", NULL};
	enum brink_body_status st;
	if ((st = only(root, known, msg, len)) ||
	    (st = str(root, "name", true, b->name, sizeof(b->name), msg, len)) ||
	    (st = str(root, "base", true, b->base, sizeof(b->base), msg, len)) ||
	    (st = integer(root, "vcpu", 1, BRINK_VM_VCPU_MAX, &b->vcpu, msg, len)) ||
	    (st = integer(root, "memory", 16, BRINK_VM_MEMORY_MAX, &b->memory_mb, msg, len)) ||
	    (st = config(root, b, msg, len)) || (st = keys(root, b, msg, len)) ||
	    (st = cpu(root, b, msg, len)) || (st = things(root, b, msg, len)))
		return st;
	if (json_object_get(root, "devices"))
		return devices(root, b->devs, &b->ndevs, msg, len);
	return BRINK_BODY_OK;
}

enum brink_body_status brink_body_vm(const char *buf, size_t len, struct brink_vm_body **out,
				     char *msg, size_t msglen)
{
	json_t *root = load(buf, len, msg, msglen);
	if (!root)
		return BRINK_BODY_MALFORMED;
	struct brink_vm_body *b = calloc(1, sizeof(*b));
	enum brink_body_status st = b ? parse_vm(root, b, msg, msglen)
				      : fail(msg, msglen, "out of memory");
	json_decref(root);
	if (st != BRINK_BODY_OK) {
		free(b);
		return st;
	}
	*out = b;
	return BRINK_BODY_OK;
}

void brink_vm_body_spec(struct brink_vm_body *b, struct brink_vm_spec *sp)
{
	for (size_t i = 0; i < b->nkeys; i++)
		b->key_ptrs[i] = b->keys[i];
	for (size_t i = 0; i < b->nthings; i++)
		b->thing_ptrs[i] = b->things[i];
	*sp = (struct brink_vm_spec){
		.name = b->name, .base = b->base, .vcpu = b->vcpu, .memory_mb = b->memory_mb,
		.user = b->user, .password = b->has_password ? b->password : NULL,
		.nkeys = b->nkeys, .ssh_keys = b->key_ptrs, .cpu_min = b->cpu_min,
		.cpu_max = b->cpu_max, .ndevs = b->ndevs, .devs = b->devs, .nthings = b->nthings,
		.things = b->thing_ptrs,
	};
}

enum brink_body_status brink_body_vm_update(const char *buf, size_t len,
					    struct brink_vm_update_body *out, char *msg,
					    size_t msglen)
{
	static const char *const known[] = {"vcpu", "memory", "devices", NULL};
	memset(out, 0, sizeof(*out));
	json_t *root = load(buf, len, msg, msglen);
	if (!root)
		return BRINK_BODY_MALFORMED;
	enum brink_body_status st;
	struct brink_vm_update *up = &out->up;
	if (!(st = only(root, known, msg, msglen)) &&
	    !(st = integer(root, "vcpu", 1, BRINK_VM_VCPU_MAX, &up->vcpu, msg, msglen)) &&
	    !(st = integer(root, "memory", 16, BRINK_VM_MEMORY_MAX, &up->memory_mb, msg, msglen)) &&
	    json_object_get(root, "devices")) {
		up->set_devs = true;
		up->devs = out->devs;
		st = devices(root, out->devs, &up->ndevs, msg, msglen);
	}
	json_decref(root);
	if (st != BRINK_BODY_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

enum brink_body_status brink_body_id(const char *buf, size_t len, const char *field, brink_id out,
				     char *msg, size_t msglen)
{
	const char *const known[] = {field, NULL};
	json_t *root = load(buf, len, msg, msglen);
	out[0] = '\0';
	if (!root)
		return BRINK_BODY_MALFORMED;
	enum brink_body_status st = only(root, known, msg, msglen);
	const char *s = json_string_value(json_object_get(root, field));
	if (st == BRINK_BODY_OK && (!s || !brink_id_valid(s)))
		st = fail(msg, msglen, "field '%s' must be an id (16 hex digits)", field);
	if (st == BRINK_BODY_OK)
		memcpy(out, s, sizeof(brink_id));
	json_decref(root);
	return st;
}
