#include "cli/cli-internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum global_id { G_JSON, G_URL, G_KEY, G_HELP, G_VERSION };

struct global_opt {
	const char *name;
	bool has_arg;
	enum global_id id;
};

static const struct global_opt global_opts[] = {
	{"--json", false, G_JSON}, {"--url", true, G_URL},  {"--key", true, G_KEY},
	{"--help", false, G_HELP}, {"-h", false, G_HELP},   {"--version", false, G_VERSION},
};

struct globals {
	const char *url;
	const char *key;
};

static int vfail(int code, const char *fmt, va_list ap)
{
	fputs("brink: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return code;
}

int cli__fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(code, fmt, ap);
	va_end(ap);
	return code;
}

int cli__usage(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(CLI_EUSAGE, fmt, ap);
	va_end(ap);
	if (ctx && ctx->cmd) {
		fprintf(stderr, "usage: brink %s\n", ctx->cmd->usage);
		fprintf(stderr, "Run 'brink %s --help' for more.\n", ctx->path);
	} else {
		fputs("usage: brink [--url URL] [--key KEY] [--json] COMMAND [ARGS...]\n", stderr);
		fputs("Run 'brink help' for the list of commands.\n", stderr);
	}
	return CLI_EUSAGE;
}

/* Returns the option argv[*i] names (taking its value, maybe from the next
 * word), NULL if it is not a global option, or sets *bad on a missing value. */
static const struct global_opt *match_global(int argc, char **argv, int *i, const char **val,
					     bool *bad)
{
	const char *a = argv[*i];
	for (size_t k = 0; k < BRINK_ARRAY_SIZE(global_opts); k++) {
		const struct global_opt *g = &global_opts[k];
		size_t n = strlen(g->name);
		if (strncmp(a, g->name, n) != 0)
			continue;
		if (a[n] == '\0' && !g->has_arg)
			return g;
		if (a[n] == '=' && g->has_arg) {
			*val = a + n + 1;
			return g;
		}
		if (a[n] == '\0' && g->has_arg) {
			if (*i + 1 >= argc) {
				*bad = true;
				return g;
			}
			*val = argv[++*i];
			return g;
		}
	}
	return NULL;
}

static void apply_global(struct cli_ctx *ctx, struct globals *g, enum global_id id,
			 const char *val)
{
	switch (id) {
	case G_JSON:
		ctx->json = true;
		break;
	case G_URL:
		g->url = val;
		break;
	case G_KEY:
		g->key = val;
		break;
	case G_HELP:
		ctx->help = true;
		break;
	case G_VERSION:
		ctx->version = true;
		break;
	}
}

static const char *env_or(const char *opt, const char *env)
{
	if (opt)
		return opt;
	const char *v = getenv(env);
	return v && *v ? v : NULL;
}

static int set_url(struct cli_ctx *ctx, const char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(ctx->url_buf))
		return cli__usage(NULL, "the URL '%s' is not usable (set BRINK_URL or --url)", url);
	const char *scheme = strstr(url, "://");
	if (scheme && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return cli__usage(NULL, "the URL '%s' is neither http:// nor https://", url);
	memcpy(ctx->url_buf, url, n);
	ctx->url_buf[n] = '\0';
	ctx->url = ctx->url_buf;
	return CLI_OK;
}

int cli__globals(struct cli_ctx *ctx, int *argc, char **argv)
{
	struct globals g = {0};
	int out = 1, i;
	for (i = 1; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		const char *val = NULL;
		bool bad = false;
		const struct global_opt *opt = match_global(*argc, argv, &i, &val, &bad);
		if (bad)
			return cli__usage(NULL, "option '%s' needs a value", opt->name);
		if (opt)
			apply_global(ctx, &g, opt->id, val);
		else
			argv[out++] = argv[i];
	}
	while (i < *argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	*argc = out;
	ctx->key = env_or(g.key, "BRINK_KEY");
	if (ctx->key && !*ctx->key)
		ctx->key = NULL;
	return set_url(ctx, env_or(g.url, "BRINK_URL") ?: CLI_DEFAULT_URL);
}

static const char *option_word(char **argv)
{
	const char *a = argv[optind - 1];
	return a ? a : "?";
}

static void report_bad_option(const struct cli_ctx *ctx, int c, char **argv)
{
	const char *w = option_word(argv);
	if (c == ':')
		cli__usage(ctx, "option '%.*s' needs a value", (int)strcspn(w, "="), w);
	else if (optopt > 0 && optopt < 256)
		cli__usage(ctx, "unknown option '-%c'", optopt);
	else if (optopt >= 256)
		cli__usage(ctx, "option '%.*s' takes no value", (int)strcspn(w, "="), w);
	else
		cli__usage(ctx, "unknown option '%.*s'", (int)strcspn(w, "="), w);
}

int cli__getopt(const struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		const char **optarg_out)
{
	opterr = 0;
	int c = getopt_long(argc, argv, ":", opts, NULL);
	*optarg_out = optarg;
	if (c == ':' || c == '?') {
		report_bad_option(ctx, c, argv);
		return '?';
	}
	return c;
}

int cli__positional(const struct cli_ctx *ctx, int argc, char **argv, int want, char ***pos)
{
	int have = argc - optind;
	if (have < want)
		return cli__usage(ctx, "missing argument");
	if (have > want)
		return cli__usage(ctx, "unexpected argument '%s'", argv[optind + want]);
	*pos = argv + optind;
	return CLI_OK;
}

int cli__args(const struct cli_ctx *ctx, int argc, char **argv, int want, char ***pos)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	const char *arg;
	optind = 0;
	if (cli__getopt(ctx, argc, argv, none, &arg) != -1)
		return CLI_EUSAGE;
	return cli__positional(ctx, argc, argv, want, pos);
}

int cli__parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int cli__parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli__parse_cpu(const char *s, double *min, double *max)
{
	char buf[64];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	double lo, hi;
	if (cli__parse_double(buf, &lo) < 0)
		return -1;
	if (colon && cli__parse_double(colon + 1, &hi) < 0)
		return -1;
	if (!colon)
		hi = lo;
	if (lo < 0 || hi < lo || hi <= 0)
		return -1;
	*min = lo;
	*max = hi;
	return 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

char *cli__id_path(const char *prefix, const char *id, const char *suffix)
{
	if (!*id || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 256)
		return NULL;
	size_t plen = strlen(prefix), slen = suffix ? strlen(suffix) : 0;
	char *p = malloc(plen + 1 + 3 * strlen(id) + slen + 1);
	if (!p)
		return NULL;
	char *w = p + sprintf(p, "%s/", prefix);
	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		w += unreserved(*c) ? sprintf(w, "%c", *c) : sprintf(w, "%%%02X", *c);
	strcpy(w, suffix ? suffix : "");
	return p;
}
