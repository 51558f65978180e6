/* Compiles the static schema tables: resolves type references, coerces
 * default values, adds the built-in scalars, the introspection types and the
 * directives every GraphQL service has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/gql-internal.h"

static const struct gql_type_def builtin_scalars[] = {
	{GQL_SCALAR, "Int", "The `Int` scalar type represents non-fractional signed whole numeric values. Int can represent values between -(2^31) and 2^31 - 1.", NULL, NULL, NULL},
	{GQL_SCALAR, "Float", "The `Float` scalar type represents signed double-precision fractional values as specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point).", NULL, NULL, NULL},
	{GQL_SCALAR, "String", "The `String` scalar type represents textual data, represented as UTF-8 character sequences.", NULL, NULL, NULL},
	{GQL_SCALAR, "Boolean", "The `Boolean` scalar type represents `true` or `false`.", NULL, NULL, NULL},
	{GQL_SCALAR, "ID", "The `ID` scalar type represents a unique identifier. It is serialized as a String; as an input, a String or an Int is accepted.", NULL, NULL, NULL},
};

static const struct gql_arg_def if_arg[] = {
	{"if", "Boolean!", NULL, "Included when true / skipped when true."}, {NULL, NULL, NULL, NULL}};
static const struct gql_arg_def reason_arg[] = {
	{"reason", "String", "\"No longer supported\"", "Why it is deprecated."},
	{NULL, NULL, NULL, NULL}};
static const struct gql_arg_def url_arg[] = {
	{"url", "String!", NULL, "The URL of the scalar's specification."}, {NULL, NULL, NULL, NULL}};
static const char *const field_locs[] = {"FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT", NULL};
static const char *const deprecated_locs[] = {"FIELD_DEFINITION", "ARGUMENT_DEFINITION",
					      "INPUT_FIELD_DEFINITION", "ENUM_VALUE", NULL};
static const char *const scalar_locs[] = {"SCALAR", NULL};

static const struct {
	const char *name, *desc;
	const char *const *locs;
	const struct gql_arg_def *args;
} builtin_directives[] = {
	{"include", "Directs the executor to include this field or fragment only when the `if` argument is true.", field_locs, if_arg},
	{"skip", "Directs the executor to skip this field or fragment when the `if` argument is true.", field_locs, if_arg},
	{"deprecated", "Marks an element of a GraphQL schema as no longer supported.", deprecated_locs, reason_arg},
	{"specifiedBy", "Exposes a URL that specifies the behavior of this scalar.", scalar_locs, url_arg},
};

static const struct gql_arg_def name_arg[] = {{"name", "String!", NULL, NULL}, {NULL, NULL, NULL, NULL}};
static const struct gql_field_def meta_fields[] = {
	{"__typename", "String!", NULL, 0, NULL, "The name of the current Object type at runtime.", NULL, 0},
	{"__schema", "__Schema!", gql_introspect_schema, 0, NULL, "Access the current type schema of this server.", NULL, 0},
	{"__type", "__Type", gql_introspect_type, 0, name_arg, "Request the type information of a single type.", NULL, 0},
};

struct compiler {
	struct gql_schema *s;
	struct gql_arena arena; /* default values' ASTs */
	char *msg;
	size_t msglen;
	bool failed;
};

static struct gql_tref *tref_new(struct compiler *c)
{
	struct gql_schema *s = c->s;
	if (s->ntrefs == s->cap_trefs) {
		c->failed = true; /* sized up front: never happens with sane tables */
		snprintf(c->msg, c->msglen, "too many type references");
		return NULL;
	}
	return &s->trefs[s->ntrefs++];
}

static const struct gql_tref *parse_tref(struct compiler *c, const char **p)
{
	struct gql_tref *t = tref_new(c);
	if (!t)
		return NULL;
	if (**p == '[') {
		(*p)++;
		t->kind = TR_LIST;
		if (!(t->of = parse_tref(c, p)) || **p != ']')
			return NULL;
		(*p)++;
	} else {
		size_t n = strcspn(*p, "!]");
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)n, *p);
		t->kind = TR_NAMED;
		if (!(t->named = gql_schema_type(c->s, name))) {
			c->failed = true;
			snprintf(c->msg, c->msglen, "unknown type %s", name);
			return NULL;
		}
		*p += n;
	}
	if (**p == '!') {
		(*p)++;
		struct gql_tref *nn = tref_new(c);
		if (!nn)
			return NULL;
		nn->kind = TR_NONNULL;
		nn->of = t;
		return nn;
	}
	return t;
}

static const struct gql_tref *compile_tref(struct compiler *c, const char *text)
{
	const char *p = text;
	const struct gql_tref *t = parse_tref(c, &p);
	if (!t || *p) {
		if (!c->failed)
			snprintf(c->msg, c->msglen, "bad type reference %s", text);
		c->failed = true;
		return NULL;
	}
	return t;
}

