/* The GraphQL engine (src/graphql) on a small schema of its own with pure
 * resolvers: lexing (block strings, escapes), parse errors with locations,
 * validation, execution (aliases, fragments, directives, variables and
 * defaults, null propagation with paths), limits and introspection. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "graphql/gql-internal.h"

struct item {
	int n;
	const char *label; /* NULL: null */
};

static const struct item items[] = {{1, "one"}, {2, NULL}, {3, "three"}};

static int r_items(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)p;
	(void)d;
	json_t *first = json_object_get(a, "first");
	size_t n = json_is_integer(first) ? (size_t)json_integer_value(first) : 3;
	struct gql_val *v = gql_exec_list(ex, o, n > 3 ? 3 : n);
	for (size_t i = 0; v && i < o->u.list.n; i++) {
		v[i].t = GQLV_OBJECT;
		v[i].u.obj = &items[i];
	}
	return 0;
}

static int r_label(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct item *it = p;
	(void)ex;
	(void)a;
	(void)d;
	o->t = it->label ? GQLV_STRING : GQLV_NULL;
	o->u.s = it->label;
	return 0;
}

static int r_echo(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)p;
	(void)d;
	json_t *in = json_object_get(a, "in");
	char *s = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	o->t = GQLV_STRING;
	o->u.s = gql_exec_strdup(ex, s ? s : "?");
	free(s);
	return 0;
}

static int r_fail(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)p;
	(void)a;
	(void)d;
	(void)o;
	return gql_exec_fail(ex, "it failed");
}

static const struct gql_arg_def first_arg[] = {{"first", "Int", "2", NULL}, {NULL, NULL, NULL, NULL}};
static const struct gql_arg_def in_arg[] = {{"in", "Input!", NULL, NULL}, {NULL, NULL, NULL, NULL}};
static const struct gql_field_def item_fields[] = {
	{"n", "Int!", gql_res_int, offsetof(struct item, n), NULL, NULL, NULL, 0},
	{"label", "String", r_label, 0, NULL, NULL, NULL, 0},
	{"strict", "String!", r_label, 0, NULL, NULL, NULL, 0},
	{"self", "Item", gql_res_object, 0, NULL, NULL, NULL, 0},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, 0},
};
static const struct gql_field_def query_fields[] = {
	{"items", "[Item]", r_items, 0, first_arg, NULL, NULL, 0},
	{"strictItems", "[Item!]", r_items, 0, first_arg, NULL, NULL, 0},
	{"echo", "String", r_echo, 0, in_arg, NULL, NULL, 0},
	{"fail", "Int!", r_fail, 0, NULL, NULL, NULL, 0},
	{"old", "Int", r_fail, 0, NULL, NULL, "use items", 0},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, 0},
};
static const char *const colors[] = {"RED", "GREEN", NULL};
static const struct gql_arg_def input_fields[] = {
	{"a", "Int", "7", NULL}, {"b", "[String!]", NULL, NULL}, {"c", "Color", NULL, NULL},
	{"d", "String!", NULL, NULL}, {NULL, NULL, NULL, NULL}};
static const struct gql_type_def t_query = {GQL_OBJECT, "Query", NULL, query_fields, NULL, NULL};
static const struct gql_type_def t_item = {GQL_OBJECT, "Item", NULL, item_fields, NULL, NULL};
static const struct gql_type_def t_input = {GQL_INPUT_OBJECT, "Input", NULL, NULL, input_fields, NULL};
static const struct gql_type_def t_color = {GQL_ENUM, "Color", NULL, NULL, NULL, colors};
static const struct gql_type_def *const types[] = {&t_query, &t_item, &t_input, &t_color, NULL};
static const struct gql_schema_def def = {types, "Query", NULL};

static struct gql_schema *schema;

static int setup(void **state)
{
	char msg[200];
	(void)state;
	schema = gql_schema_compile(&def, msg, sizeof(msg));
	return schema ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	gql_schema_free(schema);
	return 0;
}

/* Runs q (with variables as JSON text or NULL); returns the response parsed. */
static json_t *run(const char *q, const char *vars, enum gql_outcome *out)
{
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	json_t *v = vars ? json_loads(vars, 0, NULL) : NULL;
	struct gql_request rq = {.query = q, .query_len = strlen(q), .variables = v};
	struct jsonw w = {0};
	size_t len;
	enum gql_outcome o = gql_run(schema, &lim, &rq, &w);
	if (out)
		*out = o;
	char *text = jsonw_take(&w, &len);
	assert_non_null(text);
	json_t *r = json_loads(text, 0, NULL);
	if (!r)
		fail_msg("not JSON: %s", text);
	free(text);
	json_decref(v);
	return r;
}

