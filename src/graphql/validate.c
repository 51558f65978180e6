/* Validation (spec section 5): the rules a server needs so that it accepts
 * exactly the documents the reference implementation accepts, for a schema
 * of object, scalar, enum and input object types; then brink's limits
 * (depth, cost). Messages follow graphql-js's wording where it is known. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql-internal.h"

#define LIST_COST 10 /* a list field's children count this many times */

struct vctx {
	const struct gql_schema *s;
	const struct gql_limits *lim;
	const struct gql_document *doc;
	struct gql_verror *errs;
	size_t n, max;
	/* per operation, for variables */
	const struct gql_definition *op;
	bool *var_used;
	bool *frag_seen; /* fragments visited for this operation */
	bool cycles;
};

static void report(struct vctx *v, struct gql_loc a, struct gql_loc b, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct vctx *v, struct gql_loc a, struct gql_loc b, const char *fmt, ...)
{
	if (v->n >= v->max)
		return;
	struct gql_verror *e = &v->errs[v->n++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->locs[0] = a;
	e->locs[1] = b;
	e->nlocs = b.line ? 2 : 1;
}
#define NOLOC ((struct gql_loc){0, 0})

static const struct gql_definition *find_fragment(const struct vctx *v, const char *name)
{
	for (size_t i = 0; i < v->doc->n; i++)
		if (v->doc->defs[i].kind == DEF_FRAGMENT && strcmp(v->doc->defs[i].name, name) == 0)
			return &v->doc->defs[i];
	return NULL;
}

static size_t frag_index(const struct vctx *v, const struct gql_definition *d)
{
	return (size_t)(d - v->doc->defs);
}

/* ---- document-level rules ---- */

static void check_names(struct vctx *v)
{
	size_t anon = 0, ops = 0;
	const struct gql_document *doc = v->doc;
	for (size_t i = 0; i < doc->n; i++) {
		const struct gql_definition *d = &doc->defs[i];
		if (d->kind == DEF_OPERATION) {
			ops++;
			anon += d->name == NULL;
		}
		for (size_t j = 0; j < i && d->name; j++) {
			const struct gql_definition *e = &doc->defs[j];
			if (e->kind == d->kind && e->name && strcmp(e->name, d->name) == 0) {
				if (d->kind == DEF_OPERATION)
					report(v, e->loc, d->loc, "There can be only one operation named \"%s\".", d->name);
				else
					report(v, e->loc, d->loc, "There can be only one fragment named \"%s\".", d->name);
				break;
			}
		}
	}
	for (size_t i = 0; anon && ops > 1 && i < doc->n; i++)
		if (doc->defs[i].kind == DEF_OPERATION && !doc->defs[i].name)
			report(v, doc->defs[i].loc, NOLOC, "This anonymous operation must be the only defined operation.");
}

/* Depth-first search for cycles through fragment spreads (state: 0 new,
 * 1 on the stack, 2 done). */
static void spreads_dfs(struct vctx *v, const struct gql_selset *ss, uint8_t *state);

static void frag_dfs(struct vctx *v, const struct gql_definition *f, uint8_t *state)
{
	size_t i = frag_index(v, f);
	if (state[i] == 2)
		return;
	state[i] = 1;
	spreads_dfs(v, f->sel, state);
	state[i] = 2;
}

static void spreads_dfs(struct vctx *v, const struct gql_selset *ss, uint8_t *state)
{
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		if (s->kind != SEL_SPREAD) {
			spreads_dfs(v, s->sel, state);
			continue;
		}
		const struct gql_definition *f = find_fragment(v, s->name);
		if (!f)
			continue;
		if (state[frag_index(v, f)] == 1) {
			if (!v->cycles)
				report(v, s->loc, NOLOC, "Cannot spread fragment \"%s\" within itself.", s->name);
			v->cycles = true;
			continue;
		}
		frag_dfs(v, f, state);
	}
}

