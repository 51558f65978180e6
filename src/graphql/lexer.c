/* GraphQL's lexical grammar (spec section 2.1, October 2021), with the
 * variable-width \u{...} escape graphql-js also accepts. */
#include <stdio.h>
#include <string.h>

#include "graphql/gql-internal.h"

void gql_lex_init(struct gql_lexer *lx, const char *src, size_t len, size_t max_tokens,
		  struct gql_arena *arena)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = lx->p = lx->line_start = src;
	lx->end = src + len;
	lx->line = 1;
	lx->max_tokens = max_tokens;
	lx->arena = arena;
}

static enum gql_tok fail(struct gql_lexer *lx, const char *fmt, const char *at)
{
	lx->loc.line = lx->line;
	lx->loc.col = (uint32_t)(at - lx->line_start) + 1;
	unsigned char c = at < lx->end ? (unsigned char)*at : 0;
	if (at >= lx->end)
		snprintf(lx->err, sizeof(lx->err), fmt, "<EOF>");
	else if (c >= 0x20 && c < 0x7f) {
		char ch[4] = {'"', (char)c, '"', 0};
		snprintf(lx->err, sizeof(lx->err), fmt, ch);
	} else {
		char hex[12];
		snprintf(hex, sizeof(hex), "0x%02X", c);
		snprintf(lx->err, sizeof(lx->err), fmt, hex);
	}
	return lx->tok = T_ERROR;
}

static void newline(struct gql_lexer *lx, const char *after)
{
	lx->line++;
	lx->line_start = after;
}

/* Skips whitespace, line terminators, commas, comments and the BOM. */
static void skip_ignored(struct gql_lexer *lx)
{
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		if (c == ' ' || c == '\t' || c == ',') {
			lx->p++;
		} else if (c == '\n') {
			newline(lx, ++lx->p);
		} else if (c == '\r') {
			lx->p += (lx->p + 1 < lx->end && lx->p[1] == '\n') ? 2 : 1;
			newline(lx, lx->p);
		} else if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r')
				lx->p++;
		} else if (c == 0xEF && lx->end - lx->p >= 3 && (unsigned char)lx->p[1] == 0xBB &&
			   (unsigned char)lx->p[2] == 0xBF) {
			lx->p += 3;
		} else {
			return;
		}
	}
}

