#include "cli/cli-internal.h"

#include <string.h>
#include <unistd.h>

enum { OPT_YES = 256 };

static const struct option unsubscribe_opts[] = {
	{"yes", no_argument, NULL, OPT_YES},
	{NULL, 0, NULL, 0},
};

static bool answered_yes(void)
{
	char line[64];
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

/* Asks on the terminal, naming the tenant the key belongs to. */
static int confirm(const struct cli_ctx *ctx)
{
	_cleanup_reply_ struct cli_reply r = {0};
	if (!isatty(STDIN_FILENO))
		return cli__usage(ctx, "unsubscribe deletes the tenant and everything it owns; "
				       "stdin is not a terminal, so pass --yes to confirm");
	struct cli_ctx quiet = *ctx;
	quiet.json = false;
	int rc = cli__call(&quiet, "GET", "/v1/tenant", NULL, &r);
	if (rc != CLI_OK)
		return rc;
	_cleanup_free_ char *name = cli__show_field(r.json, "name");
	_cleanup_free_ char *id = cli__show_field(r.json, "id");
	fprintf(stderr,
		"This deletes tenant %s (id %s) and all its services, things and keys.\n"
		"It cannot be undone. Type yes to go on: ",
		name, id);
	fflush(stderr);
	if (answered_yes())
		return CLI_OK;
	return cli__fail(CLI_EAPI, "not confirmed; nothing was deleted");
}

static void print_done(void)
{
	puts("Unsubscribed: the tenant and everything it owned are deleted; its keys no longer "
	     "work.");
}

static int run_unsubscribe(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	bool yes = false;
	const char *arg;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, unsubscribe_opts, &arg)) != -1)
		if (c == '?')
			return CLI_EUSAGE;
		else if (c == OPT_YES)
			yes = true;
	int rc = cli__positional(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK && !yes)
		rc = confirm(ctx);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "DELETE", "/v1/tenant", NULL, &r);
	if (rc == CLI_OK && !ctx->json)
		print_done();
	return rc ? rc : cli__output(ctx, &r, NULL);
}

const struct cli_cmd cli__unsubscribe_cmd = {
	.name = "unsubscribe",
	.usage = "unsubscribe [--yes]",
	.summary = "delete the tenant with all its services, things and keys",
	.help = "  --yes   do not ask (needed when stdin is not a terminal)\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_unsubscribe,
};
