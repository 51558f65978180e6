/* Execution (spec section 6): operation selection, variable coercion, field
 * collection with @skip/@include, resolvers, value completion with null
 * propagation, and the response written as JSON text as it is produced (a
 * null that propagates rewinds the text to where its object began). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql-internal.h"

#define ARENA_LIMIT (64u << 20)
#define MAX_ERRORS 100
#define MAX_PATH 64

struct gql_error_rec {
	char *msg;
	struct gql_loc loc;
	bool has_loc;
	size_t npath;
	struct {
		const char *key; /* NULL: index */
		size_t index;
	} path[MAX_PATH];
};

struct group {
	const char *key;
	const struct gql_selection **sels;
	size_t n, cap;
	const struct gql_field *field; /* looked up once, on first use */
};

struct groups {
	struct group *items;
	size_t n, cap;
};

struct gql_exec {
	const struct gql_schema *s;
	struct gql_arena arena;
	const struct gql_document *doc;
	json_t *vars;
	void *ctx;
	struct jsonw *w;
	struct gql_error_rec *errors;
	size_t nerrors;
	size_t dropped_errors;
	size_t npath;
	struct {
		const char *key;
		size_t index;
	} path[MAX_PATH];
	const struct gql_selection *field; /* being resolved */
	int64_t fields_left; /* budget of resolutions (gql_limits.max_fields) */
};

void *gql_exec_ctx(struct gql_exec *ex)
{
	return ex->ctx;
}

const struct gql_schema *gql_exec_schema(struct gql_exec *ex)
{
	return ex->s;
}

void *gql_exec_alloc(struct gql_exec *ex, size_t size)
{
	return gql_arena_alloc(&ex->arena, size);
}

int gql_exec_adopt(struct gql_exec *ex, void *p)
{
	return gql_arena_adopt(&ex->arena, p) < 0 ? -1 : (int)ex->arena.nadopted - 1;
}

void gql_exec_readopt(struct gql_exec *ex, int slot, void *p)
{
	ex->arena.adopted[slot] = p;
}

char *gql_exec_strdup(struct gql_exec *ex, const char *s)
{
	return gql_arena_strndup(&ex->arena, s, strlen(s));
}

struct gql_val *gql_exec_list(struct gql_exec *ex, struct gql_val *out, size_t n)
{
	out->t = GQLV_LIST;
	out->u.list.n = 0;
	out->u.list.items = n ? gql_arena_alloc(&ex->arena, n * sizeof(struct gql_val)) : NULL;
	if (out->u.list.items)
		out->u.list.n = n;
	return out->u.list.items;
}

static void add_error(struct gql_exec *ex, const struct gql_loc *loc, const char *msg)
{
	if (!ex->errors)
		ex->errors = gql_arena_alloc(&ex->arena, MAX_ERRORS * sizeof(*ex->errors));
	if (!ex->errors || ex->nerrors >= MAX_ERRORS) {
		ex->dropped_errors++;
		return;
	}
	struct gql_error_rec *e = &ex->errors[ex->nerrors++];
	e->msg = gql_exec_strdup(ex, msg);
	if (loc) {
		e->loc = *loc;
		e->has_loc = true;
	}
	e->npath = ex->npath;
	for (size_t i = 0; i < ex->npath; i++) {
		e->path[i].key = ex->path[i].key;
		e->path[i].index = ex->path[i].index;
	}
}

int gql_exec_fail(struct gql_exec *ex, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_error(ex, ex->field ? &ex->field->loc : NULL, msg);
	return -1;
}

/* ---- field collection ---- */

static bool directive_if(struct gql_exec *ex, const struct gql_directive *d, bool *out)
{
	for (size_t i = 0; i < d->nargs; i++) {
		if (strcmp(d->args[i].name, "if") != 0)
			continue;
		const struct gql_value *v = &d->args[i].value;
		if (v->kind == GV_BOOL)
			*out = v->b;
		else if (v->kind == GV_VAR)
			*out = json_is_true(json_object_get(ex->vars, v->str));
		return true;
	}
	return false;
}

