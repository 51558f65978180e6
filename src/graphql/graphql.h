/* A GraphQL engine for executable documents (GraphQL specification, October
 * 2021): lexer, parser, validation, execution and introspection over a schema
 * given as static C tables. Written here because no C GraphQL library is
 * packaged for Debian (libgraphqlparser, C++ and parse-only, was dropped
 * from the archive), and brink needs the whole pipeline, bounded.
 *
 * What it serves: object, scalar, enum and input object types, lists and
 * non-null, aliases, arguments, variables with defaults, fragments, inline
 * fragments, @skip/@include, @deprecated in introspection. Interfaces and
 * unions are not needed by brink's schema and are not supported (a fragment's
 * type condition must be the object type it is spread into).
 *
 * Every request is bounded: document size, token count, nesting of the
 * parser, selection depth and a static cost (see gql_limits). One request's
 * memory lives in one arena freed at the end. */
#ifndef BRINK_GRAPHQL_H
#define BRINK_GRAPHQL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/jsonw.h"

struct gql_arena;
struct gql_exec;

/* ---- schema tables (static, see schema.c for brink's) ---- */

enum gql_kind { GQL_SCALAR, GQL_OBJECT, GQL_ENUM, GQL_INPUT_OBJECT };

/* A resolved value. Lists hold items of the field's element type. Objects
 * are opaque pointers the object type's field resolvers understand. */
enum gql_vtype { GQLV_NULL, GQLV_INT, GQLV_FLOAT, GQLV_BOOL, GQLV_STRING, GQLV_OBJECT, GQLV_LIST };
struct gql_val {
	enum gql_vtype t;
	union {
		int64_t i;
		double f;
		bool b;
		const char *s;
		const void *obj;
		struct {
			struct gql_val *items;
			size_t n;
		} list;
	} u;
};

/* A field resolver: reads `parent` (the object, NULL for the root types) and
 * the coerced arguments (a JSON object, borrowed) and sets *out. Returns 0,
 * or -1 after gql_exec_fail() (the field becomes null with an error). `data`
 * is the field's table value (an offset for the generic resolvers). */
typedef int (*gql_resolve_fn)(struct gql_exec *ex, const void *parent, json_t *args,
			      uintptr_t data, struct gql_val *out);

struct gql_arg_def {
	const char *name;
	const char *type; /* a type reference: "ID!", "[Int]", "VmInput!" */
	const char *def;  /* default value as a GraphQL literal, or NULL */
	const char *desc;
};

struct gql_field_def {
	const char *name;
	const char *type;
	gql_resolve_fn resolve;
	uintptr_t data;
	const struct gql_arg_def *args; /* terminated by a NULL name; NULL: none */
	const char *desc;
	const char *deprecated; /* the reason, or NULL */
	unsigned flags;         /* schema-specific (brink: anonymous access) */
};

struct gql_type_def {
	enum gql_kind kind;
	const char *name;
	const char *desc;
	const struct gql_field_def *fields;  /* OBJECT, NULL-name terminated */
	const struct gql_arg_def *inputs;    /* INPUT_OBJECT */
	const char *const *values;           /* ENUM, NULL terminated */
};

struct gql_schema_def {
	const struct gql_type_def *const *types; /* NULL terminated, without the introspection types */
	const char *query, *mutation;           /* root type names */
};

struct gql_schema; /* compiled (type references resolved) */

/* Compiles def (borrowed; must outlive the schema) with the introspection
 * types added. Returns NULL when a type reference names an unknown type or
 * out of memory (a bug in the tables: the message goes to msg). */
struct gql_schema *gql_schema_compile(const struct gql_schema_def *def, char *msg, size_t msglen);
void gql_schema_free(struct gql_schema *s);

/* ---- limits ---- */

struct gql_limits {
	size_t max_doc;    /* bytes of the query text */
	size_t max_tokens; /* tokens */
	int max_nesting;   /* parser recursion (selection sets, lists, objects) */
	int max_depth;     /* field depth after fragments are expanded */
	int64_t max_cost;  /* see validate.c: fields weighted by the lists above them */
	int64_t max_fields; /* fields resolved while executing (introspection included) */
};
#define GQL_LIMITS_DEFAULT {65536, 20000, 64, 12, 20000, 200000}

/* ---- a request ---- */

struct gql_request {
	const char *query;
	size_t query_len;
	json_t *variables;          /* borrowed, NULL: none */
	const char *operation_name; /* NULL: the only one */
	void *ctx;                  /* the resolvers' context (brink: the caller) */
	/* Called once the operation is chosen and validated, before anything
	 * runs: may refuse it (return -1 with a message), e.g. without a session.
	 * `root` is the operation's root field names (count n). */
	int (*admit)(void *ctx, bool mutation, const char *const *root, size_t n, char *msg,
		     size_t msglen);
};

enum gql_outcome {
	GQL_OK,          /* executed: the response has "data" (and maybe "errors") */
	GQL_BAD_REQUEST, /* syntax, validation, limits, variables: only "errors" */
	GQL_REFUSED,     /* admit() refused */
	GQL_NO_MEMORY,
};

/* Runs a request and writes the whole response object into w. */
enum gql_outcome gql_run(const struct gql_schema *schema, const struct gql_limits *lim,
			 const struct gql_request *rq, struct jsonw *w);

/* ---- for resolvers ---- */

/* The request's context pointer. */
void *gql_exec_ctx(struct gql_exec *ex);
/* Records an error for the field being resolved; returns -1. */
int gql_exec_fail(struct gql_exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Request-lifetime memory (zeroed), NULL when over the arena's limit. */
void *gql_exec_alloc(struct gql_exec *ex, size_t size);
char *gql_exec_strdup(struct gql_exec *ex, const char *s);
/* Hands a malloc'd block to the request: freed at its end. Returns its slot
 * (>= 0), or -1 when out of memory (p is then freed). A block that moved
 * (realloc) is told with gql_exec_readopt. */
int gql_exec_adopt(struct gql_exec *ex, void *p);
void gql_exec_readopt(struct gql_exec *ex, int slot, void *p);
/* A list of n items (NULL items when n is 0 or out of memory: check with n). */
struct gql_val *gql_exec_list(struct gql_exec *ex, struct gql_val *out, size_t n);

/* Generic resolvers over the parent's memory at offset `data`. */
int gql_res_chars(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o);  /* char[] ("" -> "") */
int gql_res_chars_or_null(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o); /* char[] ("" -> null) */
int gql_res_cstr(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o);   /* const char * */
int gql_res_int(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o);    /* int */
int gql_res_i64(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o);    /* int64_t */
int gql_res_double(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o); /* double */
int gql_res_object(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o); /* an embedded object */
int gql_res_bool(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o);   /* bool */

/* ---- parser alone (fuzzing, tests) ---- */

enum gql_parse_status { GQL_PARSE_OK, GQL_PARSE_SYNTAX, GQL_PARSE_LIMIT, GQL_PARSE_NOMEM };
/* Parses and validates text against schema; msg gets the first error.
 * Returns 0 when valid, 1 for a syntax error or limit, 2 for a validation
 * error, -1 out of memory. Allocates nothing that outlives the call. */
int gql_check(const struct gql_schema *schema, const struct gql_limits *lim, const char *text,
	      size_t len, char *msg, size_t msglen);

#endif
