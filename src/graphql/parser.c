/* GraphQL executable documents (spec section 2, October 2021): recursive
 * descent over the lexer, nesting bounded, everything in the arena. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graphql/gql-internal.h"

struct parser {
	struct gql_lexer lx;
	struct gql_arena *arena;
	int depth, max_depth;
	char *msg;
	size_t msglen;
	struct gql_loc *errloc;
	enum gql_parse_status status;
};

static const char *tok_desc(struct parser *ps, char *buf, size_t len)
{
	static const char *const names[] = {
		[T_EOF] = "<EOF>", [T_BANG] = "\"!\"", [T_DOLLAR] = "\"$\"", [T_AMP] = "\"&\"",
		[T_LPAREN] = "\"(\"", [T_RPAREN] = "\")\"", [T_SPREAD] = "\"...\"", [T_COLON] = "\":\"",
		[T_EQUALS] = "\"=\"", [T_AT] = "\"@\"", [T_LBRACKET] = "\"[\"", [T_RBRACKET] = "\"]\"",
		[T_LBRACE] = "\"{\"", [T_PIPE] = "\"|\"", [T_RBRACE] = "\"}\"",
	};
	struct gql_lexer *lx = &ps->lx;
	switch (lx->tok) {
	case T_NAME:
		snprintf(buf, len, "Name \"%.*s\"", (int)(lx->len > 60 ? 60 : lx->len), lx->start);
		return buf;
	case T_INT:
	case T_FLOAT:
		snprintf(buf, len, "%s \"%.*s\"", lx->tok == T_INT ? "Int" : "Float",
			 (int)(lx->len > 60 ? 60 : lx->len), lx->start);
		return buf;
	case T_STRING:
	case T_BLOCK_STRING:
		return lx->tok == T_STRING ? "String" : "BlockString";
	default:
		return lx->tok < T_NAME ? names[lx->tok] : "?";
	}
}

static int syntax(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int syntax(struct parser *ps, const char *fmt, ...)
{
	if (ps->status != GQL_PARSE_OK)
		return -1;
	char body[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(ps->msg, ps->msglen, "Syntax Error: %s", body);
	*ps->errloc = ps->lx.loc;
	ps->status = GQL_PARSE_SYNTAX;
	return -1;
}

/* Reports the lexer's error, or "Expected X, found Y". */
static int unexpected(struct parser *ps, const char *expected)
{
	char buf[100];
	if (ps->lx.tok == T_ERROR) {
		if (ps->lx.limit_hit) {
			snprintf(ps->msg, ps->msglen, "%s", ps->lx.err);
			*ps->errloc = ps->lx.loc;
			ps->status = GQL_PARSE_LIMIT;
			return -1;
		}
		return syntax(ps, "%s", ps->lx.err);
	}
	if (!expected)
		return syntax(ps, "Unexpected %s.", tok_desc(ps, buf, sizeof(buf)));
	return syntax(ps, "Expected %s, found %s.", expected, tok_desc(ps, buf, sizeof(buf)));
}

static int nomem(struct parser *ps)
{
	if (ps->status == GQL_PARSE_OK) {
		snprintf(ps->msg, ps->msglen, "out of memory");
		ps->status = GQL_PARSE_NOMEM;
	}
	return -1;
}

static int advance(struct parser *ps)
{
	return gql_lex_next(&ps->lx) == T_ERROR ? unexpected(ps, NULL) : 0;
}

static bool peek(struct parser *ps, enum gql_tok t)
{
	return ps->lx.tok == t;
}

static bool peek_keyword(struct parser *ps, const char *kw)
{
	return ps->lx.tok == T_NAME && ps->lx.len == strlen(kw) && memcmp(ps->lx.start, kw, ps->lx.len) == 0;
}

static int expect(struct parser *ps, enum gql_tok t, const char *what)
{
	if (!peek(ps, t))
		return unexpected(ps, what);
	return advance(ps);
}

/* "optional": consumes t when it is next. */
static bool skip(struct parser *ps, enum gql_tok t)
{
	if (!peek(ps, t))
		return false;
	advance(ps);
	return true;
}

static const char *parse_name(struct parser *ps)
{
	if (!peek(ps, T_NAME)) {
		unexpected(ps, "Name");
		return NULL;
	}
	char *n = gql_arena_strndup(ps->arena, ps->lx.start, ps->lx.len);
	if (!n) {
		nomem(ps);
		return NULL;
	}
	return advance(ps) < 0 ? NULL : n;
}