static const char *dump(json_t *j, const char *path)
{
	static char buf[1024];
	json_t *x = json_object_get(j, path);
	char *s = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, sizeof(buf), "%s", s ? s : "(none)");
	free(s);
	return buf;
}

static void executes_aliases_fragments_directives(void **state)
{
	(void)state;
	json_t *r = run("query ($skip: Boolean = true) { a: items(first: 1) { n } items { ...F n @skip(if: $skip) } "
			"... on Query { b: items(first: 1) { label } } } fragment F on Item { n label }",
			NULL, NULL);
	assert_string_equal(dump(r, "data"),
			    "{\"a\":[{\"n\":1}],\"items\":[{\"n\":1,\"label\":\"one\"},{\"n\":2,\"label\":null}],\"b\":[{\"label\":\"one\"}]}");
	json_decref(r);
}

static void merges_many_selections_of_one_field(void **state)
{
	char q[2048];
	(void)state;
	size_t o = (size_t)snprintf(q, sizeof(q), "{");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(q + o, sizeof(q) - o, " items(first: 1) { %s }", i == 39 ? "label" : "n");
	snprintf(q + o, sizeof(q) - o, " }");
	json_t *r = run(q, NULL, NULL);
	assert_string_equal(dump(r, "data"), "{\"items\":[{\"n\":1,\"label\":\"one\"}]}");
	json_decref(r);
}

static void coerces_input_objects_and_lists(void **state)
{
	(void)state;
	json_t *r = run("query ($c: Color) { x: echo(in: {d: \"\"\"\n    hi\n      there\n  \"\"\", b: \"one\", c: $c}) "
			"y: echo(in: {d: \"\\u00e9\\u{1F600}\", a: -3}) }", "{\"c\":\"GREEN\"}", NULL);
	json_t *data = json_object_get(r, "data");
	assert_string_equal(json_string_value(json_object_get(data, "x")),
			    "{\"a\":7,\"b\":[\"one\"],\"c\":\"GREEN\",\"d\":\"hi\\n  there\"}");
	assert_string_equal(json_string_value(json_object_get(data, "y")),
			    "{\"a\":-3,\"d\":\"\xc3\xa9\xf0\x9f\x98\x80\"}");
	json_decref(r);
}

static void propagates_nulls_with_paths(void **state)
{
	(void)state;
	json_t *r = run("{ strictItems(first: 3) { strict } items { n } }", NULL, NULL);
	/* item 1 has a null label: strict is non-null, the item is non-null, so the list is null */
	assert_string_equal(dump(r, "data"), "{\"strictItems\":null,\"items\":[{\"n\":1},{\"n\":2}]}");
	json_t *e = json_array_get(json_object_get(r, "errors"), 0);
	assert_string_equal(dump(e, "path"), "[\"strictItems\",1,\"strict\"]");
	json_decref(r);
	r = run("{ items { n } fail }", NULL, NULL);
	assert_string_equal(dump(r, "data"), "null");
	assert_int_equal(json_array_size(json_object_get(r, "errors")), 1);
	json_decref(r);
}

static void refuses_invalid_documents(void **state)
{
	static const char *const bad[] = {
		"{ items }", "{ items { n { x } } }", "{ echo(in: {a: 1}) }", "{ echo(in: {d: \"\", z: 1}) }",
		"{ items(first: \"2\") { n } }", "query ($x: Int) { items(first: $x) { n } } query ($y: Int) { items { n } }",
		"{ items { ...F } } fragment F on Item { ...F }", "{ items { a: n a: label } }",
		"query ($c: Input) { echo(in: $c) }", "{ echo(in: {d: \"\", c: BLUE}) }", "{ \"\"\"unterminated }",
		"{ items(first: 1, first: 2) { n } }", "mutation { items { n } }",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum gql_outcome out;
		json_t *r = run(bad[i], NULL, &out);
		if (out != GQL_BAD_REQUEST)
			fail_msg("accepted: %s", bad[i]);
		assert_null(json_object_get(r, "data"));
		json_t *e = json_array_get(json_object_get(r, "errors"), 0);
		assert_true(json_is_string(json_object_get(e, "message")));
		json_decref(r);
	}
}