static bool included(struct gql_exec *ex, const struct gql_directive *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool cond = false;
		if (strcmp(dirs[i].name, "skip") == 0 && directive_if(ex, &dirs[i], &cond) && cond)
			return false;
		if (strcmp(dirs[i].name, "include") == 0 && directive_if(ex, &dirs[i], &cond) && !cond)
			return false;
	}
	return true;
}

static const struct gql_definition *fragment(struct gql_exec *ex, const char *name)
{
	for (size_t i = 0; i < ex->doc->n; i++)
		if (ex->doc->defs[i].kind == DEF_FRAGMENT && strcmp(ex->doc->defs[i].name, name) == 0)
			return &ex->doc->defs[i];
	return NULL;
}

static int grow(struct gql_exec *ex, void **items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *ni = gql_arena_alloc(&ex->arena, nc * size);
	if (!ni)
		return -1;
	if (n)
		memcpy(ni, *items, n * size);
	*items = ni;
	*cap = nc;
	return 0;
}

static int add_to_group(struct gql_exec *ex, struct groups *g, const struct gql_selection *s)
{
	const char *key = s->alias ? s->alias : s->name;
	struct group *grp = NULL;
	for (size_t i = 0; i < g->n && !grp; i++)
		if (strcmp(g->items[i].key, key) == 0)
			grp = &g->items[i];
	if (!grp) {
		if (grow(ex, (void **)&g->items, &g->cap, g->n, sizeof(*g->items)) < 0)
			return -1;
		grp = &g->items[g->n++];
		memset(grp, 0, sizeof(*grp));
		grp->key = key;
	}
	if (grow(ex, (void **)&grp->sels, &grp->cap, grp->n, sizeof(*grp->sels)) < 0)
		return -1;
	grp->sels[grp->n++] = s;
	return 0;
}

/* CollectFields: fragments are spread once per selection set (visited). */
static int collect(struct gql_exec *ex, const struct gql_selset *ss, struct groups *g, bool *visited)
{
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		if (!included(ex, s->dirs, s->ndirs))
			continue;
		if (s->kind == SEL_FIELD) {
			if (add_to_group(ex, g, s) < 0)
				return -1;
		} else if (s->kind == SEL_INLINE) {
			if (collect(ex, s->sel, g, visited) < 0)
				return -1;
		} else {
			const struct gql_definition *f = fragment(ex, s->name);
			if (!f || visited[f - ex->doc->defs])
				continue;
			visited[f - ex->doc->defs] = true;
			if (collect(ex, f->sel, g, visited) < 0)
				return -1;
		}
	}
	return 0;
}

static int collect_all(struct gql_exec *ex, const struct gql_selset *const *sets, size_t nsets,
		       struct groups *g)
{
	bool *visited = gql_arena_alloc(&ex->arena, ex->doc->n + 1);
	if (!visited)
		return -1;
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < nsets; i++)
		if (collect(ex, sets[i], g, visited) < 0)
			return -1;
	return 0;
}

/* ---- arguments ---- */

static json_t *coerce_args(struct gql_exec *ex, const struct gql_field *f, const struct gql_selection *s)
{
	char msg[300];
	json_t *args = json_object();
	for (size_t i = 0; args && i < f->nargs; i++) {
		const struct gql_ivalue *d = &f->args[i];
		const struct gql_arg *a = NULL;
		for (size_t j = 0; j < s->nargs && !a; j++)
			if (strcmp(s->args[j].name, d->def->name) == 0)
				a = &s->args[j];
		bool absent = !a || (a->value.kind == GV_VAR && !json_object_get(ex->vars, a->value.str));
		if (absent) {
			if (d->def_value)
				json_object_set(args, d->def->name, d->def_value);
			else if (d->type->kind == TR_NONNULL) {
				gql_exec_fail(ex, "Argument \"%s\" of required type \"%s\" was not provided.",
					      d->def->name, d->def->type);
				json_decref(args);
				return NULL;
			}
			continue;
		}
		json_t *c = gql_coerce_literal(ex->s, &a->value, d->type, ex->vars, msg, sizeof(msg));
		if (!c) {
			gql_exec_fail(ex, "Argument \"%s\": %s", d->def->name, msg);
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, d->def->name, c);
	}
	return args;
}

