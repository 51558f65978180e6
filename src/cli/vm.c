/* brink vm: VMs and the host's USB devices, over /v1/vms and /v1/usb. */
#include "cli/cli-internal.h"

enum { OPT_VCPU = 256, OPT_MEMORY, OPT_USER, OPT_PASSWORD, OPT_SSH_KEY, OPT_FORCE };

static const struct option create_opts[] = {
	{"vcpu", required_argument, NULL, OPT_VCPU},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"user", required_argument, NULL, OPT_USER},
	{"password", required_argument, NULL, OPT_PASSWORD},
	{"ssh-key", required_argument, NULL, OPT_SSH_KEY},
	{NULL, 0, NULL, 0},
};

/* A positive integer option value, or -1. */
static int positive(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return (*s && !*end && v > 0 && v <= 1 << 20) ? (int)v : -1;
}

static int set_option(json_t *body, json_t *config, json_t *keys, int c, const char *arg)
{
	int v;
	switch (c) {
	case OPT_VCPU:
	case OPT_MEMORY:
		if ((v = positive(arg)) < 0)
			return cli__fail(CLI_EUSAGE, "--%s needs a positive number",
					 c == OPT_VCPU ? "vcpu" : "memory");
		return json_object_set_new(body, c == OPT_VCPU ? "vcpu" : "memory", json_integer(v));
	case OPT_USER:
		return json_object_set_new(config, "user", json_string(arg));
	case OPT_PASSWORD:
		return json_object_set_new(config, "password", json_string(arg));
	case OPT_SSH_KEY:
		return json_array_append_new(keys, json_string(arg));
	default:
		return CLI_EUSAGE;
	}
}

static int create_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out)
{
	_cleanup_json_ json_t *body = json_object(), *config = json_object(), *keys = json_array();
	const char *arg;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, create_opts, &arg)) != -1)
		if (c == '?' || set_option(body, config, keys, c, arg) != 0)
			return CLI_EUSAGE;
	if (cli__positional(ctx, argc, argv, 2, &pos) != CLI_OK)
		return CLI_EUSAGE;
	if (json_object_set_new(body, "name", json_string(pos[0])) ||
	    json_object_set_new(body, "base", json_string(pos[1])) ||
	    (json_object_size(config) && json_object_set(body, "config", config)) ||
	    (json_array_size(keys) && json_object_set(body, "ssh_keys", keys)))
		return cli__fail(CLI_EAPI, "out of memory (or the text is not UTF-8)");
	*out = body;
	body = NULL;
	return CLI_OK;
}

static void print_vm(json_t *v)
{
	static const char *const shown[] = {"id", "name", "state", "base", "vcpu", "memory", "ip",
					    NULL};
	static const char *const labels[] = {"id", "name", "state", "base", "vcpu", "memory MB",
					     "ip"};
	for (size_t i = 0; shown[i]; i++) {
		_cleanup_free_ char *s = cli__show_field(v, shown[i]);
		cli__kv(labels[i], "%s", s);
	}
	cli__kv_rest(v, shown);
}

static void print_vms(json_t *o)
{
	static const char *const head[] = {"ID", "NAME", "STATE", "VCPU", "MEMORY", "IP", "BASE"};
	static const char *const fields[] = {"id", "name", "state", "vcpu", "memory", "ip", "base"};
	json_t *vms = json_object_get(o, "vms"), *v;
	size_t n = json_array_size(vms), i;
	if (n == 0) {
		puts("No VMs. Create one with: brink vm create NAME BASE-IMAGE");
		return;
	}
	_cleanup_free_ char **cells = calloc(n * 7, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach (vms, i, v)
		for (size_t j = 0; j < 7; j++)
			cells[i * 7 + j] = cli__show_field(v, fields[j]);
	cli__table(7, head, cells, n);
	for (i = 0; i < n * 7; i++)
		free(cells[i]);
}

static void print_usb(json_t *o)
{
	static const char *const head[] = {"ID", "BUS", "DEVICE", "VM", "INFO"};
	static const char *const fields[] = {"id", "bus", "device", "vm", "info"};
	json_t *devs = json_object_get(o, "devices"), *d;
	size_t n = json_array_size(devs), i;
	if (n == 0) {
		puts("No USB devices.");
		return;
	}
	_cleanup_free_ char **cells = calloc(n * 5, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach (devs, i, d)
		for (size_t j = 0; j < 5; j++)
			cells[i * 5 + j] = cli__show_field(d, fields[j]);
	cli__table(5, head, cells, n);
	for (i = 0; i < n * 5; i++)
		free(cells[i]);
}

static int run_create(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *body = NULL;
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = create_body(ctx, argc, argv, &body);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "POST", "/v1/vms", body, &r);
	return rc ? rc : cli__output(ctx, &r, print_vm);
}

static int run_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli__resource_list(ctx, argc, argv, "/v1/vms", print_vms);
}

