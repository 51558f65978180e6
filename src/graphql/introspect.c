/* Introspection (spec section 4): the __Schema, __Type, __Field,
 * __InputValue, __EnumValue and __Directive types over the compiled schema. */
#include <string.h>

#include "graphql/gql-internal.h"

struct itype { /* a __Type: a named type, or a LIST / NON_NULL wrapper */
	const struct gql_tref *ref;
	const struct gql_type *named;
};

static struct itype *itype_new(struct gql_exec *ex, const struct gql_tref *ref,
			       const struct gql_type *named)
{
	struct itype *t = gql_exec_alloc(ex, sizeof(*t));
	if (!t)
		return NULL;
	if (ref && ref->kind == TR_NAMED) {
		named = ref->named;
		ref = NULL;
	}
	t->ref = ref;
	t->named = named;
	return t;
}

static int obj(struct gql_exec *ex, struct gql_val *o, const void *p)
{
	if (!p)
		return gql_exec_fail(ex, "out of memory");
	o->t = GQLV_OBJECT;
	o->u.obj = p;
	return 0;
}

static int str_or_null(struct gql_val *o, const char *s)
{
	o->t = s ? GQLV_STRING : GQLV_NULL;
	o->u.s = s;
	return 0;
}

static int boolean(struct gql_val *o, bool b)
{
	o->t = GQLV_BOOL;
	o->u.b = b;
	return 0;
}

/* ---- root fields ---- */

int gql_introspect_schema(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			  struct gql_val *o)
{
	(void)p;
	(void)a;
	(void)d;
	return obj(ex, o, gql_exec_schema(ex));
}

int gql_introspect_type(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			struct gql_val *o)
{
	(void)p;
	(void)d;
	const struct gql_type *t = gql_schema_type(gql_exec_schema(ex),
						   json_string_value(json_object_get(a, "name")) ?: "");
	if (!t) {
		o->t = GQLV_NULL;
		return 0;
	}
	return obj(ex, o, itype_new(ex, NULL, t));
}

/* ---- __Schema ---- */

static int schema_types(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_schema *s = p;
	(void)a;
	(void)d;
	struct gql_val *items = gql_exec_list(ex, o, s->ntypes);
	for (size_t i = 0; items && i < s->ntypes; i++)
		if (obj(ex, &items[i], itype_new(ex, NULL, &s->types[i])) < 0)
			return -1;
	return 0;
}

static int schema_root(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_schema *s = p;
	(void)a;
	const struct gql_type *t = d == 0 ? s->query : d == 1 ? s->mutation : NULL;
	if (!t) {
		o->t = GQLV_NULL;
		return 0;
	}
	return obj(ex, o, itype_new(ex, NULL, t));
}

static int schema_directives(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			     struct gql_val *o)
{
	const struct gql_schema *s = p;
	(void)a;
	(void)d;
	struct gql_val *items = gql_exec_list(ex, o, s->ndirs);
	for (size_t i = 0; items && i < s->ndirs; i++)
		obj(ex, &items[i], &s->dirs[i]);
	return 0;
}

static int null_field(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)p;
	(void)a;
	(void)d;
	o->t = GQLV_NULL;
	return 0;
}

static int false_field(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)p;
	(void)a;
	(void)d;
	return boolean(o, false);
}

/* ---- __Type ---- */

static int type_kind(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	static const char *const kinds[] = {"SCALAR", "OBJECT", "ENUM", "INPUT_OBJECT"};
	const struct itype *t = p;
	(void)ex;
	(void)a;
	(void)d;
	if (t->ref)
		return str_or_null(o, t->ref->kind == TR_LIST ? "LIST" : "NON_NULL");
	return str_or_null(o, kinds[t->named->kind]);
}

static int type_name(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct itype *t = p;
	(void)ex;
	(void)a;
	return str_or_null(o, t->ref ? NULL : d ? t->named->desc : t->named->name);
}

static bool want_deprecated(json_t *a)
{
	return json_is_true(json_object_get(a, "includeDeprecated"));
}

static int type_fields(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct itype *t = p;
	(void)d;
	if (t->ref || t->named->kind != GQL_OBJECT)
		return null_field(ex, p, a, d, o);
	size_t n = 0;
	bool all = want_deprecated(a);
	for (size_t i = 0; i < t->named->nfields; i++)
		n += all || !t->named->fields[i].def->deprecated;
	struct gql_val *items = gql_exec_list(ex, o, n);
	for (size_t i = 0, k = 0; items && i < t->named->nfields; i++)
		if (all || !t->named->fields[i].def->deprecated)
			obj(ex, &items[k++], &t->named->fields[i]);
	return 0;
}

static int type_interfaces(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			   struct gql_val *o)
{
	const struct itype *t = p;
	if (t->ref || t->named->kind != GQL_OBJECT)
		return null_field(ex, p, a, d, o);
	gql_exec_list(ex, o, 0);
	return 0;
}