/* ---- completion ---- */

static int exec_selsets(struct gql_exec *ex, const struct gql_type *t, const void *obj,
			const struct gql_selset *const *sets, size_t nsets);
static int exec_groups(struct gql_exec *ex, const struct gql_type *t, const void *obj,
		       struct groups *g);

static void write_leaf(struct gql_exec *ex, const struct gql_type *t, const struct gql_val *v)
{
	struct jsonw *w = ex->w;
	char buf[32];
	switch (v->t) {
	case GQLV_INT:
		if (strcmp(t->name, "ID") == 0 || strcmp(t->name, "String") == 0) {
			snprintf(buf, sizeof(buf), "%lld", (long long)v->u.i);
			jsonw_str(w, buf);
		} else if (strcmp(t->name, "Float") == 0) {
			jsonw_real(w, (double)v->u.i);
		} else {
			jsonw_int(w, v->u.i);
		}
		break;
	case GQLV_FLOAT: jsonw_real(w, v->u.f); break;
	case GQLV_BOOL: jsonw_bool(w, v->u.b); break;
	case GQLV_STRING: jsonw_str(w, v->u.s); break;
	default: jsonw_lit(w, "null"); break;
	}
}

struct completion {
	const struct gql_selection *const *sels; /* the field's selections (merged) */
	size_t nsels;
	bool resolver_failed;
	/* a list's objects share one field collection (directives depend on
	 * variables only): made for the first item, reused for the others */
	struct groups *shared;
	const struct gql_type *shared_type;
};

static int complete(struct gql_exec *ex, const struct gql_tref *t, const struct completion *c,
		    const struct gql_val *v);

static int complete_list(struct gql_exec *ex, const struct gql_tref *item,
			 const struct completion *c, const struct gql_val *v)
{
	struct groups shared;
	struct completion each = *c;
	each.shared = &shared;
	each.shared_type = NULL;
	jsonw_lit(ex->w, "[");
	for (size_t i = 0; i < v->u.list.n; i++) {
		if (i)
			jsonw_lit(ex->w, ",");
		if (ex->npath < MAX_PATH) {
			ex->path[ex->npath].key = NULL;
			ex->path[ex->npath].index = i;
		}
		ex->npath++;
		int rc = complete(ex, item, &each, &v->u.list.items[i]);
		ex->npath--;
		if (rc < 0)
			return -1;
	}
	jsonw_lit(ex->w, "]");
	return 0;
}

static int complete_object(struct gql_exec *ex, const struct gql_type *t,
			   const struct completion *c, const struct gql_val *v)
{
	const struct gql_selset *local[16], **sets = local;
	size_t n = 0;
	if (c->shared && c->shared_type == t)
		return exec_groups(ex, t, v->u.obj, c->shared);
	if (c->nsels > BRINK_ARRAY_SIZE(local) &&
	    !(sets = gql_arena_alloc(&ex->arena, c->nsels * sizeof(*sets))))
		return gql_exec_fail(ex, "out of memory");
	for (size_t i = 0; i < c->nsels; i++)
		if (c->sels[i]->sel)
			sets[n++] = c->sels[i]->sel;
	if (!c->shared)
		return exec_selsets(ex, t, v->u.obj, sets, n);
	if (collect_all(ex, sets, n, c->shared) < 0)
		return gql_exec_fail(ex, "out of memory");
	((struct completion *)c)->shared_type = t;
	return exec_groups(ex, t, v->u.obj, c->shared);
}

