/* The verbs every resource of the API shares (things, models, VMs): list
 * PREFIX, show PREFIX/ID, remove PREFIX/ID. */
#include <stdio.h>

#include "cli/cli-internal.h"

int cli__resource_list(struct cli_ctx *ctx, int argc, char **argv, const char *prefix,
		       cli_printer print)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "GET", prefix, NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print);
}

int cli__resource_show(struct cli_ctx *ctx, int argc, char **argv, const char *prefix,
		       cli_printer print)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		rc = cli__call_id(ctx, "GET", prefix, pos[0], NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print);
}

int cli__resource_remove(struct cli_ctx *ctx, const char *prefix, const char *id,
			 const char *suffix, const char *noun)
{
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = cli__call_id(ctx, "DELETE", prefix, id, suffix, &r);
	if (rc == CLI_OK && !ctx->json)
		printf("Removed %s %s.\n", noun, id);
	return rc ? rc : cli__output(ctx, &r, NULL);
}
