/* Helpers shared by brink's resolvers. */
#ifndef BRINK_GRAPHQL_RESOLVE_INTERNAL_H
#define BRINK_GRAPHQL_RESOLVE_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "graphql/brink.h"

static inline struct brink_gql_caller *caller(struct gql_exec *ex)
{
	return gql_exec_ctx(ex);
}

/* Turns a control-plane error into the field's error; returns -1. */
static inline int fail_with(struct gql_exec *ex, struct brink_error **err)
{
	gql_exec_fail(ex, "%s", (*err)->msg);
	brink_error_free(err);
	return -1;
}

static inline const char *arg_str(json_t *a, const char *name)
{
	return json_string_value(json_object_get(a, name));
}

/* *o becomes an object: a copy of size bytes of src in request memory. */
static inline int object_copy(struct gql_exec *ex, struct gql_val *o, const void *src, size_t size)
{
	void *p = gql_exec_alloc(ex, size);
	if (!p)
		return gql_exec_fail(ex, "out of memory");
	memcpy(p, src, size);
	o->t = GQLV_OBJECT;
	o->u.obj = p;
	return 0;
}

static inline int boolean_true(struct gql_val *o)
{
	o->t = GQLV_BOOL;
	o->u.b = true;
	return 0;
}

/* A growing list of object copies, malloc'd and owned by the request from
 * the start (realloc grows big blocks in place, without zeroing them). */
struct obj_list {
	struct gql_exec *ex;
	size_t size; /* of one object */
	char *items;
	size_t n, cap;
	bool oom;
	int slot; /* the request's handle on items, once there are any */
};

static inline int obj_list_add(struct obj_list *l, const void *src)
{
	if (l->oom)
		return 1;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		char *ni = realloc(l->items, nc * l->size);
		if (!ni) {
			l->oom = true;
			return 1;
		}
		if (!l->items && (l->slot = gql_exec_adopt(l->ex, ni)) < 0) {
			l->oom = true; /* ni was freed */
			return 1;
		}
		gql_exec_readopt(l->ex, l->slot, ni);
		l->items = ni;
		l->cap = nc;
	}
	memcpy(l->items + l->n++ * l->size, src, l->size);
	return 0;
}

/* *o becomes the list of the objects collected; the request owns them. */
static inline int obj_list_finish(struct obj_list *l, struct gql_val *o)
{
	if (l->oom)
		return gql_exec_fail(l->ex, "out of memory");
	struct gql_val *items = gql_exec_list(l->ex, o, l->n);
	for (size_t i = 0; items && i < l->n; i++) {
		items[i].t = GQLV_OBJECT;
		items[i].u.obj = l->items + i * l->size;
	}
	return 0;
}

#endif