static void check_cycles(struct vctx *v)
{
	uint8_t *state = calloc(v->doc->n, 1);
	if (!state)
		return;
	for (size_t i = 0; i < v->doc->n; i++)
		if (v->doc->defs[i].kind == DEF_FRAGMENT)
			frag_dfs(v, &v->doc->defs[i], state);
	free(state);
}

/* Marks the fragments reachable from ss in used[]. */
static void mark_used(struct vctx *v, const struct gql_selset *ss, bool *used)
{
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		if (s->kind != SEL_SPREAD) {
			mark_used(v, s->sel, used);
			continue;
		}
		const struct gql_definition *f = find_fragment(v, s->name);
		if (!f || used[frag_index(v, f)])
			continue;
		used[frag_index(v, f)] = true;
		mark_used(v, f->sel, used);
	}
}

static void check_unused_fragments(struct vctx *v)
{
	bool *used = calloc(v->doc->n, sizeof(bool));
	if (!used)
		return;
	for (size_t i = 0; i < v->doc->n; i++)
		if (v->doc->defs[i].kind == DEF_OPERATION)
			mark_used(v, v->doc->defs[i].sel, used);
	for (size_t i = 0; i < v->doc->n; i++)
		if (v->doc->defs[i].kind == DEF_FRAGMENT && !used[i])
			report(v, v->doc->defs[i].loc, NOLOC, "Fragment \"%s\" is never used.", v->doc->defs[i].name);
	free(used);
}

/* ---- values ---- */

static void check_unique_input_fields(struct vctx *v, const struct gql_value *val)
{
	if (val->kind == GV_LIST)
		for (size_t i = 0; i < val->n; i++)
			check_unique_input_fields(v, &val->items[i]);
	if (val->kind != GV_OBJECT)
		return;
	for (size_t i = 0; i < val->n; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(val->items[i].name, val->items[j].name) == 0) {
				report(v, val->items[j].loc, val->items[i].loc,
				       "There can be only one input field named \"%s\".", val->items[i].name);
				return;
			}
		check_unique_input_fields(v, &val->items[i]);
	}
}

static void check_value(struct vctx *v, const struct gql_value *val, const struct gql_tref *t)
{
	char msg[240];
	check_unique_input_fields(v, val);
	json_t *c = gql_coerce_literal(v->s, val, t, NULL, msg, sizeof(msg));
	if (!c)
		report(v, val->loc, NOLOC, "%s", msg);
	json_decref(c);
}

/* ---- arguments and directives ---- */

static void check_args(struct vctx *v, const struct gql_arg *args, size_t nargs,
		       const struct gql_ivalue *defs, size_t ndefs, const char *owner, bool directive,
		       struct gql_loc loc)
{
	char tb[128];
	for (size_t i = 0; i < nargs; i++) {
		const struct gql_arg *a = &args[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(args[j].name, a->name) == 0)
				report(v, args[j].loc, a->loc, "There can be only one argument named \"%s\".", a->name);
		const struct gql_ivalue *d = gql_find_input(defs, ndefs, a->name);
		if (!d) {
			report(v, a->loc, NOLOC, directive ? "Unknown argument \"%s\" on directive \"@%s\"."
				: "Unknown argument \"%s\" on field \"%s\".", a->name, owner);
			continue;
		}
		check_value(v, &a->value, d->type);
	}
	for (size_t j = 0; j < ndefs; j++) {
		const struct gql_ivalue *d = &defs[j];
		if (d->type->kind != TR_NONNULL || d->def_value)
			continue;
		bool given = false;
		for (size_t i = 0; i < nargs && !given; i++)
			given = strcmp(args[i].name, d->def->name) == 0;
		if (!given)
			report(v, loc, NOLOC, directive
				? "Directive \"@%s\" argument \"%s\" of type \"%s\" is required, but it was not provided."
				: "Field \"%s\" argument \"%s\" of type \"%s\" is required, but it was not provided.",
				owner, d->def->name, gql_tref_str(d->type, tb, sizeof(tb)));
	}
}

