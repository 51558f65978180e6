#include "cli/cli-internal.h"

#include <string.h>

static const char top_help[] =
	"\noptions (anywhere on the line):\n"
	"  --url URL    brinkd's address (env BRINK_URL, default " CLI_DEFAULT_URL ")\n"
	"  --key KEY    the tenant's key (env BRINK_KEY)\n"
	"  --json       print brinkd's JSON answer instead of tables\n"
	"  -h, --help   help of brink or of a command\n"
	"  --version    print brink's version\n"
	"\nexit status: 0 ok, 1 error from brinkd, 2 usage error, 3 cannot reach brinkd\n";

static const struct cli_cmd *lookup(const struct cli_cmd *const *table, const char *name)
{
	for (; *table; table++)
		if (strcmp((*table)->name, name) == 0)
			return *table;
	return NULL;
}

static void list_commands(FILE *f, const struct cli_cmd *const *table)
{
	for (; *table; table++) {
		if ((*table)->sub)
			list_commands(f, (*table)->sub);
		else
			fprintf(f, "  %-44s %s\n", (*table)->usage, (*table)->summary);
	}
}

static void print_table_help(FILE *f, const struct cli_cmd *const *table, const char *title)
{
	fprintf(f, "usage: brink %s\n\ncommands:\n", title);
	list_commands(f, table);
}

static void print_group_help(FILE *f, const struct cli_cmd *group,
			     const struct cli_cmd *const *table)
{
	if (!group) {
		fputs("brink: the command-line client of brinkd, the edge computing manager\n\n", f);
		print_table_help(f, table, "[--url URL] [--key KEY] [--json] COMMAND [ARGS...]");
		fputs(top_help, f);
		return;
	}
	print_table_help(f, table, group->usage);
}

static void print_leaf_help(const struct cli_cmd *cmd)
{
	printf("usage: brink %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->help)
		printf("\n%s", cmd->help);
	if (cmd->flags & CLI_NEEDS_KEY)
		puts("\nNeeds the tenant's key (BRINK_KEY or --key).");
}

static bool key_chars_ok(const char *key)
{
	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return false;
	return strlen(key) <= 512;
}

static int run_leaf(struct cli_ctx *ctx, const struct cli_cmd *group, const struct cli_cmd *cmd,
		    int argc, char **argv)
{
	if (ctx->help) {
		print_leaf_help(cmd);
		return CLI_OK;
	}
	ctx->cmd = cmd;
	snprintf(ctx->path, sizeof(ctx->path), "%s%s%s", group ? group->name : "",
		 group ? " " : "", cmd->name);
	if (!(cmd->flags & CLI_NEEDS_KEY))
		ctx->key = NULL;
	else if (!ctx->key)
		return cli__fail(CLI_EUSAGE, "'brink %s' needs the tenant's key: set BRINK_KEY or "
					     "use --key (brink register prints one)",
				 ctx->path);
	else if (!key_chars_ok(ctx->key))
		return cli__fail(CLI_EUSAGE, "the key has characters no key has (check BRINK_KEY "
					     "or --key)");
	return cmd->run(ctx, argc, argv);
}

static int dispatch_in(struct cli_ctx *ctx, const struct cli_cmd *group,
		       const struct cli_cmd *const *table, int argc, char **argv)
{
	if (argc < 1) {
		print_group_help(ctx->help ? stdout : stderr, group, table);
		return ctx->help ? CLI_OK : CLI_EUSAGE;
	}
	const struct cli_cmd *cmd = lookup(table, argv[0]);
	if (!cmd) {
		cli__fail(CLI_EUSAGE, "unknown command '%s%s%s'", group ? group->name : "",
			  group ? " " : "", argv[0]);
		if (group)
			fprintf(stderr, "Run 'brink %s --help' for its commands.\n", group->name);
		else
			fputs("Run 'brink help' for the list of commands.\n", stderr);
		return CLI_EUSAGE;
	}
	if (cmd->sub)
		return dispatch_in(ctx, cmd, cmd->sub, argc - 1, argv + 1);
	return run_leaf(ctx, group, cmd, argc, argv);
}

int cli__dispatch(struct cli_ctx *ctx, const struct cli_cmd *const *table, int argc,
		  char **argv)
{
	return dispatch_in(ctx, NULL, table, argc, argv);
}

int cli__help(struct cli_ctx *ctx, const struct cli_cmd *const *table, int argc, char **argv)
{
	ctx->help = true;
	return cli__dispatch(ctx, table, argc - 1, argv + 1);
}