static void reports_syntax_errors_where_they_are(void **state)
{
	char msg[200];
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	(void)state;
	json_t *r = run("{\n  items {\n    n\n  ", NULL, NULL);
	json_t *e = json_array_get(json_object_get(r, "errors"), 0);
	assert_string_equal(dump(e, "locations"), "[{\"line\":4,\"column\":3}]");
	assert_string_equal(json_string_value(json_object_get(e, "message")),
			    "Syntax Error: Expected Name, found <EOF>.");
	json_decref(r);
	assert_int_equal(gql_check(schema, &lim, "{ items(first: 0x1) { n } }", 27, msg, sizeof(msg)), 1);
	assert_int_equal(gql_check(schema, &lim, "{ items { n } }", 15, msg, sizeof(msg)), 0);
}

static void enforces_limits(void **state)
{
	char msg[200], q[4096];
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	(void)state;
	lim.max_depth = 3;
	const char *three = "{ items { self { self { n } } } }";
	assert_int_equal(gql_check(schema, &lim, three, strlen(three), msg, sizeof(msg)), 2);
	assert_non_null(strstr(msg, "too deep"));
	lim = (struct gql_limits)GQL_LIMITS_DEFAULT;
	lim.max_cost = 50;
	size_t o = (size_t)snprintf(q, sizeof(q), "{");
	for (int i = 0; i < 30; i++)
		o += (size_t)snprintf(q + o, sizeof(q) - o, " a%d: items { n }", i);
	snprintf(q + o, sizeof(q) - o, " }");
	assert_int_equal(gql_check(schema, &lim, q, strlen(q), msg, sizeof(msg)), 2);
	assert_non_null(strstr(msg, "too costly"));
	lim = (struct gql_limits)GQL_LIMITS_DEFAULT;
	lim.max_tokens = 10;
	assert_int_equal(gql_check(schema, &lim, q, strlen(q), msg, sizeof(msg)), 1);
	lim = (struct gql_limits)GQL_LIMITS_DEFAULT;
	lim.max_nesting = 5;
	const char *deep = "{ echo(in: {d: \"\", b: [[[[[[\"x\"]]]]]]}) }";
	assert_int_equal(gql_check(schema, &lim, deep, strlen(deep), msg, sizeof(msg)), 1);
}

static void introspects(void **state)
{
	(void)state;
	json_t *r = run("{ __schema { queryType { name } mutationType { name } } "
			"__type(name: \"Input\") { kind inputFields { name defaultValue type { kind name ofType { name } } } } "
			"q: __type(name: \"Query\") { fields { name } all: fields(includeDeprecated: true) { name isDeprecated deprecationReason } } "
			"__typename }", NULL, NULL);
	json_t *data = json_object_get(r, "data");
	assert_string_equal(dump(data, "__schema"), "{\"queryType\":{\"name\":\"Query\"},\"mutationType\":null}");
	json_t *in = json_object_get(data, "__type");
	assert_string_equal(dump(in, "kind"), "\"INPUT_OBJECT\"");
	json_t *a = json_array_get(json_object_get(in, "inputFields"), 0);
	assert_string_equal(dump(a, "defaultValue"), "\"7\"");
	json_t *d = json_array_get(json_object_get(in, "inputFields"), 3);
	assert_string_equal(dump(d, "type"), "{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"name\":\"String\"}}");
	json_t *q = json_object_get(data, "q");
	assert_int_equal(json_array_size(json_object_get(q, "fields")), 4);
	assert_int_equal(json_array_size(json_object_get(q, "all")), 5);
	assert_string_equal(dump(data, "__typename"), "\"Query\"");
	json_decref(r);
}

static void bounds_execution_by_a_field_budget(void **state)
{
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	const char *q = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
	struct gql_request rq = {.query = q, .query_len = strlen(q)};
	struct jsonw w = {0};
	size_t len;
	(void)state;
	lim.max_fields = 100;
	assert_int_equal(gql_run(schema, &lim, &rq, &w), GQL_OK);
	char *text = jsonw_take(&w, &len);
	assert_non_null(strstr(text, "more than the limit of fields"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(executes_aliases_fragments_directives),
		cmocka_unit_test(merges_many_selections_of_one_field),
		cmocka_unit_test(coerces_input_objects_and_lists),
		cmocka_unit_test(propagates_nulls_with_paths),
		cmocka_unit_test(refuses_invalid_documents),
		cmocka_unit_test(reports_syntax_errors_where_they_are),
		cmocka_unit_test(enforces_limits),
		cmocka_unit_test(introspects),
		cmocka_unit_test(bounds_execution_by_a_field_budget),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
