/* Rule expressions: a recursive-descent parser (C precedence) compiling to a
 * postfix program evaluated on a small stack. Written by hand: the grammar is
 * a dozen lines and no Debian library compiles arithmetic over named fields
 * without also bringing a scripting language into the worker. */
#include "analyze/engine.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RULE_MAX_SRC 4096
#define RULE_MAX_OPS 1024
#define RULE_MAX_DEPTH 64
#define RULE_MAX_FIELDS 64
#define RULE_MAX_NAME 64
#define RULE_MAX_STACK 256

enum op {
	OP_NUM, OP_FIELD, OP_NEG, OP_NOT,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR,
};

struct insn {
	enum op op;
	double num;   /* OP_NUM */
	size_t field; /* OP_FIELD */
};

struct brink_rule {
	size_t nfields, ninsns;
	char *fields[RULE_MAX_FIELDS];
	struct insn insns[];
};

struct parser {
	const char *src, *p;
	int depth, stack, max_stack;
	struct brink_rule *r;
	struct brink_error **err;
};

static int fail(struct parser *ps, const char *at, const char *what)
{
	return brink_error_make(ps->err, BRINK_E_INVALID, "rule: column %zu: %s",
				(size_t)(at - ps->src) + 1, what);
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

/* Appends an instruction; `pops` operands are consumed, one result pushed. */
static int emit(struct parser *ps, enum op op, int pops, double num, size_t field)
{
	if (ps->r->ninsns >= RULE_MAX_OPS)
		return fail(ps, ps->p, "expression too long");
	ps->r->insns[ps->r->ninsns++] = (struct insn){op, num, field};
	ps->stack += 1 - pops;
	if (ps->stack > ps->max_stack)
		ps->max_stack = ps->stack;
	return ps->max_stack > RULE_MAX_STACK ? fail(ps, ps->p, "expression too deep") : 0;
}

static int field_index(struct parser *ps, const char *name, size_t len, const char *at)
{
	struct brink_rule *r = ps->r;
	for (size_t i = 0; i < r->nfields; i++)
		if (strlen(r->fields[i]) == len && memcmp(r->fields[i], name, len) == 0)
			return (int)i;
	if (r->nfields >= RULE_MAX_FIELDS)
		return fail(ps, at, "too many fields");
	if (!(r->fields[r->nfields] = strndup(name, len)))
		return brink_error_make(ps->err, BRINK_E_INTERNAL, "rule: out of memory");
	return (int)r->nfields++;
}

static int parse_number(struct parser *ps)
{
	const char *start = ps->p;
	char buf[64];
	size_t n = 0;
	while (isdigit((unsigned char)*ps->p) || *ps->p == '.' ||
	       ((*ps->p == 'e' || *ps->p == 'E') && n > 0) ||
	       ((*ps->p == '+' || *ps->p == '-') && n > 0 && (ps->p[-1] == 'e' || ps->p[-1] == 'E'))) {
		if (n + 1 >= sizeof(buf))
			return fail(ps, start, "number too long");
		buf[n++] = *ps->p++;
	}
	buf[n] = 0;
	char *end;
	double v = strtod(buf, &end);
	if (*end || !isfinite(v))
		return fail(ps, start, "malformed number");
	return emit(ps, OP_NUM, 0, v, 0);
}

static int parse_field(struct parser *ps)
{
	const char *start = ps->p;
	while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.')
		ps->p++;
	size_t len = (size_t)(ps->p - start);
	if (len > RULE_MAX_NAME)
		return fail(ps, start, "field name too long");
	int i = field_index(ps, start, len, start);
	return i < 0 ? -1 : emit(ps, OP_FIELD, 0, 0, (size_t)i);
}

static int parse_binary(struct parser *ps, int level);

static int parse_unary(struct parser *ps)
{
	skip_space(ps);
	const char *at = ps->p;
	if (++ps->depth > RULE_MAX_DEPTH)
		return fail(ps, at, "expression nested too deeply");
	int rc;
	if (*at == '-' || (*at == '!' && at[1] != '=')) {
		ps->p++;
		rc = parse_unary(ps);
		if (rc == 0)
			rc = emit(ps, *at == '-' ? OP_NEG : OP_NOT, 1, 0, 0);
	} else if (*at == '(') {
		ps->p++;
		rc = parse_binary(ps, 0);
		skip_space(ps);
		if (rc == 0 && *ps->p != ')')
			rc = fail(ps, ps->p, "expected ')'");
		ps->p += rc == 0;
	} else if (isdigit((unsigned char)*at) || (*at == '.' && isdigit((unsigned char)at[1]))) {
		rc = parse_number(ps);
	} else if (isalpha((unsigned char)*at) || *at == '_') {
		rc = parse_field(ps);
	} else {
		rc = fail(ps, at, *at ? "expected a number, a field, '(', '-' or '!'" :
					"unexpected end of rule");
	}
	ps->depth--;
	return rc;
}

struct binop {
	const char *text;
	int level;
	enum op op;
};

/* Longer spellings first so that "<=" is not read as "<". */
static const struct binop binops[] = {
	{"||", 1, OP_OR}, {"&&", 2, OP_AND}, {"==", 3, OP_EQ}, {"!=", 3, OP_NE},
	{"<=", 4, OP_LE}, {">=", 4, OP_GE},  {"<", 4, OP_LT},  {">", 4, OP_GT},
	{"+", 5, OP_ADD}, {"-", 5, OP_SUB},  {"*", 6, OP_MUL}, {"/", 6, OP_DIV},
	{"%", 6, OP_MOD},
};

static const struct binop *peek_binop(struct parser *ps)
{
	skip_space(ps);
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(binops); i++)
		if (strncmp(ps->p, binops[i].text, strlen(binops[i].text)) == 0)
			return &binops[i];
	return NULL;
}