/* Writes v (never null here) as type t (not non-null). */
static int complete_inner(struct gql_exec *ex, const struct gql_tref *t, const struct completion *c,
			  const struct gql_val *v)
{
	if (t->kind == TR_LIST) {
		if (v->t != GQLV_LIST)
			return gql_exec_fail(ex, "Expected a list for %s.", c->sels[0]->name);
		return complete_list(ex, t->of, c, v);
	}
	if (gql_type_is_leaf(t->named)) {
		write_leaf(ex, t->named, v);
		return 0;
	}
	return complete_object(ex, t->named, c, v);
}

static int complete(struct gql_exec *ex, const struct gql_tref *t, const struct completion *c,
		    const struct gql_val *v)
{
	struct jsonw *w = ex->w;
	size_t start = w->len;
	bool nonnull = t->kind == TR_NONNULL;
	const struct gql_tref *inner = nonnull ? t->of : t;
	int rc = 0;
	if (v->t == GQLV_NULL) {
		if (!nonnull) {
			jsonw_lit(w, "null");
			return 0;
		}
		if (!c->resolver_failed && ex->npath && ex->path[ex->npath - 1].key)
			gql_exec_fail(ex, "Cannot return null for non-nullable field %s.", ex->path[ex->npath - 1].key);
		else if (!c->resolver_failed)
			gql_exec_fail(ex, "Cannot return null for a non-nullable list item.");
		return -1;
	}
	rc = complete_inner(ex, inner, c, v);
	if (rc == 0)
		return 0;
	w->len = start; /* rewind what this value wrote */
	if (w->buf)
		w->buf[start] = '\0';
	if (nonnull)
		return -1;
	jsonw_lit(w, "null");
	return 0;
}

static void push_key(struct gql_exec *ex, const char *key)
{
	if (ex->npath < MAX_PATH) {
		ex->path[ex->npath].key = key;
		ex->path[ex->npath].index = 0;
	}
	ex->npath++;
}

static int exec_field(struct gql_exec *ex, const struct gql_type *t, const void *obj,
		      struct group *g)
{
	const struct gql_selection *s = g->sels[0];
	if (!g->field)
		g->field = gql_type_field(ex->s, t, s->name, t == ex->s->query);
	const struct gql_field *f = g->field;
	struct gql_val v = {GQLV_NULL, {0}};
	struct completion c = {g->sels, g->n, false, NULL, NULL};
	if (!f) { /* validation refuses this; stay safe */
		jsonw_lit(ex->w, "null");
		return 0;
	}
	if (f == ex->s->typename_field) {
		jsonw_str(ex->w, t->name);
		return 0;
	}
	ex->field = s;
	if (--ex->fields_left < 0) {
		if (ex->fields_left == -1)
			gql_exec_fail(ex, "Query is too costly: it resolves more than the limit of fields.");
		c.resolver_failed = true;
		return complete(ex, f->type, &c, &v);
	}
	json_t *args = coerce_args(ex, f, s);
	if (!args)
		c.resolver_failed = true;
	else if (f->def->resolve && f->def->resolve(ex, obj, args, f->def->data, &v) < 0)
		c.resolver_failed = true;
	if (c.resolver_failed)
		v.t = GQLV_NULL;
	json_decref(args);
	ex->field = s;
	return complete(ex, f->type, &c, &v);
}

static int exec_groups(struct gql_exec *ex, const struct gql_type *t, const void *obj,
		       struct groups *g)
{
	jsonw_lit(ex->w, "{");
	for (size_t i = 0; i < g->n; i++) {
		jsonw_key(ex->w, g->items[i].key, i == 0);
		push_key(ex, g->items[i].key);
		int rc = exec_field(ex, t, obj, &g->items[i]);
		ex->npath--;
		if (rc < 0)
			return -1;
	}
	jsonw_lit(ex->w, "}");
	return 0;
}