static bool location_ok(const struct gql_directive_def *d, const char *where)
{
	for (size_t i = 0; d->locations[i]; i++)
		if (strcmp(d->locations[i], where) == 0)
			return true;
	return false;
}

static void check_directives(struct vctx *v, const struct gql_directive *dirs, size_t n,
			     const char *where)
{
	for (size_t i = 0; i < n; i++) {
		const struct gql_directive *dr = &dirs[i];
		const struct gql_directive_def *d = gql_schema_directive(v->s, dr->name);
		if (!d) {
			report(v, dr->loc, NOLOC, "Unknown directive \"@%s\".", dr->name);
			continue;
		}
		if (!location_ok(d, where))
			report(v, dr->loc, NOLOC, "Directive \"@%s\" may not be used on %s.", dr->name, where);
		for (size_t j = 0; j < i; j++)
			if (strcmp(dirs[j].name, dr->name) == 0) {
				report(v, dirs[j].loc, dr->loc,
				       "The directive \"@%s\" can only be used once at this location.", dr->name);
				break;
			}
		check_args(v, dr->args, dr->nargs, d->args, d->nargs, dr->name, true, dr->loc);
	}
}

/* ---- selections: fields on the right types, leaves, arguments ---- */

static void check_selset(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
			 bool root);

static void check_field(struct vctx *v, const struct gql_selection *s, const struct gql_type *parent,
			bool root)
{
	char tb[128];
	check_directives(v, s->dirs, s->ndirs, "FIELD");
	const struct gql_field *f = gql_type_field(v->s, parent, s->name, root);
	if (!f) {
		report(v, s->loc, NOLOC, "Cannot query field \"%s\" on type \"%s\".", s->name, parent->name);
		if (s->sel)
			check_selset(v, s->sel, NULL, false);
		return;
	}
	check_args(v, s->args, s->nargs, f->args, f->nargs, s->name, false, s->loc);
	const struct gql_type *t = gql_tref_named(f->type);
	if (gql_type_is_leaf(t) && s->sel)
		report(v, s->loc, NOLOC, "Field \"%s\" must not have a selection since type \"%s\" has no subfields.",
		       s->name, gql_tref_str(f->type, tb, sizeof(tb)));
	else if (!gql_type_is_leaf(t) && !s->sel)
		report(v, s->loc, NOLOC, "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you mean \"%s { ... }\"?",
		       s->name, gql_tref_str(f->type, tb, sizeof(tb)), s->name);
	if (s->sel)
		check_selset(v, s->sel, gql_type_is_leaf(t) ? NULL : t, false);
}

static const struct gql_type *composite_cond(struct vctx *v, const char *name, struct gql_loc loc,
					     const char *frag)
{
	const struct gql_type *t = gql_schema_type(v->s, name);
	if (!t) {
		report(v, loc, NOLOC, "Unknown type \"%s\".", name);
		return NULL;
	}
	if (t->kind != GQL_OBJECT) {
		if (frag)
			report(v, loc, NOLOC, "Fragment \"%s\" cannot condition on non composite type \"%s\".", frag, name);
		else
			report(v, loc, NOLOC, "Fragment cannot condition on non composite type \"%s\".", name);
		return NULL;
	}
	return t;
}

static void check_inline(struct vctx *v, const struct gql_selection *s, const struct gql_type *parent,
			 bool root)
{
	check_directives(v, s->dirs, s->ndirs, "INLINE_FRAGMENT");
	const struct gql_type *t = parent;
	if (s->type_cond) {
		t = composite_cond(v, s->type_cond, s->loc, NULL);
		if (t && parent && t != parent)
			report(v, s->loc, NOLOC, "Fragment cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
			       parent->name, t->name);
	}
	check_selset(v, s->sel, t, root && t == parent);
}