static size_t count_args(const struct gql_arg_def *a)
{
	size_t n = 0;
	while (a && a[n].name)
		n++;
	return n;
}

static struct gql_ivalue *compile_inputs(struct compiler *c, const struct gql_arg_def *defs,
					 size_t *n)
{
	*n = count_args(defs);
	struct gql_ivalue *v = calloc(*n ? *n : 1, sizeof(*v));
	if (!v) {
		c->failed = true;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		v[i].def = &defs[i];
		v[i].type = compile_tref(c, defs[i].type);
	}
	return v;
}

/* Defaults are coerced once all types are known. */
static void compile_defaults(struct compiler *c, struct gql_ivalue *v, size_t n)
{
	for (size_t i = 0; i < n && !c->failed; i++) {
		struct gql_value lit;
		char msg[160];
		if (!v[i].def->def)
			continue;
		if (gql_parse_const_value(v[i].def->def, &c->arena, &lit) < 0 ||
		    !(v[i].def_value = gql_coerce_literal(c->s, &lit, v[i].type, NULL, msg, sizeof(msg)))) {
			c->failed = true;
			snprintf(c->msg, c->msglen, "bad default %s for %s", v[i].def->def, v[i].def->name);
		}
	}
}

static void compile_fields(struct compiler *c, struct gql_type *t, const struct gql_field_def *defs)
{
	while (defs && defs[t->nfields].name)
		t->nfields++;
	t->fields = calloc(t->nfields ? t->nfields : 1, sizeof(*t->fields));
	if (!t->fields) {
		c->failed = true;
		return;
	}
	for (size_t i = 0; i < t->nfields; i++) {
		struct gql_field *f = &t->fields[i];
		f->def = &defs[i];
		f->type = compile_tref(c, defs[i].type);
		f->args = compile_inputs(c, defs[i].args, &f->nargs);
	}
}

static void add_type(struct gql_schema *s, const struct gql_type_def *d, bool builtin)
{
	struct gql_type *t = &s->types[s->ntypes++];
	t->kind = d->kind;
	t->name = d->name;
	t->desc = d->desc;
	t->def = d;
	t->values = d->values;
	while (d->values && d->values[t->nvalues])
		t->nvalues++;
	t->builtin_scalar = builtin;
}

static size_t count_types(const struct gql_type_def *const *t)
{
	size_t n = 0;
	while (t[n])
		n++;
	return n;
}

static void compile_all(struct compiler *c)
{
	struct gql_schema *s = c->s;
	for (size_t i = 0; i < s->ntypes && !c->failed; i++) {
		struct gql_type *t = &s->types[i];
		if (t->kind == GQL_OBJECT)
			compile_fields(c, t, t->def->fields);
		else if (t->kind == GQL_INPUT_OBJECT)
			t->inputs = compile_inputs(c, t->def->inputs, &t->ninputs);
	}
	for (size_t i = 0; i < BRINK_GQL_NDIRS && !c->failed; i++) {
		struct gql_directive_def *d = &s->dirs[i];
		d->name = builtin_directives[i].name;
		d->desc = builtin_directives[i].desc;
		d->locations = builtin_directives[i].locs;
		d->args = compile_inputs(c, builtin_directives[i].args, &d->nargs);
	}
	s->ndirs = BRINK_GQL_NDIRS;
	for (size_t i = 0; i < 3 && !c->failed; i++) {
		struct gql_field *f = calloc(1, sizeof(*f));
		if (!f) {
			c->failed = true;
			break;
		}
		f->def = &meta_fields[i];
		f->type = compile_tref(c, meta_fields[i].type);
		f->args = compile_inputs(c, meta_fields[i].args, &f->nargs);
		if (i == 0)
			s->typename_field = f;
		else if (i == 1)
			s->schema_field = f;
		else
			s->type_field = f;
	}
	for (size_t i = 0; i < s->ntypes && !c->failed; i++) {
		struct gql_type *t = &s->types[i];
		for (size_t j = 0; j < t->nfields; j++)
			compile_defaults(c, t->fields[j].args, t->fields[j].nargs);
		compile_defaults(c, t->inputs, t->ninputs);
	}
	for (size_t i = 0; i < s->ndirs && !c->failed; i++)
		compile_defaults(c, s->dirs[i].args, s->dirs[i].nargs);
}