static int enter(struct parser *ps)
{
	if (++ps->depth > ps->max_depth) {
		snprintf(ps->msg, ps->msglen, "Document nested deeper than %d levels: parsing aborted.",
			 ps->max_depth);
		*ps->errloc = ps->lx.loc;
		ps->status = GQL_PARSE_LIMIT;
		return -1;
	}
	return 0;
}

/* Appends one zeroed element to an arena array, doubling it when full. */
static void *push(struct parser *ps, void **items, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *ni = gql_arena_alloc(ps->arena, ncap * size);
		if (!ni) {
			nomem(ps);
			return NULL;
		}
		if (*n)
			memcpy(ni, *items, *n * size);
		*items = ni;
		*cap = ncap;
	}
	return (char *)*items + (*n)++ * size;
}
#define PUSH(ps, arr, n, cap) push((ps), (void **)&(arr), &(n), &(cap), sizeof(*(arr)))

static int parse_value(struct parser *ps, bool is_const, struct gql_value *v);

static int parse_list_value(struct parser *ps, bool is_const, struct gql_value *v)
{
	size_t cap = 0;
	v->kind = GV_LIST;
	if (enter(ps) < 0 || advance(ps) < 0)
		return -1;
	while (!skip(ps, T_RBRACKET)) {
		if (ps->status)
			return -1;
		struct gql_value *item = PUSH(ps, v->items, v->n, cap);
		if (!item || parse_value(ps, is_const, item) < 0)
			return -1;
	}
	ps->depth--;
	return ps->status ? -1 : 0;
}

static int parse_object_value(struct parser *ps, bool is_const, struct gql_value *v)
{
	size_t cap = 0;
	v->kind = GV_OBJECT;
	if (enter(ps) < 0 || advance(ps) < 0)
		return -1;
	while (!skip(ps, T_RBRACE)) {
		if (ps->status)
			return -1;
		struct gql_value *f = PUSH(ps, v->items, v->n, cap);
		if (!f)
			return -1;
		struct gql_loc loc = ps->lx.loc;
		if (!(f->name = parse_name(ps)) || expect(ps, T_COLON, "\":\"") < 0 ||
		    parse_value(ps, is_const, f) < 0)
			return -1;
		f->loc = loc;
	}
	ps->depth--;
	return ps->status ? -1 : 0;
}

static int parse_scalar_token(struct parser *ps, struct gql_value *v)
{
	struct gql_lexer *lx = &ps->lx;
	if (lx->tok == T_STRING || lx->tok == T_BLOCK_STRING) {
		v->kind = GV_STRING;
		v->str = lx->str;
		v->len = lx->str_len;
		return advance(ps);
	}
	if (lx->tok == T_INT || lx->tok == T_FLOAT) {
		v->kind = lx->tok == T_INT ? GV_INT : GV_FLOAT;
	} else if (peek_keyword(ps, "true") || peek_keyword(ps, "false")) {
		v->kind = GV_BOOL;
		v->b = lx->start[0] == 't';
	} else if (peek_keyword(ps, "null")) {
		v->kind = GV_NULL;
	} else {
		v->kind = GV_ENUM;
	}
	v->str = gql_arena_strndup(ps->arena, lx->start, lx->len);
	v->len = lx->len;
	return v->str ? advance(ps) : nomem(ps);
}

static int parse_value(struct parser *ps, bool is_const, struct gql_value *v)
{
	const char *saved = v->name;
	memset(v, 0, sizeof(*v));
	v->name = saved;
	v->loc = ps->lx.loc;
	switch (ps->lx.tok) {
	case T_LBRACKET:
		return parse_list_value(ps, is_const, v);
	case T_LBRACE:
		return parse_object_value(ps, is_const, v);
	case T_DOLLAR:
		if (is_const)
			return unexpected(ps, NULL);
		v->kind = GV_VAR;
		if (advance(ps) < 0 || !(v->str = parse_name(ps)))
			return -1;
		v->len = strlen(v->str);
		return 0;
	case T_INT:
	case T_FLOAT:
	case T_STRING:
	case T_BLOCK_STRING:
		return parse_scalar_token(ps, v);
	case T_NAME:
		return parse_scalar_token(ps, v);
	default:
		return unexpected(ps, NULL);
	}
}

static int parse_arguments(struct parser *ps, bool is_const, struct gql_arg **args, size_t *n)
{
	size_t cap = 0;
	if (!skip(ps, T_LPAREN))
		return ps->status ? -1 : 0;
	do {
		struct gql_arg *a = PUSH(ps, *args, *n, cap);
		if (!a)
			return -1;
		a->loc = ps->lx.loc;
		if (!(a->name = parse_name(ps)) || expect(ps, T_COLON, "\":\"") < 0 ||
		    parse_value(ps, is_const, &a->value) < 0)
			return -1;
	} while (!skip(ps, T_RPAREN) && !ps->status);
	return ps->status ? -1 : 0;
}

