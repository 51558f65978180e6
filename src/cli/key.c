#include "cli/cli-internal.h"

static void print_key(json_t *k)
{
	_cleanup_free_ char *key = cli__show_field(k, "key");
	printf("New key: %s\n", key);
	printf("Every older key stopped working. Keep this one: it is shown only once.\n");
	printf("Use it with:\n  export BRINK_KEY=%s\n", key);
}

static int run_rotate(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "POST", "/v1/tenant/key", NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print_key);
}

static const struct cli_cmd rotate_cmd = {
	.name = "rotate",
	.usage = "key rotate",
	.summary = "make a new key for the tenant; every older key stops working",
	.flags = CLI_NEEDS_KEY,
	.run = run_rotate,
};

static const struct cli_cmd *const key_cmds[] = {&rotate_cmd, NULL};

const struct cli_cmd cli__key_cmd = {
	.name = "key",
	.usage = "key COMMAND",
	.summary = "the tenant's key",
	.sub = key_cmds,
};