/* Precedence climbing: parses operators of level > `level`, left-associative. */
static int parse_binary(struct parser *ps, int level)
{
	if (parse_unary(ps) < 0)
		return -1;
	const struct binop *b;
	while ((b = peek_binop(ps)) && b->level > level) {
		ps->p += strlen(b->text);
		if (++ps->depth > RULE_MAX_DEPTH)
			return fail(ps, ps->p, "expression nested too deeply");
		int rc = parse_binary(ps, b->level);
		ps->depth--;
		if (rc < 0 || emit(ps, b->op, 2, 0, 0) < 0)
			return -1;
	}
	return 0;
}

int brink_rule_compile(const char *src, struct brink_rule **out, struct brink_error **err)
{
	*out = NULL;
	size_t len = strnlen(src, RULE_MAX_SRC + 1);
	if (len > RULE_MAX_SRC)
		return brink_error_make(err, BRINK_E_TOO_LARGE, "rule: longer than %d characters",
					RULE_MAX_SRC);
	struct brink_rule *r = calloc(1, sizeof(*r) + RULE_MAX_OPS * sizeof(struct insn));
	if (!r)
		return brink_error_make(err, BRINK_E_INTERNAL, "rule: out of memory");
	struct parser ps = {.src = src, .p = src, .r = r, .err = err};
	int rc = parse_binary(&ps, 0);
	skip_space(&ps);
	if (rc == 0 && *ps.p)
		rc = fail(&ps, ps.p, "unexpected character");
	if (rc < 0) {
		brink_rule_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

size_t brink_rule_fields(const struct brink_rule *r)
{
	return r->nfields;
}

const char *brink_rule_field(const struct brink_rule *r, size_t i)
{
	return i < r->nfields ? r->fields[i] : NULL;
}

static double apply(enum op op, double a, double b)
{
	switch (op) {
	case OP_ADD: return a + b;
	case OP_SUB: return a - b;
	case OP_MUL: return a * b;
	case OP_DIV: return a / b;
	case OP_MOD: return fmod(a, b);
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_AND: return a != 0 && b != 0;
	case OP_OR: return a != 0 || b != 0;
	default: return NAN;
	}
}

double brink_rule_eval(const struct brink_rule *r, const double *values)
{
	double stack[RULE_MAX_STACK + 1];
	size_t sp = 0;
	for (size_t i = 0; i < r->ninsns; i++) {
		const struct insn *in = &r->insns[i];
		switch (in->op) {
		case OP_NUM: stack[sp++] = in->num; break;
		case OP_FIELD: stack[sp++] = values[in->field]; break;
		case OP_NEG: stack[sp - 1] = -stack[sp - 1]; break;
		case OP_NOT: stack[sp - 1] = stack[sp - 1] == 0; break;
		default:
			sp--;
			stack[sp - 1] = apply(in->op, stack[sp - 1], stack[sp]);
		}
	}
	return sp ? stack[0] : NAN;
}

void brink_rule_free(struct brink_rule *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r);
}