static void check_spread(struct vctx *v, const struct gql_selection *s, const struct gql_type *parent)
{
	check_directives(v, s->dirs, s->ndirs, "FRAGMENT_SPREAD");
	const struct gql_definition *f = find_fragment(v, s->name);
	if (!f) {
		report(v, s->loc, NOLOC, "Unknown fragment \"%s\".", s->name);
		return;
	}
	const struct gql_type *t = gql_schema_type(v->s, f->type_cond);
	if (t && t->kind == GQL_OBJECT && parent && t != parent)
		report(v, s->loc, NOLOC, "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
		       s->name, parent->name, t->name);
}

static void check_selset(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
			 bool root)
{
	for (size_t i = 0; i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		if (s->kind == SEL_FIELD && parent)
			check_field(v, s, parent, root);
		else if (s->kind == SEL_FIELD && s->sel)
			check_selset(v, s->sel, NULL, false);
		else if (s->kind == SEL_INLINE)
			check_inline(v, s, parent, root);
		else if (s->kind == SEL_SPREAD)
			check_spread(v, s, parent);
	}
}

/* ---- variables ---- */

static const struct gql_vardef *find_var(const struct gql_definition *op, const char *name,
					 size_t *idx)
{
	for (size_t i = 0; i < op->nvars; i++)
		if (strcmp(op->vars[i].name, name) == 0) {
			*idx = i;
			return &op->vars[i];
		}
	return NULL;
}

/* Is the variable's type (an AST reference) a subtype of the location's? */
static bool var_fits(const struct gql_tref_ast *vt, const struct gql_tref *lt)
{
	if (lt->kind == TR_NONNULL)
		return vt->kind == TR_NONNULL && var_fits(vt->of, lt->of);
	if (vt->kind == TR_NONNULL)
		return var_fits(vt->of, lt);
	if (lt->kind == TR_LIST)
		return vt->kind == TR_LIST && var_fits(vt->of, lt->of);
	return vt->kind == TR_NAMED && strcmp(vt->name, lt->named->name) == 0;
}

static void var_usage(struct vctx *v, const struct gql_value *val, const struct gql_tref *lt,
		      bool loc_has_default)
{
	char a[128], b[128];
	size_t idx;
	const struct gql_vardef *vd = find_var(v->op, val->str, &idx);
	if (!vd) {
		if (v->op->name)
			report(v, val->loc, v->op->loc, "Variable \"$%s\" is not defined by operation \"%s\".", val->str, v->op->name);
		else
			report(v, val->loc, v->op->loc, "Variable \"$%s\" is not defined.", val->str);
		return;
	}
	v->var_used[idx] = true;
	if (!lt)
		return;
	const struct gql_tref_ast *vt = vd->type;
	if (lt->kind == TR_NONNULL && vt->kind != TR_NONNULL) {
		bool var_default = vd->def && vd->def->kind != GV_NULL;
		if (!var_default && !loc_has_default)
			goto mismatch;
		lt = lt->of;
	}
	if (var_fits(vt, lt))
		return;
mismatch:
	report(v, vd->loc, val->loc, "Variable \"$%s\" of type \"%s\" used in position expecting type \"%s\".",
	       val->str, gql_tref_ast_str(vt, a, sizeof(a)), gql_tref_str(lt, b, sizeof(b)));
}