static int type_enum_values(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			    struct gql_val *o)
{
	const struct itype *t = p;
	if (t->ref || t->named->kind != GQL_ENUM)
		return null_field(ex, p, a, d, o);
	struct gql_val *items = gql_exec_list(ex, o, t->named->nvalues);
	for (size_t i = 0; items && i < t->named->nvalues; i++)
		obj(ex, &items[i], &t->named->values[i]);
	return 0;
}

static int type_input_fields(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			     struct gql_val *o)
{
	const struct itype *t = p;
	if (t->ref || t->named->kind != GQL_INPUT_OBJECT)
		return null_field(ex, p, a, d, o);
	struct gql_val *items = gql_exec_list(ex, o, t->named->ninputs);
	for (size_t i = 0; items && i < t->named->ninputs; i++)
		obj(ex, &items[i], &t->named->inputs[i]);
	return 0;
}

static int type_of(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct itype *t = p;
	if (!t->ref)
		return null_field(ex, p, a, d, o);
	return obj(ex, o, itype_new(ex, t->ref->of, NULL));
}

static int type_is_one_of(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			  struct gql_val *o)
{
	const struct itype *t = p;
	if (t->ref || t->named->kind != GQL_INPUT_OBJECT)
		return null_field(ex, p, a, d, o);
	return false_field(ex, p, a, d, o);
}

/* ---- __Field, __InputValue, __EnumValue, __Directive ---- */

static int field_str(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_field *f = p;
	(void)ex;
	(void)a;
	return str_or_null(o, d == 0 ? f->def->name : d == 1 ? f->def->desc : f->def->deprecated);
}

static int field_deprecated(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			    struct gql_val *o)
{
	const struct gql_field *f = p;
	(void)ex;
	(void)a;
	(void)d;
	return boolean(o, f->def->deprecated != NULL);
}

static int inputs_list(struct gql_exec *ex, struct gql_val *o, struct gql_ivalue *v, size_t n)
{
	struct gql_val *items = gql_exec_list(ex, o, n);
	for (size_t i = 0; items && i < n; i++)
		obj(ex, &items[i], &v[i]);
	return 0;
}

static int field_args(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_field *f = p;
	(void)a;
	(void)d;
	return inputs_list(ex, o, f->args, f->nargs);
}

static int field_type(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_field *f = p;
	(void)a;
	(void)d;
	return obj(ex, o, itype_new(ex, f->type, NULL));
}

static int input_str(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_ivalue *v = p;
	(void)ex;
	(void)a;
	return str_or_null(o, d == 0 ? v->def->name : d == 1 ? v->def->desc : v->def->def);
}

static int input_type(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_ivalue *v = p;
	(void)a;
	(void)d;
	return obj(ex, o, itype_new(ex, v->type, NULL));
}

static int enum_name(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	(void)d;
	return str_or_null(o, *(const char *const *)p);
}

static int dir_str(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_directive_def *dd = p;
	(void)ex;
	(void)a;
	return str_or_null(o, d == 0 ? dd->name : dd->desc);
}

static int dir_locations(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			 struct gql_val *o)
{
	const struct gql_directive_def *dd = p;
	(void)a;
	(void)d;
	size_t n = 0;
	while (dd->locations[n])
		n++;
	struct gql_val *items = gql_exec_list(ex, o, n);
	for (size_t i = 0; items && i < n; i++)
		str_or_null(&items[i], dd->locations[i]);
	return 0;
}

static int dir_args(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct gql_directive_def *dd = p;
	(void)a;
	(void)d;
	return inputs_list(ex, o, dd->args, dd->nargs);
}

#define END {NULL, NULL, NULL, 0, NULL, NULL, NULL, 0}
static const struct gql_arg_def include_deprecated[] = {
	{"includeDeprecated", "Boolean", "false", NULL}, {NULL, NULL, NULL, NULL}};

