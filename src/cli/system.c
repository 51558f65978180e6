#include "cli/cli-internal.h"

static void kv_cores(json_t *o, const char *field)
{
	_cleanup_free_ char *v = cli__show_field(o, field);
	cli__kv(field, "%s cores", v);
}

static void print_system(json_t *o)
{
	static const char *const shown[] = {"version", "capacity", "assigned",
					    "sum_min", "services", "services_by_state",
					    "tenants", "runtimes", NULL};
	_cleanup_free_ char *version = cli__show_field(o, "version");
	_cleanup_free_ char *services = cli__show_field(o, "services");
	_cleanup_free_ char *tenants = cli__show_field(o, "tenants");
	_cleanup_free_ char *by_state = cli__show_field(o, "services_by_state");
	_cleanup_free_ char *runtimes = cli__show_field(o, "runtimes");
	cli__kv("version", "%s", version);
	kv_cores(o, "capacity");
	kv_cores(o, "assigned");
	kv_cores(o, "sum_min");
	cli__kv("services", "%s", services);
	if (json_object_get(o, "services_by_state"))
		cli__kv("  by state", "%s", by_state);
	cli__kv("tenants", "%s", tenants);
	cli__kv("runtimes", "%s", runtimes);
	cli__kv_rest(o, shown);
}

static int run_system(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "GET", "/v1/system", NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print_system);
}

const struct cli_cmd cli__system_cmd = {
	.name = "system",
	.usage = "system",
	.summary = "the gateway: CPU capacity and use, services, tenants, runtimes",
	.flags = CLI_NEEDS_KEY,
	.run = run_system,
};