static bool name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *digits(const char *p, const char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

static enum gql_tok lex_number(struct gql_lexer *lx)
{
	const char *p = lx->p, *end = lx->end;
	bool is_float = false;
	if (*p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail(lx, "Invalid number, unexpected digit after 0: %s.", p);
	} else if (p < end && is_digit(*p)) {
		p = digits(p, end);
	} else {
		return fail(lx, "Invalid number, expected digit but got: %s.", p);
	}
	if (p < end && *p == '.') {
		is_float = true;
		p++;
		if (p >= end || !is_digit(*p))
			return fail(lx, "Invalid number, expected digit but got: %s.", p);
		p = digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		is_float = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return fail(lx, "Invalid number, expected digit but got: %s.", p);
		p = digits(p, end);
	}
	if (p < end && (*p == '.' || name_start(*p)))
		return fail(lx, "Invalid number, expected digit but got: %s.", p);
	lx->start = lx->p;
	lx->len = (size_t)(p - lx->p);
	lx->p = p;
	return lx->tok = is_float ? T_FLOAT : T_INT;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads \uXXXX or \u{X...} at p (pointing at 'u'); returns the code point
 * or -1, and the position after it in *next. */
static long read_unicode(const char *p, const char *end, const char **next)
{
	long cp = 0;
	p++;
	if (p < end && *p == '{') {
		int n = 0;
		for (p++; p < end && *p != '}'; p++, n++) {
			int h = hexval(*p);
			if (h < 0 || n >= 8 || (cp = cp * 16 + h) > 0x10FFFF)
				return -1;
		}
		if (p >= end || n == 0)
			return -1;
		*next = p + 1;
		return (cp >= 0xD800 && cp <= 0xDFFF) ? -1 : cp;
	}
	for (int i = 0; i < 4; i++, p++) {
		int h = p < end ? hexval(*p) : -1;
		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	*next = p;
	return cp;
}

/* An escape at p (pointing after the backslash); appends to out. */
static int lex_escape(struct gql_lexer *lx, const char **pp, char *out, size_t *olen)
{
	const char *p = *pp, *end = lx->end;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = p < end && *p ? strchr(from, *p) : NULL;
	if (hit) {
		out[(*olen)++] = to[hit - from];
		*pp = p + 1;
		return 0;
	}
	if (p >= end || *p != 'u')
		return fail(lx, "Invalid character escape sequence: %s.", p) == T_ERROR ? -1 : -1;
	const char *next;
	long cp = read_unicode(p, end, &next);
	if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate needs its low half */
		const char *n2;
		long lo = (next + 1 < end && next[0] == '\\' && next[1] == 'u')
				  ? read_unicode(next + 1, end, &n2)
				  : -1;
		if (lo < 0xDC00 || lo > 0xDFFF)
			cp = -1;
		else {
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			next = n2;
		}
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		cp = -1;
	}
	if (cp < 0) {
		fail(lx, "Invalid Unicode escape sequence at %s.", p - 1);
		return -1;
	}
	*olen += utf8_put(out + *olen, (uint32_t)cp);
	*pp = next;
	return 0;
}

static enum gql_tok lex_string(struct gql_lexer *lx)
{
	const char *p = lx->p + 1, *end = lx->end;
	/* the decoded text is never longer than the source */
	char *out = gql_arena_alloc(lx->arena, (size_t)(end - p) + 4);
	size_t olen = 0;
	if (!out)
		return fail(lx, "Out of memory at %s.", p);
	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c == '\n' || c == '\r')
			return fail(lx, "Unterminated string.", p) ;
		if (c < 0x20 && c != '\t')
			return fail(lx, "Invalid character within String: %s.", p);
		if (c == '\\') {
			p++;
			if (lex_escape(lx, &p, out, &olen) < 0)
				return lx->tok = T_ERROR;
			continue;
		}
		out[olen++] = (char)c;
		p++;
	}
	if (p >= end)
		return fail(lx, "Unterminated string.", p);
	out[olen] = '\0';
	lx->str = out;
	lx->str_len = olen;
	lx->p = p + 1;
	return lx->tok = T_STRING;
}

static bool blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