static int exec_selsets(struct gql_exec *ex, const struct gql_type *t, const void *obj,
			const struct gql_selset *const *sets, size_t nsets)
{
	struct groups g;
	if (collect_all(ex, sets, nsets, &g) < 0)
		return gql_exec_fail(ex, "out of memory");
	return exec_groups(ex, t, obj, &g);
}

/* ---- the request ---- */

static void write_loc(struct jsonw *w, struct gql_loc l)
{
	jsonw_lit(w, "{\"line\":");
	jsonw_int(w, l.line);
	jsonw_lit(w, ",\"column\":");
	jsonw_int(w, l.col);
	jsonw_lit(w, "}");
}

static void write_errors(struct gql_exec *ex, struct jsonw *w)
{
	jsonw_lit(w, "\"errors\":[");
	for (size_t i = 0; i < ex->nerrors; i++) {
		const struct gql_error_rec *e = &ex->errors[i];
		if (i)
			jsonw_lit(w, ",");
		jsonw_lit(w, "{\"message\":");
		jsonw_str(w, e->msg ? e->msg : "error");
		if (e->has_loc) {
			jsonw_lit(w, ",\"locations\":[");
			write_loc(w, e->loc);
			jsonw_lit(w, "]");
		}
		if (e->npath) {
			jsonw_lit(w, ",\"path\":[");
			for (size_t j = 0; j < e->npath && j < MAX_PATH; j++) {
				if (j)
					jsonw_lit(w, ",");
				if (e->path[j].key)
					jsonw_str(w, e->path[j].key);
				else
					jsonw_int(w, (int64_t)e->path[j].index);
			}
			jsonw_lit(w, "]");
		}
		jsonw_lit(w, "}");
	}
	jsonw_lit(w, "]");
}

/* {"errors":[{"message", "locations"?}]} for a request that did not run. */
static void write_request_error(struct jsonw *w, const char *msg, const struct gql_loc *locs,
				size_t nlocs, bool first, bool last)
{
	if (first)
		jsonw_lit(w, "{\"errors\":[");
	else
		jsonw_lit(w, ",");
	jsonw_lit(w, "{\"message\":");
	jsonw_str(w, msg);
	if (nlocs) {
		jsonw_lit(w, ",\"locations\":[");
		for (size_t i = 0; i < nlocs; i++) {
			if (i)
				jsonw_lit(w, ",");
			write_loc(w, locs[i]);
		}
		jsonw_lit(w, "]");
	}
	jsonw_lit(w, "}");
	if (last)
		jsonw_lit(w, "]}");
}

static const struct gql_definition *pick_operation(const struct gql_document *doc, const char *name,
						   char *msg, size_t msglen)
{
	const struct gql_definition *op = NULL;
	size_t nops = 0;
	for (size_t i = 0; i < doc->n; i++) {
		const struct gql_definition *d = &doc->defs[i];
		if (d->kind != DEF_OPERATION)
			continue;
		nops++;
		if (name ? (d->name && strcmp(d->name, name) == 0) : !op)
			op = d;
	}
	if (!name && nops > 1) {
		snprintf(msg, msglen, "Must provide operation name if query contains multiple operations.");
		return NULL;
	}
	if (!op)
		snprintf(msg, msglen, name ? "Unknown operation named \"%.100s\"." : "Must provide an operation.", name);
	return op;
}