static int parse_directives(struct parser *ps, bool is_const, struct gql_directive **dirs,
			    size_t *n)
{
	size_t cap = 0;
	while (peek(ps, T_AT)) {
		struct gql_directive *d = PUSH(ps, *dirs, *n, cap);
		if (!d)
			return -1;
		d->loc = ps->lx.loc;
		if (advance(ps) < 0 || !(d->name = parse_name(ps)) ||
		    parse_arguments(ps, is_const, &d->args, &d->nargs) < 0)
			return -1;
	}
	return ps->status ? -1 : 0;
}

static struct gql_selset *parse_selection_set(struct parser *ps);

static int parse_fragment_selection(struct parser *ps, struct gql_selection *s)
{
	if (advance(ps) < 0)
		return -1;
	if (peek(ps, T_NAME) && !peek_keyword(ps, "on")) {
		s->kind = SEL_SPREAD;
		if (!(s->name = parse_name(ps)))
			return -1;
		return parse_directives(ps, false, &s->dirs, &s->ndirs);
	}
	s->kind = SEL_INLINE;
	if (peek_keyword(ps, "on")) {
		if (advance(ps) < 0 || !(s->type_cond = parse_name(ps)))
			return -1;
	}
	if (parse_directives(ps, false, &s->dirs, &s->ndirs) < 0)
		return -1;
	return (s->sel = parse_selection_set(ps)) ? 0 : -1;
}

static int parse_field(struct parser *ps, struct gql_selection *s)
{
	s->kind = SEL_FIELD;
	if (!(s->name = parse_name(ps)))
		return -1;
	if (skip(ps, T_COLON)) {
		s->alias = s->name;
		if (!(s->name = parse_name(ps)))
			return -1;
	}
	if (ps->status || parse_arguments(ps, false, &s->args, &s->nargs) < 0 ||
	    parse_directives(ps, false, &s->dirs, &s->ndirs) < 0)
		return -1;
	if (peek(ps, T_LBRACE) && !(s->sel = parse_selection_set(ps)))
		return -1;
	return 0;
}

static struct gql_selset *parse_selection_set(struct parser *ps)
{
	struct gql_selset *ss = gql_arena_alloc(ps->arena, sizeof(*ss));
	size_t cap = 0;
	if (!ss) {
		nomem(ps);
		return NULL;
	}
	ss->loc = ps->lx.loc;
	if (enter(ps) < 0 || expect(ps, T_LBRACE, "\"{\"") < 0)
		return NULL;
	do {
		struct gql_selection *s = PUSH(ps, ss->items, ss->n, cap);
		if (!s)
			return NULL;
		s->loc = ps->lx.loc;
		int rc = peek(ps, T_SPREAD) ? parse_fragment_selection(ps, s) : parse_field(ps, s);
		if (rc < 0)
			return NULL;
	} while (!skip(ps, T_RBRACE) && !ps->status);
	ps->depth--;
	return ps->status ? NULL : ss;
}

static struct gql_tref_ast *parse_type(struct parser *ps)
{
	struct gql_tref_ast *t = gql_arena_alloc(ps->arena, sizeof(*t));
	if (!t) {
		nomem(ps);
		return NULL;
	}
	t->loc = ps->lx.loc;
	if (skip(ps, T_LBRACKET)) {
		t->kind = TR_LIST;
		if (enter(ps) < 0 || !(t->of = parse_type(ps)) || expect(ps, T_RBRACKET, "\"]\"") < 0)
			return NULL;
		ps->depth--;
	} else {
		t->kind = TR_NAMED;
		if (!(t->name = parse_name(ps)))
			return NULL;
	}
	if (skip(ps, T_BANG)) {
		struct gql_tref_ast *nn = gql_arena_alloc(ps->arena, sizeof(*nn));
		if (!nn) {
			nomem(ps);
			return NULL;
		}
		nn->kind = TR_NONNULL;
		nn->of = t;
		nn->loc = t->loc;
		return nn;
	}
	return ps->status ? NULL : t;
}