/* Walks a value with its expected type, checking each variable in it. */
static void value_vars(struct vctx *v, const struct gql_value *val, const struct gql_tref *t,
		       bool has_default)
{
	if (val->kind == GV_VAR) {
		var_usage(v, val, t, has_default);
		return;
	}
	const struct gql_tref *inner = t && t->kind == TR_NONNULL ? t->of : t;
	if (val->kind == GV_LIST) {
		const struct gql_tref *item = inner && inner->kind == TR_LIST ? inner->of : NULL;
		for (size_t i = 0; i < val->n; i++)
			value_vars(v, &val->items[i], item, false);
	} else if (val->kind == GV_OBJECT) {
		if (inner && inner->kind == TR_LIST)
			inner = inner->of->kind == TR_NONNULL ? inner->of->of : inner->of;
		const struct gql_type *ot = inner && inner->kind == TR_NAMED ? inner->named : NULL;
		for (size_t i = 0; i < val->n; i++) {
			const struct gql_ivalue *f = ot ? gql_find_input(ot->inputs, ot->ninputs, val->items[i].name) : NULL;
			value_vars(v, &val->items[i], f ? f->type : NULL, f && f->def_value);
		}
	}
}

static void args_vars(struct vctx *v, const struct gql_arg *args, size_t n,
		      const struct gql_ivalue *defs, size_t ndefs)
{
	for (size_t i = 0; i < n; i++) {
		const struct gql_ivalue *d = defs ? gql_find_input(defs, ndefs, args[i].name) : NULL;
		value_vars(v, &args[i].value, d ? d->type : NULL, d && d->def_value);
	}
}

static void dirs_vars(struct vctx *v, const struct gql_directive *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gql_directive_def *d = gql_schema_directive(v->s, dirs[i].name);
		args_vars(v, dirs[i].args, dirs[i].nargs, d ? d->args : NULL, d ? d->nargs : 0);
	}
}

static void selset_vars(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
			bool root)
{
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		dirs_vars(v, s->dirs, s->ndirs);
		if (s->kind == SEL_FIELD) {
			const struct gql_field *f = parent ? gql_type_field(v->s, parent, s->name, root) : NULL;
			args_vars(v, s->args, s->nargs, f ? f->args : NULL, f ? f->nargs : 0);
			const struct gql_type *t = f ? gql_tref_named(f->type) : NULL;
			selset_vars(v, s->sel, t && t->kind == GQL_OBJECT ? t : NULL, false);
		} else if (s->kind == SEL_INLINE) {
			const struct gql_type *t = s->type_cond ? gql_schema_type(v->s, s->type_cond) : parent;
			selset_vars(v, s->sel, t, root && t == parent);
		} else {
			const struct gql_definition *f = find_fragment(v, s->name);
			if (!f || v->frag_seen[frag_index(v, f)])
				continue;
			v->frag_seen[frag_index(v, f)] = true;
			dirs_vars(v, f->dirs, f->ndirs);
			const struct gql_type *t = gql_schema_type(v->s, f->type_cond);
			selset_vars(v, f->sel, t && t->kind == GQL_OBJECT ? t : NULL, t == v->s->query);
		}
	}
}

static void check_vardefs(struct vctx *v, const struct gql_definition *op)
{
	char tb[128];
	for (size_t i = 0; i < op->nvars; i++) {
		const struct gql_vardef *vd = &op->vars[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(op->vars[j].name, vd->name) == 0)
				report(v, op->vars[j].loc, vd->loc, "There can be only one variable named \"$%s\".", vd->name);
		const struct gql_tref_ast *base = vd->type;
		while (base->kind != TR_NAMED)
			base = base->of;
		const struct gql_type *t = gql_schema_type(v->s, base->name);
		check_directives(v, vd->dirs, vd->ndirs, "VARIABLE_DEFINITION");
		if (!t) {
			report(v, base->loc, NOLOC, "Unknown type \"%s\".", base->name);
			continue;
		}
		if (!gql_type_is_input(t)) {
			report(v, vd->loc, NOLOC, "Variable \"$%s\" cannot be non-input type \"%s\".", vd->name,
			       gql_tref_ast_str(vd->type, tb, sizeof(tb)));
			continue;
		}
		if (vd->def) {
			/* the default's type: the variable's, compiled on the fly */
			struct gql_tref chain[16];
			const struct gql_tref_ast *a = vd->type;
			size_t n = 0;
			for (; a->kind != TR_NAMED && n < 15; a = a->of, n++)
				chain[n].kind = a->kind;
			chain[n] = (struct gql_tref){TR_NAMED, t, NULL};
			for (size_t k = 0; k < n; k++)
				chain[k].of = &chain[k + 1];
			if (a->kind == TR_NAMED)
				check_value(v, vd->def, &chain[0]);
		}
	}
}

