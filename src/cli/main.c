/* brink: the command-line client of brinkd, over its REST API. */
#include "cli/cli-internal.h"

#include <curl/curl.h>

static int run_help(struct cli_ctx *ctx, int argc, char **argv);


static const struct cli_cmd help_cmd = {
	.name = "help",
	.usage = "help [COMMAND...]",
	.summary = "this help, or the help of a command",
	.run = run_help,
};

/* The table of verbs. */
static const struct cli_cmd *const commands[] = {
	&cli__register_cmd, &cli__key_cmd,    &cli__thing_cmd,       &cli__service_cmd,
	&cli__sensor_cmd,   &cli__stream_cmd, &cli__unsubscribe_cmd, &cli__system_cmd,
	&cli__model_cmd,    &cli__vm_cmd,     &help_cmd,            NULL,
};

static int run_help(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__help(ctx, commands, argc, argv);
}

static int flush_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli__fail(rc ? rc : CLI_EAPI, "cannot write the output");
	return rc;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {0};
	int rc = cli__globals(&ctx, &argc, argv);
	if (rc != CLI_OK)
		return rc;
	if (ctx.version) {
		printf("brink %s\n", BRINK_VERSION);
		return flush_stdout(CLI_OK);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cli__fail(CLI_EAPI, "cannot initialise libcurl");
	rc = cli__dispatch(&ctx, commands, argc - 1, argv + 1);
	curl_global_cleanup();
	return flush_stdout(rc);
}