struct gql_schema *gql_schema_compile(const struct gql_schema_def *def, char *msg, size_t msglen)
{
	size_t nuser = count_types(def->types), nintro = count_types(gql_introspection_types);
	size_t ntypes = nuser + nintro + BRINK_ARRAY_SIZE(builtin_scalars);
	struct gql_schema *s = calloc(1, sizeof(*s));
	struct compiler c = {.s = s, .msg = msg, .msglen = msglen};
	snprintf(msg, msglen, "out of memory");
	if (!s)
		return NULL;
	s->def = def;
	s->types = calloc(ntypes, sizeof(*s->types));
	s->dirs = calloc(BRINK_GQL_NDIRS, sizeof(*s->dirs));
	s->cap_trefs = 4096;
	s->trefs = calloc(s->cap_trefs, sizeof(*s->trefs));
	gql_arena_init(&c.arena, 1u << 20);
	if (!s->types || !s->dirs || !s->trefs)
		goto fail;
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(builtin_scalars); i++)
		add_type(s, &builtin_scalars[i], true);
	for (size_t i = 0; i < nuser; i++)
		add_type(s, def->types[i], false);
	for (size_t i = 0; i < nintro; i++)
		add_type(s, gql_introspection_types[i], false);
	s->query = gql_schema_type(s, def->query);
	s->mutation = def->mutation ? gql_schema_type(s, def->mutation) : NULL;
	compile_all(&c);
	if (c.failed || !s->query)
		goto fail;
	gql_arena_free(&c.arena);
	msg[0] = '\0';
	return s;
fail:
	gql_arena_free(&c.arena);
	gql_schema_free(s);
	return NULL;
}

static void free_inputs(struct gql_ivalue *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		json_decref(v[i].def_value);
	free(v);
}

void gql_schema_free(struct gql_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->types && i < s->ntypes; i++) {
		struct gql_type *t = &s->types[i];
		for (size_t j = 0; t->fields && j < t->nfields; j++)
			free_inputs(t->fields[j].args, t->fields[j].nargs);
		free(t->fields);
		free_inputs(t->inputs, t->ninputs);
	}
	for (size_t i = 0; s->dirs && i < s->ndirs; i++)
		free_inputs(s->dirs[i].args, s->dirs[i].nargs);
	const struct gql_field *meta[] = {s->typename_field, s->schema_field, s->type_field};
	for (size_t i = 0; i < 3; i++) {
		if (meta[i])
			free_inputs(meta[i]->args, meta[i]->nargs);
		free((void *)meta[i]);
	}
	free(s->types);
	free(s->dirs);
	free(s->trefs);
	free(s);
}

const struct gql_type *gql_schema_type(const struct gql_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (strcmp(s->types[i].name, name) == 0)
			return &s->types[i];
	return NULL;
}

const struct gql_field *gql_type_field(const struct gql_schema *s, const struct gql_type *t,
				       const char *name, bool root)
{
	if (name[0] == '_' && name[1] == '_') {
		if (strcmp(name, "__typename") == 0)
			return s->typename_field;
		if (root && t == s->query && strcmp(name, "__schema") == 0)
			return s->schema_field;
		if (root && t == s->query && strcmp(name, "__type") == 0)
			return s->type_field;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].def->name, name) == 0)
			return &t->fields[i];
	return NULL;
}

const struct gql_ivalue *gql_find_input(const struct gql_ivalue *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].def->name, name) == 0)
			return &v[i];
	return NULL;
}

const struct gql_directive_def *gql_schema_directive(const struct gql_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i].name, name) == 0)
			return &s->dirs[i];
	return NULL;
}

const struct gql_type *gql_tref_named(const struct gql_tref *t)
{
	while (t->kind != TR_NAMED)
		t = t->of;
	return t->named;
}

bool gql_type_is_input(const struct gql_type *t)
{
	return t->kind == GQL_SCALAR || t->kind == GQL_ENUM || t->kind == GQL_INPUT_OBJECT;
}

bool gql_type_is_leaf(const struct gql_type *t)
{
	return t->kind == GQL_SCALAR || t->kind == GQL_ENUM;
}

const char *gql_tref_str(const struct gql_tref *t, char *buf, size_t len)
{
	char inner[128];
	if (t->kind == TR_NAMED)
		snprintf(buf, len, "%s", t->named->name);
	else if (t->kind == TR_LIST)
		snprintf(buf, len, "[%s]", gql_tref_str(t->of, inner, sizeof(inner)));
	else
		snprintf(buf, len, "%s!", gql_tref_str(t->of, inner, sizeof(inner)));
	return buf;
}

const char *gql_tref_ast_str(const struct gql_tref_ast *t, char *buf, size_t len)
{
	char inner[128];
	if (t->kind == TR_NAMED)
		snprintf(buf, len, "%s", t->name);
	else if (t->kind == TR_LIST)
		snprintf(buf, len, "[%s]", gql_tref_ast_str(t->of, inner, sizeof(inner)));
	else
		snprintf(buf, len, "%s!", gql_tref_ast_str(t->of, inner, sizeof(inner)));
	return buf;
}