/* CoerceVariableValues: a new object of the operation's variables. */
static json_t *coerce_variables(const struct gql_schema *s, const struct gql_definition *op,
				json_t *given, char *msg, size_t msglen, struct gql_loc *loc)
{
	json_t *out = json_object();
	for (size_t i = 0; out && i < op->nvars; i++) {
		const struct gql_vardef *vd = &op->vars[i];
		struct gql_tref chain[16];
		const struct gql_tref_ast *a = vd->type;
		size_t n = 0;
		for (; a->kind != TR_NAMED && n < 15; a = a->of, n++)
			chain[n].kind = a->kind;
		chain[n] = (struct gql_tref){TR_NAMED, gql_schema_type(s, a->name), NULL};
		for (size_t k = 0; k < n; k++)
			chain[k].of = &chain[k + 1];
		json_t *v = given ? json_object_get(given, vd->name) : NULL, *c = NULL;
		char inner[240];
		*loc = vd->loc;
		if (!v && vd->def)
			c = gql_coerce_literal(s, vd->def, &chain[0], NULL, inner, sizeof(inner));
		else if (!v && chain[0].kind == TR_NONNULL) {
			char tb[128];
			snprintf(msg, msglen, "Variable \"$%s\" of required type \"%s\" was not provided.",
				 vd->name, gql_tref_str(&chain[0], tb, sizeof(tb)));
			json_decref(out);
			return NULL;
		} else if (!v)
			continue;
		else if (!(c = gql_coerce_json(s, v, &chain[0], inner, sizeof(inner)))) {
			snprintf(msg, msglen, "Variable \"$%s\" got invalid value; %s", vd->name, inner);
			json_decref(out);
			return NULL;
		}
		if (!c) {
			snprintf(msg, msglen, "Variable \"$%s\": bad default value.", vd->name);
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, vd->name, c);
	}
	return out;
}

static enum gql_outcome bad_request(struct jsonw *w, const char *msg, const struct gql_loc *loc)
{
	write_request_error(w, msg, loc, loc ? 1 : 0, true, true);
	return GQL_BAD_REQUEST;
}

static enum gql_outcome validate_doc(struct gql_exec *ex, const struct gql_limits *lim,
				     struct jsonw *w)
{
	struct gql_verror errs[20];
	size_t n = gql_validate(ex->s, lim, ex->doc, errs, BRINK_ARRAY_SIZE(errs));
	for (size_t i = 0; i < n; i++)
		write_request_error(w, errs[i].msg, errs[i].locs, (size_t)errs[i].nlocs, i == 0, i + 1 == n);
	return n ? GQL_BAD_REQUEST : GQL_OK;
}

static enum gql_outcome admit(struct gql_exec *ex, const struct gql_request *rq,
			      const struct gql_definition *op, struct jsonw *w)
{
	struct groups g;
	const struct gql_selset *sets[1] = {op->sel};
	char msg[256] = "";
	if (!rq->admit)
		return GQL_OK;
	if (collect_all(ex, sets, 1, &g) < 0)
		return GQL_NO_MEMORY;
	const char **names = gql_arena_alloc(&ex->arena, (g.n + 1) * sizeof(char *));
	if (!names)
		return GQL_NO_MEMORY;
	for (size_t i = 0; i < g.n; i++)
		names[i] = g.items[i].sels[0]->name;
	if (rq->admit(rq->ctx, op->op == OP_MUTATION, names, g.n, msg, sizeof(msg)) == 0)
		return GQL_OK;
	write_request_error(w, msg, NULL, 0, true, true);
	return GQL_REFUSED;
}

static enum gql_outcome execute(struct gql_exec *ex, const struct gql_definition *op, struct jsonw *w)
{
	const struct gql_type *root = op->op == OP_MUTATION ? ex->s->mutation : ex->s->query;
	const struct gql_selset *sets[1] = {op->sel};
	struct jsonw data = {0};
	ex->w = &data;
	int rc = exec_selsets(ex, root, NULL, sets, 1);
	size_t len;
	char *text = jsonw_take(&data, &len);
	if (!text)
		return GQL_NO_MEMORY;
	jsonw_reserve(w, len + 64);
	jsonw_lit(w, "{");
	if (ex->nerrors) {
		write_errors(ex, w);
		jsonw_lit(w, ",");
	}
	jsonw_lit(w, "\"data\":");
	if (rc < 0)
		jsonw_lit(w, "null");
	else
		jsonw_mem(w, text, len);
	jsonw_lit(w, "}");
	free(text);
	return w->oom ? GQL_NO_MEMORY : GQL_OK;
}