static int run_usb(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "GET", "/v1/usb", NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print_usb);
}

/* show, start, stop, off: one id, an answer that is a VM. */
static int one_vm(struct cli_ctx *ctx, int argc, char **argv, const char *method,
		  const char *suffix)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		rc = cli__call_id(ctx, method, "/v1/vms", pos[0], suffix, &r);
	return rc ? rc : cli__output(ctx, &r, print_vm);
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	return one_vm(ctx, argc, argv, "GET", NULL);
}

static int run_start(struct cli_ctx *ctx, int argc, char **argv)
{
	return one_vm(ctx, argc, argv, "POST", "/start");
}

static int run_stop(struct cli_ctx *ctx, int argc, char **argv)
{
	return one_vm(ctx, argc, argv, "POST", "/stop");
}

static int run_off(struct cli_ctx *ctx, int argc, char **argv)
{
	return one_vm(ctx, argc, argv, "POST", "/off");
}

static const struct option rm_opts[] = {
	{"force", no_argument, NULL, OPT_FORCE},
	{NULL, 0, NULL, 0},
};

static int run_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *arg;
	bool force = false;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, rm_opts, &arg)) != -1)
		if (c == '?')
			return CLI_EUSAGE;
		else
			force = true;
	if (cli__positional(ctx, argc, argv, 1, &pos) != CLI_OK)
		return CLI_EUSAGE;
	return cli__resource_remove(ctx, "/v1/vms", pos[0], force ? "?force=true" : NULL, "VM");
}

#define VM_CMD(n, u, s, fn) \
	static const struct cli_cmd n##_cmd = { \
		.name = #n, .usage = u, .summary = s, .flags = CLI_NEEDS_KEY, .run = fn}

static const struct cli_cmd create_cmd = {
	.name = "create",
	.usage = "vm create NAME BASE-IMAGE [--vcpu N] [--memory MB] [--user U] [--password P]"
		 " [--ssh-key KEY]...",
	.summary = "create a VM from a base image (defined, off)",
	.help = "  --vcpu N        virtual CPUs (default 1)\n"
		"  --memory MB     memory (default 256)\n"
		"  --user U        cloud-init user created in the VM\n"
		"  --password P    its password (hashed with a random salt; note that other\n"
		"                  local users can see command lines)\n"
		"  --ssh-key KEY   an authorized SSH public key line (repeatable)\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_create,
};
VM_CMD(ls, "vm ls", "list the tenant's VMs", run_ls);
VM_CMD(show, "vm show ID", "show one VM", run_show);
VM_CMD(start, "vm start ID", "power a VM on", run_start);
VM_CMD(stop, "vm stop ID", "ACPI power off", run_stop);
VM_CMD(off, "vm off ID", "pull the plug (force off)", run_off);
VM_CMD(usb, "vm usb", "list the host's USB devices you can use", run_usb);
static const struct cli_cmd rm_cmd = {
	.name = "rm",
	.usage = "vm rm ID [--force]",
	.summary = "remove a VM (refused while it runs unless --force)",
	.flags = CLI_NEEDS_KEY,
	.run = run_rm,
};

static const struct cli_cmd *const vm_cmds[] = {&create_cmd, &ls_cmd,  &show_cmd, &start_cmd,
						&stop_cmd,   &off_cmd, &rm_cmd,   &usb_cmd, NULL};

const struct cli_cmd cli__vm_cmd = {
	.name = "vm",
	.usage = "vm COMMAND",
	.summary = "the tenant's VMs and the host's USB devices",
	.sub = vm_cmds,
};
