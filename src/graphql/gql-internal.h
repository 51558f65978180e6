#ifndef BRINK_GQL_INTERNAL_H
#define BRINK_GQL_INTERNAL_H

#include "brink/common.h"
#include "graphql/graphql.h"

/* ---- arena: bump allocation in chunks, freed at once ---- */

struct gql_arena {
	struct gql_chunk *head;
	size_t used, limit; /* bytes handed out so far, and the cap */
	void **adopted;     /* malloc'd blocks freed with the arena */
	size_t nadopted, cap_adopted;
};
/* The arena frees p (malloc'd) with everything else; -1 (p freed) when out of memory. */
int gql_arena_adopt(struct gql_arena *a, void *p);
void gql_arena_init(struct gql_arena *a, size_t limit);
void *gql_arena_alloc(struct gql_arena *a, size_t size); /* zeroed; NULL over the limit */
char *gql_arena_strndup(struct gql_arena *a, const char *s, size_t n);
void gql_arena_free(struct gql_arena *a);

/* ---- lexer ---- */

enum gql_tok {
	T_EOF, T_BANG, T_DOLLAR, T_AMP, T_LPAREN, T_RPAREN, T_SPREAD, T_COLON, T_EQUALS, T_AT,
	T_LBRACKET, T_RBRACKET, T_LBRACE, T_PIPE, T_RBRACE, T_NAME, T_INT, T_FLOAT, T_STRING,
	T_BLOCK_STRING, T_ERROR,
};

struct gql_loc {
	uint32_t line, col;
};

struct gql_lexer {
	const char *src, *end, *p;
	const char *line_start;
	uint32_t line;
	size_t tokens, max_tokens;
	/* the current token */
	enum gql_tok tok;
	struct gql_loc loc;
	const char *start; /* raw text of names and numbers */
	size_t len;
	char *str;         /* decoded string value (arena) */
	size_t str_len;
	struct gql_arena *arena;
	char err[160];
	bool limit_hit;
};
void gql_lex_init(struct gql_lexer *lx, const char *src, size_t len, size_t max_tokens,
		  struct gql_arena *arena);
/* Advances to the next token; T_ERROR with lx->err on bad input. */
enum gql_tok gql_lex_next(struct gql_lexer *lx);

/* ---- AST ---- */

enum gql_vkind { GV_VAR, GV_INT, GV_FLOAT, GV_STRING, GV_BOOL, GV_NULL, GV_ENUM, GV_LIST, GV_OBJECT };

struct gql_value {
	enum gql_vkind kind;
	struct gql_loc loc;
	const char *name; /* object field name (for the children of GV_OBJECT) */
	const char *str;  /* text of ints, floats, enums, variables; decoded strings */
	size_t len;
	bool b;
	struct gql_value *items; /* list items or object fields */
	size_t n;
};

struct gql_arg {
	const char *name;
	struct gql_loc loc;
	struct gql_value value;
};

struct gql_directive {
	const char *name;
	struct gql_loc loc;
	struct gql_arg *args;
	size_t nargs;
};

enum gql_tref_kind { TR_NAMED, TR_LIST, TR_NONNULL };
struct gql_tref_ast {
	enum gql_tref_kind kind;
	const char *name;
	struct gql_tref_ast *of;
	struct gql_loc loc;
};

struct gql_selset;
enum gql_sel_kind { SEL_FIELD, SEL_SPREAD, SEL_INLINE };
struct gql_selection {
	enum gql_sel_kind kind;
	struct gql_loc loc;
	const char *alias; /* NULL: the name */
	const char *name;  /* field name or fragment name */
	const char *type_cond; /* inline fragment, NULL when absent */
	struct gql_arg *args;
	size_t nargs;
	struct gql_directive *dirs;
	size_t ndirs;
	struct gql_selset *sel; /* NULL for a field without one */
};
struct gql_selset {
	struct gql_selection *items;
	size_t n;
	struct gql_loc loc;
};

struct gql_vardef {
	const char *name;
	struct gql_loc loc;
	struct gql_tref_ast *type;
	struct gql_value *def;
	struct gql_directive *dirs;
	size_t ndirs;
};

enum gql_op { OP_QUERY, OP_MUTATION, OP_SUBSCRIPTION };
enum gql_def_kind { DEF_OPERATION, DEF_FRAGMENT };
struct gql_definition {
	enum gql_def_kind kind;
	enum gql_op op;
	struct gql_loc loc;
	const char *name; /* NULL: anonymous operation */
	const char *type_cond; /* fragments */
	struct gql_vardef *vars;
	size_t nvars;
	struct gql_directive *dirs;
	size_t ndirs;
	struct gql_selset *sel;
};

