#include "cli/cli-internal.h"

enum { OPT_INFO = 256 };

static const struct option add_opts[] = {
	{"info", required_argument, NULL, OPT_INFO},
	{NULL, 0, NULL, 0},
};

int cli__thing_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out)
{
	const char *info = NULL, *arg;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, add_opts, &arg)) != -1)
		if (c == '?')
			return CLI_EUSAGE;
		else if (c == OPT_INFO)
			info = arg;
	if (cli__positional(ctx, argc, argv, 1, &pos) != CLI_OK)
		return CLI_EUSAGE;
	*out = json_pack("{ss}", "name", pos[0]);
	if (*out && info)
		json_object_set_new(*out, "info", json_string(info));
	return *out ? CLI_OK : cli__fail(CLI_EAPI, "out of memory (or the text is not UTF-8)");
}

static void print_added(json_t *t)
{
	_cleanup_free_ char *name = cli__show_field(t, "name");
	_cleanup_free_ char *id = cli__show_field(t, "id");
	_cleanup_free_ char *key = cli__show_field(t, "key");
	printf("Added thing %s (id %s).\n", name, id);
	printf("Thing key: %s\n", key);
	printf("Keep this key: the thing authenticates with it, and it is shown only once.\n");
}

static void print_thing(json_t *t)
{
	static const char *const shown[] = {"id", "name", "info", "created", "last_seen", NULL};
	_cleanup_free_ char *id = cli__show_field(t, "id");
	_cleanup_free_ char *name = cli__show_field(t, "name");
	_cleanup_free_ char *info = cli__show_field(t, "info");
	_cleanup_free_ char *created = cli__show_time(json_object_get(t, "created"));
	_cleanup_free_ char *seen = cli__show_time(json_object_get(t, "last_seen"));
	cli__kv("id", "%s", id);
	cli__kv("name", "%s", name);
	cli__kv("info", "%s", info);
	cli__kv("created", "%s", created);
	cli__kv("last seen", "%s", seen);
	cli__kv_rest(t, shown);
}

static void print_things(json_t *o)
{
	static const char *const head[] = {"ID", "NAME", "LAST SEEN", "INFO"};
	json_t *things = json_object_get(o, "things"), *t;
	size_t n = json_array_size(things), i;
	if (n == 0) {
		puts("No things. Add one with: brink thing add NAME");
		return;
	}
	_cleanup_free_ char **cells = calloc(n * 4, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach (things, i, t) {
		cells[i * 4] = cli__show_field(t, "id");
		cells[i * 4 + 1] = cli__show_field(t, "name");
		cells[i * 4 + 2] = cli__show_time(json_object_get(t, "last_seen"));
		cells[i * 4 + 3] = cli__show_field(t, "info");
	}
	cli__table(4, head, cells, n);
	for (i = 0; i < n * 4; i++)
		free(cells[i]);
}

static int run_add(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *body = NULL;
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = cli__thing_body(ctx, argc, argv, &body);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "POST", "/v1/things", body, &r);
	return rc ? rc : cli__output(ctx, &r, print_added);
}

static int run_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__resource_list(ctx, argc, argv, "/v1/things", print_things);
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__resource_show(ctx, argc, argv, "/v1/things", print_thing);
}

static int run_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	return rc ? rc : cli__resource_remove(ctx, "/v1/things", pos[0], NULL, "thing");
}

static void print_rekeyed(json_t *t)
{
	_cleanup_free_ char *name = cli__show_field(t, "name");
	_cleanup_free_ char *key = cli__show_field(t, "key");
	printf("New key of thing %s: %s\n", name, key);
	printf("Its old key stopped working. Keep this one: it is shown only once.\n");
}

static int run_key(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		rc = cli__call_id(ctx, "POST", "/v1/things", pos[0], "/key", &r);
	return rc ? rc : cli__output(ctx, &r, print_rekeyed);
}

static const struct cli_cmd key_cmd = {
	.name = "key",
	.usage = "thing key ID",
	.summary = "give a thing a new key (shown once); its old key stops working",
	.flags = CLI_NEEDS_KEY,
	.run = run_key,
};

static const struct cli_cmd add_cmd = {
	.name = "add",
	.usage = "thing add NAME [--info TEXT]",
	.summary = "add a thing (a sensor); prints its id and key (shown once)",
	.help = "  --info TEXT   free text about the thing (at most 1024 bytes)\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_add,
};

static const struct cli_cmd ls_cmd = {
	.name = "ls",
	.usage = "thing ls",
	.summary = "list the tenant's things",
	.flags = CLI_NEEDS_KEY,
	.run = run_ls,
};

static const struct cli_cmd show_cmd = {
	.name = "show",
	.usage = "thing show ID",
	.summary = "show one thing",
	.flags = CLI_NEEDS_KEY,
	.run = run_show,
};

static const struct cli_cmd rm_cmd = {
	.name = "rm",
	.usage = "thing rm ID",
	.summary = "remove a thing",
	.flags = CLI_NEEDS_KEY,
	.run = run_rm,
};

static const struct cli_cmd *const thing_cmds[] = {&add_cmd, &ls_cmd, &show_cmd, &rm_cmd, &key_cmd,
						    NULL};

const struct cli_cmd cli__thing_cmd = {
	.name = "thing",
	.usage = "thing COMMAND",
	.summary = "the tenant's things (sensors)",
	.sub = thing_cmds,
};
