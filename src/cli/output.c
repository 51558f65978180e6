#include "cli/cli-internal.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

char *cli__strf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("brink: out of memory\n", stderr);
		abort();
	}
	return s;
}

int cli__output(const struct cli_ctx *ctx, const struct cli_reply *reply, cli_printer print)
{
	if (!ctx->json) {
		if (reply->json && print)
			print(reply->json);
		return CLI_OK;
	}
	const struct cli_buf *b = &reply->body;
	if (b->len == 0) {
		puts("{}");
		return CLI_OK;
	}
	fwrite(b->data, 1, b->len, stdout);
	if (b->data[b->len - 1] != '\n')
		putchar('\n');
	return CLI_OK;
}

/* Copies s, replacing C0 and C1 control characters (terminal escapes) by '?'. */
static char *clean(const char *s)
{
	char *out = cli__strf("%s", s);
	for (unsigned char *c = (unsigned char *)out; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
		else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
			c[0] = c[1] = '?';
	}
	return out;
}

static char *show_array(json_t *a)
{
	if (json_array_size(a) == 0)
		return cli__strf("-");
	char *out = NULL;
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		_cleanup_free_ char *item = cli__show(v);
		char *next = cli__strf("%s%s%s", out ? out : "", out ? ", " : "", item);
		free(out);
		out = next;
	}
	return out;
}

/* {"a":1,"b":"x"} reads "a 1, b x"; nested objects stay JSON. */
static char *show_object(json_t *o)
{
	char *out = NULL;
	const char *name;
	json_t *v;
	json_object_foreach (o, name, v) {
		_cleanup_free_ char *n = clean(name);
		_cleanup_free_ char *item = json_is_object(v) || json_is_array(v)
						    ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)
						    : cli__show(v);
		_cleanup_free_ char *shown = clean(item ? item : "?");
		char *next = cli__strf("%s%s%s %s", out ? out : "", out ? ", " : "", n, shown);
		free(out);
		out = next;
	}
	return out ? out : cli__strf("-");
}

char *cli__show(json_t *v)
{
	if (!v)
		return cli__strf("-");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) ? clean(json_string_value(v)) : cli__strf("-");
	case JSON_INTEGER:
		return cli__strf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return cli__strf("%g", json_real_value(v));
	case JSON_TRUE:
		return cli__strf("yes");
	case JSON_FALSE:
		return cli__strf("no");
	case JSON_ARRAY:
		return show_array(v);
	case JSON_OBJECT:
		return show_object(v);
	case JSON_NULL:
	default:
		return cli__strf("-");
	}
}

char *cli__show_time(json_t *v)
{
	if (!json_is_integer(v))
		return cli__show(v);
	time_t t = (time_t)json_integer_value(v);
	struct tm tm;
	char buf[64];
	if (t <= 0)
		return cli__strf("never");
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		return cli__show(v);
	return cli__strf("%s", buf);
}

char *cli__show_field(json_t *obj, const char *field)
{
	return cli__show(json_object_get(obj, field));
}

void cli__kv(const char *label, const char *fmt, ...)
{
	va_list ap;
	printf("%-12s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool listed(const char *name, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

void cli__kv_rest(json_t *obj, const char *const *skip)
{
	const char *name;
	json_t *v;
	json_object_foreach (obj, name, v) {
		if (listed(name, skip))
			continue;
		_cleanup_free_ char *label = clean(name);
		_cleanup_free_ char *val = cli__show(v);
		cli__kv(label, "%s", val);
	}
}

/* Columns a cell takes on a terminal: UTF-8 continuation bytes take none. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_row(size_t ncols, const char *const *cells, const size_t *widths)
{
	for (size_t c = 0; c < ncols; c++) {
		bool last = c + 1 == ncols;
		fputs(cells[c], stdout);
		for (size_t pad = width(cells[c]); !last && pad < widths[c] + 2; pad++)
			putchar(' ');
	}
	putchar('\n');
}

void cli__table(size_t ncols, const char *const *head, char **cells, size_t nrows)
{
	_cleanup_free_ size_t *widths = calloc(ncols, sizeof(*widths));
	if (!widths)
		return;
	for (size_t c = 0; c < ncols; c++) {
		widths[c] = width(head[c]);
		for (size_t r = 0; r < nrows; r++) {
			size_t w = width(cells[r * ncols + c]);
			widths[c] = w > widths[c] ? w : widths[c];
		}
	}
	print_row(ncols, head, widths);
	for (size_t r = 0; r < nrows; r++)
		print_row(ncols, (const char *const *)&cells[r * ncols], widths);
}