static void check_operation(struct vctx *v, const struct gql_definition *op)
{
	static const char *const where[] = {"QUERY", "MUTATION", "SUBSCRIPTION"};
	const struct gql_type *root = op->op == OP_QUERY ? v->s->query
		: op->op == OP_MUTATION ? v->s->mutation : NULL;
	check_directives(v, op->dirs, op->ndirs, where[op->op]);
	if (!root) {
		report(v, op->loc, NOLOC, "Schema is not configured to execute %s operation.",
		       op->op == OP_MUTATION ? "mutation" : "subscription");
		return;
	}
	check_vardefs(v, op);
	check_selset(v, op->sel, root, true);
	v->op = op;
	v->var_used = calloc(op->nvars + 1, sizeof(bool));
	v->frag_seen = calloc(v->doc->n, sizeof(bool));
	if (v->var_used && v->frag_seen) {
		selset_vars(v, op->sel, root, true);
		for (size_t i = 0; i < op->nvars; i++)
			if (!v->var_used[i])
				report(v, op->vars[i].loc, NOLOC, op->name
					? "Variable \"$%s\" is never used in operation \"%s\"."
					: "Variable \"$%s\" is never used.%s", op->vars[i].name, op->name ? op->name : "");
	}
	free(v->var_used);
	free(v->frag_seen);
}

static void check_fragment(struct vctx *v, const struct gql_definition *f)
{
	check_directives(v, f->dirs, f->ndirs, "FRAGMENT_DEFINITION");
	const struct gql_type *t = composite_cond(v, f->type_cond, f->loc, f->name);
	check_selset(v, f->sel, t, t == v->s->query);
}

/* ---- limits: depth and cost, fragments memoised ---- */

struct measure {
	int64_t *cost;
	int *depth;
};

static void measure_selset(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
			   struct measure *m, int64_t *cost, int *depth);

static void measure_fragment(struct vctx *v, const struct gql_definition *f, struct measure *m)
{
	size_t i = frag_index(v, f);
	if (m->depth[i] >= 0)
		return;
	m->depth[i] = 0; /* in progress; cycles were refused before */
	int64_t c = 0;
	int d = 0;
	const struct gql_type *t = gql_schema_type(v->s, f->type_cond);
	measure_selset(v, f->sel, t, m, &c, &d);
	m->cost[i] = c;
	m->depth[i] = d;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX / 4 - b ? INT64_MAX / 4 : a + b;
}

static void measure_selset(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
			   struct measure *m, int64_t *cost, int *depth)
{
	for (size_t i = 0; ss && i < ss->n; i++) {
		const struct gql_selection *s = &ss->items[i];
		int64_t c = 0;
		int d = 0;
		if (s->kind == SEL_FIELD) {
			const struct gql_field *f = parent ? gql_type_field(v->s, parent, s->name, true) : NULL;
			const struct gql_type *t = f ? gql_tref_named(f->type) : NULL;
			/* introspection walks the schema, not data: it is bounded by
			 * the executor's field budget (max_fields) instead */
			bool meta = t && t->name[0] == '_' && t->name[1] == '_';
			measure_selset(v, s->sel, t, m, &c, &d);
			bool list = f && (f->type->kind == TR_LIST ||
					  (f->type->kind == TR_NONNULL && f->type->of->kind == TR_LIST));
			c = sat_add(1, c > INT64_MAX / 64 ? INT64_MAX / 4 : c * (list && !meta ? LIST_COST : 1));
			d += meta ? 0 : 1;
		} else if (s->kind == SEL_INLINE) {
			measure_selset(v, s->sel, parent, m, &c, &d);
		} else {
			const struct gql_definition *f = find_fragment(v, s->name);
			if (f) {
				measure_fragment(v, f, m);
				c = m->cost[frag_index(v, f)];
				d = m->depth[frag_index(v, f)];
			}
		}
		*cost = sat_add(*cost, c);
		if (d > *depth)
			*depth = d;
	}
}

