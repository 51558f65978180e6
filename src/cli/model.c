/* brink model add|ls|show|rm: the tenant's models (analyze services). */
#include "cli/cli-internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL_FILE_MAX (256u << 20) /* brinkd's own limit is models.max_bytes */

enum { OPT_NAME = 256, OPT_FORMAT };

static const struct option add_opts[] = {
	{"name", required_argument, NULL, OPT_NAME},
	{"format", required_argument, NULL, OPT_FORMAT},
	{NULL, 0, NULL, 0},
};

/* Reads the whole file at path (at most MODEL_FILE_MAX bytes). */
static int read_file(const char *path, struct cli_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;
	if (!f)
		return cli__fail(CLI_EUSAGE, "cannot open %s: %s", path, strerror(errno));
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = cli__buf_append(out, chunk, n, MODEL_FILE_MAX);
	if (rc == 0 && ferror(f))
		rc = cli__fail(CLI_EUSAGE, "cannot read %s", path);
	else if (rc < 0)
		rc = cli__fail(CLI_EUSAGE, "%s is larger than %u MiB", path, MODEL_FILE_MAX >> 20);
	fclose(f);
	return rc;
}

/* The format from the file name: .h5 / .hdf5 / .keras are HDF5, else rules. */
static const char *guess_format(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0 || strcmp(dot, ".keras") == 0))
		return "h5";
	return "rules";
}

/* The default name: the file's base name without its extension. */
static char *default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name = cli__strf("%s", base ? base + 1 : path);
	char *dot = strrchr(name, '.');
	if (dot && dot != name)
		*dot = '\0';
	return name;
}

static void print_model(json_t *m)
{
	static const char *const fields[] = {"id", "name", "format", "size", "inputs", "outputs"};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(fields); i++) {
		_cleanup_free_ char *v = cli__show_field(m, fields[i]);
		cli__kv(fields[i], "%s", v);
	}
	_cleanup_free_ char *created = cli__show_time(json_object_get(m, "created"));
	cli__kv("created", "%s", created);
	json_t *summary = json_object_get(m, "summary");
	_cleanup_free_ char *text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
	if (text)
		cli__kv("summary", "%s", text);
}

static void print_added(json_t *m)
{
	_cleanup_free_ char *name = cli__show_field(m, "name");
	_cleanup_free_ char *id = cli__show_field(m, "id");
	printf("Added model %s (id %s).\n", name, id);
	print_model(m);
}

static void print_models(json_t *o)
{
	static const char *const head[] = {"ID", "NAME", "FORMAT", "INPUTS", "OUTPUTS", "SIZE"};
	static const char *const fields[] = {"id", "name", "format", "inputs", "outputs", "size"};
	json_t *models = json_object_get(o, "models"), *m;
	size_t n = json_array_size(models), i;
	if (n == 0) {
		puts("No models. Add one with: brink model add FILE");
		return;
	}
	_cleanup_free_ char **cells = calloc(n * 6, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach (models, i, m)
		for (size_t c = 0; c < 6; c++)
			cells[i * 6 + c] = cli__show_field(m, fields[c]);
	cli__table(6, head, cells, n);
	for (i = 0; i < n * 6; i++)
		free(cells[i]);
}

static int run_add(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = NULL, *format = NULL, *arg;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, add_opts, &arg)) != -1)
		if (c == '?')
			return CLI_EUSAGE;
		else if (c == OPT_NAME)
			name = arg;
		else if (c == OPT_FORMAT)
			format = arg;
	if (cli__positional(ctx, argc, argv, 1, &pos) != CLI_OK)
		return CLI_EUSAGE;
	if (format && strcmp(format, "h5") != 0 && strcmp(format, "rules") != 0)
		return cli__usage(ctx, "--format is h5 or rules, not '%s'", format);
	struct cli_buf file = {0};
	int rc = read_file(pos[0], &file);
	_cleanup_free_ char *dflt = name ? NULL : default_name(pos[0]);
	char *ename = curl_easy_escape(NULL, name ? name : dflt, 0);
	_cleanup_free_ char *path = cli__strf("/v1/models?name=%s&format=%s", ename ? ename : "",
					      format ? format : guess_format(pos[0]));
	curl_free(ename);
	_cleanup_reply_ struct cli_reply r = {0};
	if (rc == CLI_OK)
		rc = cli__call_raw(ctx, path, file.data ? file.data : "", file.len, &r);
	free(file.data);
	return rc ? rc : cli__output(ctx, &r, print_added);
}

static int run_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__resource_list(ctx, argc, argv, "/v1/models", print_models);
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__resource_show(ctx, argc, argv, "/v1/models", print_model);
}

static int run_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	return rc ? rc : cli__resource_remove(ctx, "/v1/models", pos[0], NULL, "model");
}

static const struct cli_cmd add_cmd = {
	.name = "add",
	.usage = "model add FILE [--name NAME] [--format h5|rules]",
	.summary = "upload a model (checked in the sandbox first); prints its id",
	.help = "  --name NAME     the model's name (default: the file's name without extension)\n"
		"  --format F      h5 (a Keras HDF5 file) or rules (an expression such as\n"
		"                  'temp > 30 || hum > 60'); default: h5 for .h5/.hdf5/.keras\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_add,
};

static const struct cli_cmd ls_cmd = {
	.name = "list",
	.usage = "model list",
	.summary = "list the tenant's models",
	.flags = CLI_NEEDS_KEY,
	.run = run_ls,
};

static const struct cli_cmd ls_alias_cmd = {
	.name = "ls",
	.usage = "model ls",
	.summary = "the same as model list",
	.flags = CLI_NEEDS_KEY,
	.run = run_ls,
};

static const struct cli_cmd show_cmd = {
	.name = "show",
	.usage = "model show ID",
	.summary = "show one model and its summary",
	.flags = CLI_NEEDS_KEY,
	.run = run_show,
};

static const struct cli_cmd rm_cmd = {
	.name = "rm",
	.usage = "model rm ID",
	.summary = "remove a model (refused while a service uses it)",
	.flags = CLI_NEEDS_KEY,
	.run = run_rm,
};

static const struct cli_cmd *const model_cmds[] = {&add_cmd,  &ls_cmd, &ls_alias_cmd,
						   &show_cmd, &rm_cmd, NULL};

const struct cli_cmd cli__model_cmd = {
	.name = "model",
	.usage = "model COMMAND",
	.summary = "the tenant's models for analyze services",
	.sub = model_cmds,
};