struct gql_document {
	struct gql_definition *defs;
	size_t n;
};

/* Parses src into *doc (arena memory). On failure msg/loc tell why. */
enum gql_parse_status gql_parse(const char *src, size_t len, const struct gql_limits *lim,
				struct gql_arena *arena, struct gql_document *doc, char *msg,
				size_t msglen, struct gql_loc *loc);

/* Parses one constant value (schema defaults); 0 or -1. */
int gql_parse_const_value(const char *src, struct gql_arena *arena, struct gql_value *out);

/* ---- compiled schema ---- */

struct gql_type;
struct gql_tref {
	enum gql_tref_kind kind;
	const struct gql_type *named; /* TR_NAMED */
	const struct gql_tref *of;
};

struct gql_ivalue { /* an argument or input field */
	const struct gql_arg_def *def;
	const struct gql_tref *type;
	json_t *def_value; /* coerced default, NULL when none */
};

struct gql_field {
	const struct gql_field_def *def;
	const struct gql_tref *type;
	struct gql_ivalue *args;
	size_t nargs;
};

struct gql_type {
	enum gql_kind kind;
	const char *name;
	const char *desc;
	const struct gql_type_def *def;
	struct gql_field *fields;
	size_t nfields;
	struct gql_ivalue *inputs;
	size_t ninputs;
	const char *const *values;
	size_t nvalues;
	bool builtin_scalar;
};

#define BRINK_GQL_NDIRS 4

struct gql_directive_def {
	const char *name;
	const char *desc;
	const char *const *locations;
	struct gql_ivalue *args;
	size_t nargs;
};

struct gql_schema {
	const struct gql_schema_def *def;
	struct gql_type *types;
	size_t ntypes;
	const struct gql_type *query, *mutation;
	struct gql_directive_def *dirs;
	size_t ndirs;
	const struct gql_field *typename_field, *schema_field, *type_field; /* meta fields */
	struct gql_tref *trefs; /* pool */
	size_t ntrefs, cap_trefs;
};

const struct gql_type *gql_schema_type(const struct gql_schema *s, const char *name);
const struct gql_field *gql_type_field(const struct gql_schema *s, const struct gql_type *t,
				       const char *name, bool root);
const struct gql_ivalue *gql_find_input(const struct gql_ivalue *v, size_t n, const char *name);
const struct gql_directive_def *gql_schema_directive(const struct gql_schema *s, const char *name);
const struct gql_type *gql_tref_named(const struct gql_tref *t);
bool gql_type_is_input(const struct gql_type *t);
bool gql_type_is_leaf(const struct gql_type *t);
/* Writes a type reference as GraphQL text ("[Vm!]!") into buf. */
const char *gql_tref_str(const struct gql_tref *t, char *buf, size_t len);
const char *gql_tref_ast_str(const struct gql_tref_ast *t, char *buf, size_t len);

/* ---- values ---- */

/* Coerces a literal (variables from `vars`, already coerced) to type t.
 * Returns a new JSON reference (json_null() for null), or NULL with msg set. */
json_t *gql_coerce_literal(const struct gql_schema *s, const struct gql_value *v,
			   const struct gql_tref *t, json_t *vars, char *msg, size_t msglen);
/* Coerces a JSON input value (variables) to type t; same contract. */
json_t *gql_coerce_json(const struct gql_schema *s, json_t *v, const struct gql_tref *t,
			char *msg, size_t msglen);
/* Writes a literal as GraphQL text (for error messages). */
void gql_value_print(const struct gql_value *v, char *buf, size_t len);

/* ---- validation ---- */

struct gql_verror {
	char msg[256];
	struct gql_loc locs[2];
	int nlocs;
};
/* Validates doc; returns the number of errors written into errs (at most
 * max). Stops early on limit errors. */
size_t gql_validate(const struct gql_schema *s, const struct gql_limits *lim,
		    const struct gql_document *doc, struct gql_verror *errs, size_t max);

/* ---- introspection (introspect.c) ---- */
extern const struct gql_type_def *const gql_introspection_types[];
int gql_introspect_schema(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			  struct gql_val *o);
int gql_introspect_type(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			struct gql_val *o);
const struct gql_schema *gql_exec_schema(struct gql_exec *ex);

#endif