static bool check_limits(struct vctx *v)
{
	struct measure m = {calloc(v->doc->n, sizeof(int64_t)), malloc(v->doc->n * sizeof(int))};
	bool ok = m.cost && m.depth;
	for (size_t i = 0; ok && i < v->doc->n; i++)
		m.depth[i] = -1;
	for (size_t i = 0; ok && i < v->doc->n; i++) {
		const struct gql_definition *d = &v->doc->defs[i];
		if (d->kind != DEF_OPERATION)
			continue;
		int64_t cost = 0;
		int depth = 0;
		const struct gql_type *root = d->op == OP_MUTATION ? v->s->mutation : v->s->query;
		measure_selset(v, d->sel, root, &m, &cost, &depth);
		if (depth > v->lim->max_depth) {
			report(v, d->loc, NOLOC, "Query is too deep: depth %d exceeds the limit of %d.", depth, v->lim->max_depth);
			ok = false;
		} else if (cost > v->lim->max_cost) {
			report(v, d->loc, NOLOC, "Query is too costly: cost %lld exceeds the limit of %lld.",
			       (long long)cost, (long long)v->lim->max_cost);
			ok = false;
		}
	}
	free(m.cost);
	free(m.depth);
	return ok;
}

/* ---- field merging (spec 5.3.2) over fields collected through fragments ---- */

struct cfield {
	const struct gql_selection *sel;
	const struct gql_field *def;
	const char *key;
};

struct cset {
	struct cfield *items;
	size_t n, cap;
};

static void collect(struct vctx *v, const struct gql_selset *ss, const struct gql_type *parent,
		    bool root, struct cset *out, int guard)
{
	for (size_t i = 0; ss && i < ss->n && guard < 256; i++) {
		const struct gql_selection *s = &ss->items[i];
		if (s->kind == SEL_FIELD) {
			if (out->n == out->cap) {
				size_t nc = out->cap ? out->cap * 2 : 16;
				struct cfield *ni = realloc(out->items, nc * sizeof(*ni));
				if (!ni)
					return;
				out->items = ni;
				out->cap = nc;
			}
			out->items[out->n++] = (struct cfield){s, parent ? gql_type_field(v->s, parent, s->name, root) : NULL,
							       s->alias ? s->alias : s->name};
		} else if (s->kind == SEL_INLINE) {
			collect(v, s->sel, parent, root, out, guard + 1);
		} else {
			const struct gql_definition *f = find_fragment(v, s->name);
			if (f && gql_schema_type(v->s, f->type_cond) == parent)
				collect(v, f->sel, parent, root, out, guard + 1);
		}
	}
}

static bool same_value(const struct gql_value *a, const struct gql_value *b)
{
	if (a->kind != b->kind || a->n != b->n)
		return false;
	if (a->kind == GV_LIST || a->kind == GV_OBJECT) {
		for (size_t i = 0; i < a->n; i++)
			if ((a->kind == GV_OBJECT && strcmp(a->items[i].name, b->items[i].name) != 0) ||
			    !same_value(&a->items[i], &b->items[i]))
				return false;
		return true;
	}
	if (a->kind == GV_BOOL)
		return a->b == b->b;
	if (a->kind == GV_NULL)
		return true;
	return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

static bool same_args(const struct gql_selection *a, const struct gql_selection *b)
{
	if (a->nargs != b->nargs)
		return false;
	for (size_t i = 0; i < a->nargs; i++) {
		size_t j = 0;
		while (j < b->nargs && strcmp(a->args[i].name, b->args[j].name) != 0)
			j++;
		if (j == b->nargs || !same_value(&a->args[i].value, &b->args[j].value))
			return false;
	}
	return true;
}

static bool same_shape(const struct gql_tref *a, const struct gql_tref *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind != TR_NAMED)
		return same_shape(a->of, b->of);
	if (gql_type_is_leaf(a->named) || gql_type_is_leaf(b->named))
		return a->named == b->named;
	return true;
}