enum gql_outcome gql_run(const struct gql_schema *schema, const struct gql_limits *lim,
			 const struct gql_request *rq, struct jsonw *w)
{
	struct gql_exec ex = {.s = schema, .ctx = rq->ctx, .fields_left = lim->max_fields};
	struct gql_document doc;
	char msg[300];
	struct gql_loc loc;
	enum gql_outcome out;
	gql_arena_init(&ex.arena, ARENA_LIMIT);
	enum gql_parse_status ps = gql_parse(rq->query, rq->query_len, lim, &ex.arena, &doc, msg,
					     sizeof(msg), &loc);
	ex.doc = &doc;
	if (ps == GQL_PARSE_NOMEM) {
		out = GQL_NO_MEMORY;
	} else if (ps != GQL_PARSE_OK) {
		out = bad_request(w, msg, &loc);
	} else if ((out = validate_doc(&ex, lim, w)) == GQL_OK) {
		const struct gql_definition *op = pick_operation(&doc, rq->operation_name, msg, sizeof(msg));
		if (!op)
			out = bad_request(w, msg, NULL);
		else if (!(ex.vars = coerce_variables(schema, op, rq->variables, msg, sizeof(msg), &loc)))
			out = bad_request(w, msg, &loc);
		else if ((out = admit(&ex, rq, op, w)) == GQL_OK)
			out = execute(&ex, op, w);
	}
	json_decref(ex.vars);
	gql_arena_free(&ex.arena);
	return out;
}

int gql_check(const struct gql_schema *schema, const struct gql_limits *lim, const char *text,
	      size_t len, char *msg, size_t msglen)
{
	struct gql_arena arena;
	struct gql_document doc;
	struct gql_loc loc;
	struct gql_verror errs[4];
	int rc = 0;
	gql_arena_init(&arena, ARENA_LIMIT);
	enum gql_parse_status ps = gql_parse(text, len, lim, &arena, &doc, msg, msglen, &loc);
	if (ps == GQL_PARSE_NOMEM)
		rc = -1;
	else if (ps != GQL_PARSE_OK)
		rc = 1;
	else if (gql_validate(schema, lim, &doc, errs, BRINK_ARRAY_SIZE(errs)) > 0) {
		snprintf(msg, msglen, "%s", errs[0].msg);
		rc = 2;
	}
	gql_arena_free(&arena);
	return rc;
}

/* ---- generic resolvers ---- */

int gql_res_chars(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_STRING;
	o->u.s = (const char *)p + d;
	return 0;
}

int gql_res_chars_or_null(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			  struct gql_val *o)
{
	(void)ex;
	(void)a;
	const char *s = (const char *)p + d;
	o->t = s[0] ? GQLV_STRING : GQLV_NULL;
	o->u.s = s;
	return 0;
}

int gql_res_cstr(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	const char *s = *(const char *const *)((const char *)p + d);
	o->t = s ? GQLV_STRING : GQLV_NULL;
	o->u.s = s;
	return 0;
}

int gql_res_int(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_INT;
	o->u.i = *(const int *)((const char *)p + d);
	return 0;
}

int gql_res_i64(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_INT;
	o->u.i = *(const int64_t *)((const char *)p + d);
	return 0;
}

int gql_res_double(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_FLOAT;
	o->u.f = *(const double *)((const char *)p + d);
	return 0;
}

int gql_res_bool(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_BOOL;
	o->u.b = *(const bool *)((const char *)p + d);
	return 0;
}

int gql_res_object(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	o->t = GQLV_OBJECT;
	o->u.obj = (const char *)p + d;
	return 0;
}