static size_t indent_of(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Splits raw (escapes already resolved) into lines, removes the common
 * indentation and leading/trailing blank lines (spec: BlockStringValue). */
static size_t block_value(const char *raw, size_t n, char *out, const char **ls, size_t *ll)
{
	size_t nl = 0, common = SIZE_MAX;
	for (size_t i = 0, st = 0; i <= n; i++) {
		if (i == n || raw[i] == '\n' || raw[i] == '\r') {
			ls[nl] = raw + st;
			ll[nl++] = i - st;
			if (i < n && raw[i] == '\r' && i + 1 < n && raw[i + 1] == '\n')
				i++;
			st = i + 1;
		}
	}
	for (size_t i = 1; i < nl; i++) {
		size_t ind = indent_of(ls[i], ll[i]);
		if (ind < ll[i] && ind < common)
			common = ind;
	}
	for (size_t i = 1; i < nl && common != SIZE_MAX; i++) {
		size_t cut = ll[i] < common ? ll[i] : common;
		ls[i] += cut;
		ll[i] -= cut;
	}
	size_t first = 0, last = nl;
	while (first < nl && blank_line(ls[first], ll[first]))
		first++;
	while (last > first && blank_line(ls[last - 1], ll[last - 1]))
		last--;
	size_t o = 0;
	for (size_t i = first; i < last; i++) {
		if (i > first)
			out[o++] = '\n';
		memcpy(out + o, ls[i], ll[i]);
		o += ll[i];
	}
	out[o] = '\0';
	return o;
}

static enum gql_tok lex_block_string(struct gql_lexer *lx)
{
	const char *p = lx->p + 3, *end = lx->end;
	size_t cap = (size_t)(end - p) + 4;
	char *raw = gql_arena_alloc(lx->arena, cap), *out = gql_arena_alloc(lx->arena, cap);
	size_t rlen = 0;
	if (!raw || !out)
		return fail(lx, "Out of memory at %s.", p);
	for (;;) {
		if (p >= end)
			return fail(lx, "Unterminated string.", p);
		if (end - p >= 3 && memcmp(p, "\"\"\"", 3) == 0)
			break;
		if (end - p >= 4 && memcmp(p, "\\\"\"\"", 4) == 0) {
			memcpy(raw + rlen, "\"\"\"", 3);
			rlen += 3;
			p += 4;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return fail(lx, "Invalid character within String: %s.", p);
		if (c == '\n' || (c == '\r' && !(p + 1 < end && p[1] == '\n')))
			newline(lx, p + 1);
		raw[rlen++] = (char)c;
		p++;
	}
	size_t lines = 1;
	for (size_t i = 0; i < rlen; i++)
		lines += raw[i] == '\n' || raw[i] == '\r';
	const char **ls = gql_arena_alloc(lx->arena, lines * sizeof(*ls));
	size_t *ll = gql_arena_alloc(lx->arena, lines * sizeof(*ll));
	if (!ls || !ll)
		return fail(lx, "Out of memory at %s.", p);
	lx->str_len = block_value(raw, rlen, out, ls, ll);
	lx->str = out;
	lx->p = p + 3;
	return lx->tok = T_BLOCK_STRING;
}

static enum gql_tok punctuator(char c)
{
	switch (c) {
	case '!': return T_BANG;
	case '$': return T_DOLLAR;
	case '&': return T_AMP;
	case '(': return T_LPAREN;
	case ')': return T_RPAREN;
	case ':': return T_COLON;
	case '=': return T_EQUALS;
	case '@': return T_AT;
	case '[': return T_LBRACKET;
	case ']': return T_RBRACKET;
	case '{': return T_LBRACE;
	case '|': return T_PIPE;
	case '}': return T_RBRACE;
	default: return T_EOF;
	}
}

enum gql_tok gql_lex_next(struct gql_lexer *lx)
{
	skip_ignored(lx);
	lx->loc.line = lx->line;
	lx->loc.col = (uint32_t)(lx->p - lx->line_start) + 1;
	if (lx->p >= lx->end)
		return lx->tok = T_EOF;
	if (++lx->tokens > lx->max_tokens) {
		lx->limit_hit = true;
		snprintf(lx->err, sizeof(lx->err),
			 "Document contains more than %zu tokens: parsing aborted.", lx->max_tokens);
		return lx->tok = T_ERROR;
	}
	char c = *lx->p;
	enum gql_tok t = punctuator(c);
	if (t != T_EOF) {
		lx->p++;
		return lx->tok = t;
	}
	if (c == '.') {
		if (lx->end - lx->p >= 3 && lx->p[1] == '.' && lx->p[2] == '.') {
			lx->p += 3;
			return lx->tok = T_SPREAD;
		}
		return fail(lx, "Unexpected character: %s.", lx->p);
	}
	if (name_start(c)) {
		const char *p = lx->p + 1;
		while (p < lx->end && (name_start(*p) || is_digit(*p)))
			p++;
		lx->start = lx->p;
		lx->len = (size_t)(p - lx->p);
		lx->p = p;
		return lx->tok = T_NAME;
	}
	if (c == '-' || is_digit(c))
		return lex_number(lx);
	if (c == '"')
		return (lx->end - lx->p >= 3 && lx->p[1] == '"' && lx->p[2] == '"')
			       ? lex_block_string(lx)
			       : lex_string(lx);
	if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
		return fail(lx, "Invalid character: %s.", lx->p);
	return fail(lx, "Unexpected character: %s.", lx->p);
}