static const struct gql_field_def schema_fields[] = {
	{"description", "String", null_field, 0, NULL, NULL, NULL, 0},
	{"types", "[__Type!]!", schema_types, 0, NULL, "A list of all types supported by this server.", NULL, 0},
	{"queryType", "__Type!", schema_root, 0, NULL, "The type that query operations will be rooted at.", NULL, 0},
	{"mutationType", "__Type", schema_root, 1, NULL, "The type that mutation operations will be rooted at.", NULL, 0},
	{"subscriptionType", "__Type", schema_root, 2, NULL, "The type that subscription operations will be rooted at.", NULL, 0},
	{"directives", "[__Directive!]!", schema_directives, 0, NULL, "A list of all directives supported by this server.", NULL, 0},
	END,
};
static const struct gql_field_def type_fields_def[] = {
	{"kind", "__TypeKind!", type_kind, 0, NULL, NULL, NULL, 0},
	{"name", "String", type_name, 0, NULL, NULL, NULL, 0},
	{"description", "String", type_name, 1, NULL, NULL, NULL, 0},
	{"specifiedByURL", "String", null_field, 0, NULL, NULL, NULL, 0},
	{"fields", "[__Field!]", type_fields, 0, include_deprecated, NULL, NULL, 0},
	{"interfaces", "[__Type!]", type_interfaces, 0, NULL, NULL, NULL, 0},
	{"possibleTypes", "[__Type!]", null_field, 0, NULL, NULL, NULL, 0},
	{"enumValues", "[__EnumValue!]", type_enum_values, 0, include_deprecated, NULL, NULL, 0},
	{"inputFields", "[__InputValue!]", type_input_fields, 0, include_deprecated, NULL, NULL, 0},
	{"ofType", "__Type", type_of, 0, NULL, NULL, NULL, 0},
	{"isOneOf", "Boolean", type_is_one_of, 0, NULL, NULL, NULL, 0},
	END,
};
static const struct gql_field_def field_fields[] = {
	{"name", "String!", field_str, 0, NULL, NULL, NULL, 0},
	{"description", "String", field_str, 1, NULL, NULL, NULL, 0},
	{"args", "[__InputValue!]!", field_args, 0, include_deprecated, NULL, NULL, 0},
	{"type", "__Type!", field_type, 0, NULL, NULL, NULL, 0},
	{"isDeprecated", "Boolean!", field_deprecated, 0, NULL, NULL, NULL, 0},
	{"deprecationReason", "String", field_str, 2, NULL, NULL, NULL, 0},
	END,
};
static const struct gql_field_def input_fields[] = {
	{"name", "String!", input_str, 0, NULL, NULL, NULL, 0},
	{"description", "String", input_str, 1, NULL, NULL, NULL, 0},
	{"type", "__Type!", input_type, 0, NULL, NULL, NULL, 0},
	{"defaultValue", "String", input_str, 2, NULL, "A GraphQL-formatted string representing the default value for this input value.", NULL, 0},
	{"isDeprecated", "Boolean!", false_field, 0, NULL, NULL, NULL, 0},
	{"deprecationReason", "String", null_field, 0, NULL, NULL, NULL, 0},
	END,
};
static const struct gql_field_def enum_value_fields[] = {
	{"name", "String!", enum_name, 0, NULL, NULL, NULL, 0},
	{"description", "String", null_field, 0, NULL, NULL, NULL, 0},
	{"isDeprecated", "Boolean!", false_field, 0, NULL, NULL, NULL, 0},
	{"deprecationReason", "String", null_field, 0, NULL, NULL, NULL, 0},
	END,
};
static const struct gql_field_def directive_fields[] = {
	{"name", "String!", dir_str, 0, NULL, NULL, NULL, 0},
	{"description", "String", dir_str, 1, NULL, NULL, NULL, 0},
	{"isRepeatable", "Boolean!", false_field, 0, NULL, NULL, NULL, 0},
	{"locations", "[__DirectiveLocation!]!", dir_locations, 0, NULL, NULL, NULL, 0},
	{"args", "[__InputValue!]!", dir_args, 0, include_deprecated, NULL, NULL, 0},
	END,
};

static const char *const type_kinds[] = {"SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM",
					 "INPUT_OBJECT", "LIST", "NON_NULL", NULL};
static const char *const directive_locations[] = {
	"QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
	"INLINE_FRAGMENT", "VARIABLE_DEFINITION", "SCHEMA", "SCALAR", "OBJECT", "FIELD_DEFINITION",
	"ARGUMENT_DEFINITION", "INTERFACE", "UNION", "ENUM", "ENUM_VALUE", "INPUT_OBJECT",
	"INPUT_FIELD_DEFINITION", NULL};

static const struct gql_type_def t_schema = {GQL_OBJECT, "__Schema", "A GraphQL Schema defines the capabilities of a GraphQL server.", schema_fields, NULL, NULL};
static const struct gql_type_def t_type = {GQL_OBJECT, "__Type", "The fundamental unit of any GraphQL Schema is the type.", type_fields_def, NULL, NULL};
static const struct gql_type_def t_field = {GQL_OBJECT, "__Field", "Object and Interface types are described by a list of Fields, each of which has a name, potentially a list of arguments, and a return type.", field_fields, NULL, NULL};
static const struct gql_type_def t_input = {GQL_OBJECT, "__InputValue", "Arguments provided to Fields or Directives and the input fields of an InputObject are represented as Input Values which describe their type and optionally a default value.", input_fields, NULL, NULL};
static const struct gql_type_def t_enum_value = {GQL_OBJECT, "__EnumValue", "One possible value for a given Enum.", enum_value_fields, NULL, NULL};
static const struct gql_type_def t_directive = {GQL_OBJECT, "__Directive", "A Directive provides a way to describe alternate runtime execution and type validation behavior in a GraphQL document.", directive_fields, NULL, NULL};
static const struct gql_type_def t_type_kind = {GQL_ENUM, "__TypeKind", "An enum describing what kind of type a given `__Type` is.", NULL, NULL, type_kinds};
static const struct gql_type_def t_dir_loc = {GQL_ENUM, "__DirectiveLocation", "A Directive can be adjacent to many parts of the GraphQL language, a __DirectiveLocation describes one such possible adjacencies.", NULL, NULL, directive_locations};

const struct gql_type_def *const gql_introspection_types[] = {
	&t_schema, &t_type, &t_field, &t_input, &t_enum_value, &t_directive, &t_type_kind, &t_dir_loc, NULL,
};