static int parse_variable_definitions(struct parser *ps, struct gql_definition *d)
{
	size_t cap = 0;
	if (!skip(ps, T_LPAREN))
		return ps->status ? -1 : 0;
	do {
		struct gql_vardef *v = PUSH(ps, d->vars, d->nvars, cap);
		if (!v)
			return -1;
		v->loc = ps->lx.loc;
		if (expect(ps, T_DOLLAR, "\"$\"") < 0 || !(v->name = parse_name(ps)) ||
		    expect(ps, T_COLON, "\":\"") < 0 || !(v->type = parse_type(ps)))
			return -1;
		if (skip(ps, T_EQUALS)) {
			if (!(v->def = gql_arena_alloc(ps->arena, sizeof(*v->def))))
				return nomem(ps);
			if (parse_value(ps, true, v->def) < 0)
				return -1;
		}
		if (parse_directives(ps, true, &v->dirs, &v->ndirs) < 0)
			return -1;
	} while (!skip(ps, T_RPAREN) && !ps->status);
	return ps->status ? -1 : 0;
}

static int parse_operation(struct parser *ps, struct gql_definition *d)
{
	d->kind = DEF_OPERATION;
	if (peek(ps, T_LBRACE)) {
		d->op = OP_QUERY;
		return (d->sel = parse_selection_set(ps)) ? 0 : -1;
	}
	d->op = peek_keyword(ps, "query") ? OP_QUERY
		: peek_keyword(ps, "mutation") ? OP_MUTATION : OP_SUBSCRIPTION;
	if (advance(ps) < 0)
		return -1;
	if (peek(ps, T_NAME) && !(d->name = parse_name(ps)))
		return -1;
	if (parse_variable_definitions(ps, d) < 0 || parse_directives(ps, false, &d->dirs, &d->ndirs) < 0)
		return -1;
	return (d->sel = parse_selection_set(ps)) ? 0 : -1;
}

static int parse_fragment(struct parser *ps, struct gql_definition *d)
{
	d->kind = DEF_FRAGMENT;
	if (advance(ps) < 0)
		return -1;
	if (peek_keyword(ps, "on"))
		return unexpected(ps, NULL);
	if (!(d->name = parse_name(ps)))
		return -1;
	if (!peek_keyword(ps, "on"))
		return unexpected(ps, "\"on\"");
	if (advance(ps) < 0 || !(d->type_cond = parse_name(ps)) ||
	    parse_directives(ps, false, &d->dirs, &d->ndirs) < 0)
		return -1;
	return (d->sel = parse_selection_set(ps)) ? 0 : -1;
}

static int parse_definition(struct parser *ps, struct gql_definition *d)
{
	d->loc = ps->lx.loc;
	if (peek(ps, T_LBRACE) || peek_keyword(ps, "query") || peek_keyword(ps, "mutation") ||
	    peek_keyword(ps, "subscription"))
		return parse_operation(ps, d);
	if (peek_keyword(ps, "fragment"))
		return parse_fragment(ps, d);
	/* type system definitions and extensions are not executable */
	return unexpected(ps, NULL);
}

enum gql_parse_status gql_parse(const char *src, size_t len, const struct gql_limits *lim,
				struct gql_arena *arena, struct gql_document *doc, char *msg,
				size_t msglen, struct gql_loc *loc)
{
	struct parser ps = {.arena = arena, .max_depth = lim->max_nesting, .msg = msg,
			    .msglen = msglen, .errloc = loc};
	size_t cap = 0;
	memset(doc, 0, sizeof(*doc));
	*loc = (struct gql_loc){1, 1};
	if (len > lim->max_doc) {
		snprintf(msg, msglen, "Document is larger than %zu bytes.", lim->max_doc);
		return GQL_PARSE_LIMIT;
	}
	gql_lex_init(&ps.lx, src, len, lim->max_tokens, arena);
	if (advance(&ps) < 0)
		return ps.status;
	do {
		struct gql_definition *d = PUSH(&ps, doc->defs, doc->n, cap);
		if (!d || parse_definition(&ps, d) < 0)
			return ps.status ? ps.status : GQL_PARSE_SYNTAX;
	} while (!peek(&ps, T_EOF));
	return GQL_PARSE_OK;
}

int gql_parse_const_value(const char *src, struct gql_arena *arena, struct gql_value *out)
{
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	char msg[160];
	struct gql_loc loc;
	struct parser ps = {.arena = arena, .max_depth = lim.max_nesting, .msg = msg,
			    .msglen = sizeof(msg), .errloc = &loc};
	gql_lex_init(&ps.lx, src, strlen(src), lim.max_tokens, arena);
	if (advance(&ps) < 0 || parse_value(&ps, true, out) < 0 || !peek(&ps, T_EOF))
		return -1;
	return 0;
}