static void merge_check(struct vctx *v, const struct cset *cs, int depth);

/* Checks the group of fields with the same response key starting at first. */
static void merge_group(struct vctx *v, const struct cset *cs, size_t first, bool *done, int depth)
{
	const struct cfield *a = &cs->items[first];
	struct cset sub = {0};
	const struct gql_type *t = a->def ? gql_tref_named(a->def->type) : NULL;
	for (size_t j = first; j < cs->n; j++) {
		const struct cfield *b = &cs->items[j];
		if (done[j] || strcmp(a->key, b->key) != 0)
			continue;
		done[j] = true;
		if (j != first) {
			if (strcmp(a->sel->name, b->sel->name) != 0) {
				report(v, a->sel->loc, b->sel->loc, "Fields \"%s\" conflict because \"%s\" and \"%s\" are different fields. Use different aliases on the fields to fetch both if this was intentional.",
				       a->key, a->sel->name, b->sel->name);
				break;
			}
			if (!same_args(a->sel, b->sel)) {
				report(v, a->sel->loc, b->sel->loc, "Fields \"%s\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.", a->key);
				break;
			}
			if (a->def && b->def && !same_shape(a->def->type, b->def->type)) {
				report(v, a->sel->loc, b->sel->loc, "Fields \"%s\" conflict because they return conflicting types. Use different aliases on the fields to fetch both if this was intentional.", a->key);
				break;
			}
		}
		if (t && t->kind == GQL_OBJECT && b->sel->sel)
			collect(v, b->sel->sel, t, false, &sub, 0);
	}
	if (sub.n > 1)
		merge_check(v, &sub, depth + 1);
	free(sub.items);
}

static void merge_check(struct vctx *v, const struct cset *cs, int depth)
{
	bool *done = calloc(cs->n, sizeof(bool));
	if (!done || depth > v->lim->max_depth + 2) {
		free(done);
		return;
	}
	for (size_t i = 0; i < cs->n && v->n < v->max; i++)
		if (!done[i])
			merge_group(v, cs, i, done, depth);
	free(done);
}

static void check_merging(struct vctx *v, const struct gql_selset *ss, const struct gql_type *t,
			  bool root)
{
	struct cset cs = {0};
	collect(v, ss, t, root, &cs, 0);
	merge_check(v, &cs, 0);
	free(cs.items);
}

size_t gql_validate(const struct gql_schema *s, const struct gql_limits *lim,
		    const struct gql_document *doc, struct gql_verror *errs, size_t max)
{
	struct vctx v = {.s = s, .lim = lim, .doc = doc, .errs = errs, .max = max};
	check_names(&v);
	check_cycles(&v);
	check_unused_fragments(&v);
	for (size_t i = 0; i < doc->n; i++) {
		if (doc->defs[i].kind == DEF_OPERATION)
			check_operation(&v, &doc->defs[i]);
		else
			check_fragment(&v, &doc->defs[i]);
	}
	if (v.n || v.cycles || !check_limits(&v))
		return v.n;
	for (size_t i = 0; i < doc->n && !v.n; i++) {
		const struct gql_definition *d = &doc->defs[i];
		const struct gql_type *t = d->kind == DEF_FRAGMENT ? gql_schema_type(s, d->type_cond)
			: d->op == OP_MUTATION ? s->mutation : s->query;
		check_merging(&v, d->sel, t, t == s->query);
	}
	return v.n;
}
