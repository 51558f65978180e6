#include "cli/cli-internal.h"

#include <limits.h>
#include <string.h>

enum {
	OPT_CPU = 256,
	OPT_MEMORY,
	OPT_NAME,
	OPT_RUNTIME,
	OPT_THING,
	OPT_MODEL,
	OPT_COLUMNS,
	OPT_BATCH,
	OPT_IMAGE,
	OPT_PORT,
	OPT_LABELS,
	OPT_ALERTS,
	OPT_THRESHOLD,
};

static const struct option up_opts[] = {
	{"cpu", required_argument, NULL, OPT_CPU},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"name", required_argument, NULL, OPT_NAME},
	{"runtime", required_argument, NULL, OPT_RUNTIME},
	{"thing", required_argument, NULL, OPT_THING},
	{"model", required_argument, NULL, OPT_MODEL},
	{"columns", required_argument, NULL, OPT_COLUMNS},
	{"batch", required_argument, NULL, OPT_BATCH},
	{"image", required_argument, NULL, OPT_IMAGE},
	{"port", required_argument, NULL, OPT_PORT},
	{"labels", required_argument, NULL, OPT_LABELS},
	{"alerts", required_argument, NULL, OPT_ALERTS},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{NULL, 0, NULL, 0},
};

/* Adds v (stolen) under name, or to the array under name when `push`. */
static int put(const struct cli_ctx *ctx, json_t *body, const char *name, json_t *v, bool push)
{
	if (!v)
		return cli__usage(ctx, "the value of '%s' is not UTF-8", name);
	if (!push)
		return json_object_set_new(body, name, v) ? cli__fail(CLI_EAPI, "out of memory") : 0;
	json_t *a = json_object_get(body, name);
	if (!a) {
		a = json_array();
		json_object_set_new(body, name, a);
	}
	return json_array_append_new(a, v) ? cli__fail(CLI_EAPI, "out of memory") : CLI_OK;
}

static int put_long(const struct cli_ctx *ctx, json_t *body, const char *name, const char *arg,
		    long max, bool push)
{
	long v;
	if (cli__parse_long(arg, 1, max, &v) < 0)
		return cli__usage(ctx, "'%s' is not a whole number from 1 to %ld", arg, max);
	return put(ctx, body, name, json_integer(v), push);
}

static int put_cpu(const struct cli_ctx *ctx, json_t *body, const char *arg)
{
	double lo, hi;
	if (cli__parse_cpu(arg, &lo, &hi) < 0)
		return cli__usage(ctx, "--cpu wants MIN[:MAX] cores with 0 <= MIN <= MAX and "
				       "MAX > 0, not '%s'",
				  arg);
	return put(ctx, body, "cpu", json_pack("{sfsf}", "min", lo, "max", hi), false);
}

/* --columns, --labels, --alerts: names separated by commas, as an array. */
static int put_names(const struct cli_ctx *ctx, json_t *body, const char *name, const char *arg)
{
	json_t *cols = json_array();
	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");
		if (n == 0) {
			json_decref(cols);
			return cli__usage(ctx, "--%s wants names separated by commas, not '%s'",
					  name, arg);
		}
		json_array_append_new(cols, json_stringn(p, n));
		p += n;
		if (!*p)
			break;
	}
	return put(ctx, body, name, cols, false);
}

static int put_threshold(const struct cli_ctx *ctx, json_t *body, const char *arg)
{
	double v;
	if (cli__parse_double(arg, &v) < 0)
		return cli__usage(ctx, "--threshold wants a number, not '%s'", arg);
	return put(ctx, body, "threshold", json_real(v), false);
}

static int up_option(const struct cli_ctx *ctx, json_t *body, int c, const char *arg)
{
	switch (c) {
	case OPT_CPU:
		return put_cpu(ctx, body, arg);
	case OPT_MEMORY:
		return put_long(ctx, body, "memory_mb", arg, INT_MAX, false);
	case OPT_NAME:
		return put(ctx, body, "name", json_string(arg), false);
	case OPT_RUNTIME:
		return put(ctx, body, "runtime", json_string(arg), false);
	case OPT_THING:
		return put(ctx, body, "things", json_string(arg), true);
	case OPT_MODEL:
		return put(ctx, body, "model", json_string(arg), false);
	case OPT_COLUMNS:
		return put_names(ctx, body, "columns", arg);
	case OPT_LABELS:
		return put_names(ctx, body, "labels", arg);
	case OPT_ALERTS:
		return put_names(ctx, body, "alerts", arg);
	case OPT_THRESHOLD:
		return put_threshold(ctx, body, arg);
	case OPT_BATCH:
		put(ctx, body, "mode", json_string("batch"), false);
		return put_long(ctx, body, "batch", arg, INT_MAX, false);
	case OPT_IMAGE:
		return put(ctx, body, "image", json_string(arg), false);
	case OPT_PORT:
		return put_long(ctx, body, "container_ports", arg, 65535, true);
	default:
		return CLI_EUSAGE; /* '?': already reported */
	}
}

int cli__service_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out)
{
	_cleanup_json_ json_t *body = json_object();
	const char *arg;
	char **pos;
	int c, rc = body ? CLI_OK : CLI_EAPI;
	optind = 0;
	while (rc == CLI_OK && (c = cli__getopt(ctx, argc, argv, up_opts, &arg)) != -1)
		rc = up_option(ctx, body, c, arg);
	if (rc == CLI_OK)
		rc = cli__positional(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		rc = put(ctx, body, "kind", json_string(pos[0]), false);
	if (rc == CLI_OK && !json_object_get(body, "cpu"))
		rc = cli__usage(ctx, "--cpu MIN[:MAX] is required");
	if (rc == CLI_OK)
		*out = brink_steal(&body);
	return rc;
}

static char *cpu_text(json_t *svc, const char *sep)
{
	json_t *cpu = json_object_get(svc, "cpu");
	_cleanup_free_ char *lo = cli__show_field(cpu, "min");
	_cleanup_free_ char *hi = cli__show_field(cpu, "max");
	_cleanup_free_ char *as = cli__show_field(cpu, "assigned");
	return cli__strf("%s%s%s%s%s", lo, sep, hi, sep, as);
}

static void kv_field(json_t *svc, const char *label, const char *field, const char *unit)
{
	_cleanup_free_ char *v = cli__show_field(svc, field);
	cli__kv(label, "%s%s", v, unit);
}

static void print_service(json_t *s)
{
	static const char *const shown[] = {"id",    "name",      "kind",  "state",  "reason",
					    "runtime", "cpu",     "memory_mb", "ports", "things",
					    "all_things", "created", "progress", "progress_seq",
					    NULL};
	_cleanup_free_ char *cpu = cpu_text(s, " / ");
	_cleanup_free_ char *created = cli__show_time(json_object_get(s, "created"));
	json_t *things = json_object_get(s, "things");
	kv_field(s, "id", "id", "");
	kv_field(s, "name", "name", "");
	kv_field(s, "kind", "kind", "");
	kv_field(s, "state", "state", "");
	if (json_string_length(json_object_get(s, "reason")) > 0)
		kv_field(s, "reason", "reason", "");
	kv_field(s, "runtime", "runtime", "");
	cli__kv("cpu", "%s cores (min / max / assigned)", cpu);
	kv_field(s, "memory", "memory_mb", " MB");
	kv_field(s, "ports", "ports", "");
	json_t *all = json_object_get(s, "all_things");
	if (json_is_true(all) || (!all && json_array_size(things) == 0))
		cli__kv("things", "all of the tenant's");
	else
		kv_field(s, "things", "things", "");
	cli__kv("created", "%s", created);
	cli__kv_rest(s, shown);
}

static void print_services(json_t *o)
{
	static const char *const head[] = {"ID", "KIND", "STATE", "CPU(min/max/assigned)", "NAME"};
	json_t *services = json_object_get(o, "services"), *s;
	size_t n = json_array_size(services), i;
	if (n == 0) {
		puts("No services. Start one with: brink service up KIND --cpu MIN[:MAX]");
		return;
	}
	_cleanup_free_ char **cells = calloc(n * 5, sizeof(*cells));
	if (!cells)
		return;
	json_array_foreach (services, i, s) {
		cells[i * 5] = cli__show_field(s, "id");
		cells[i * 5 + 1] = cli__show_field(s, "kind");
		cells[i * 5 + 2] = cli__show_field(s, "state");
		cells[i * 5 + 3] = cpu_text(s, "/");
		cells[i * 5 + 4] = cli__show_field(s, "name");
	}
	cli__table(5, head, cells, n);
	for (i = 0; i < n * 5; i++)
		free(cells[i]);
}

static void print_state(json_t *s)
{
	_cleanup_free_ char *id = cli__show_field(s, "id");
	_cleanup_free_ char *state = cli__show_field(s, "state");
	printf("Service %s is %s.\n", id, state);
}

/* A service that answers `failed` did not start: exit 1 with its reason. */
static int check_started(const struct cli_reply *r)
{
	json_t *state = json_object_get(r->json, "state");
	if (!json_is_string(state) || strcmp(json_string_value(state), "failed") != 0)
		return CLI_OK;
	_cleanup_free_ char *id = cli__show_field(r->json, "id");
	_cleanup_free_ char *why = cli__show_field(r->json, "reason");
	return cli__fail(CLI_EAPI, "service %s failed: %s", id, why);
}

static bool is_pending(const struct cli_reply *r)
{
	const char *st = json_string_value(json_object_get(r->json, "state"));
	return st && strcmp(st, "pending") == 0;
}

/* Prints the lines of the service's progress log not printed yet: the log
 * holds its last lines, progress_seq counts all it ever had. */
static void print_progress(const struct cli_reply *r, json_int_t *printed)
{
	const char *log = json_string_value(json_object_get(r->json, "progress"));
	json_int_t seq = json_integer_value(json_object_get(r->json, "progress_seq"));
	json_int_t n = 0;
	if (!log)
		return;
	for (const char *p = log; *p; p++)
		n += *p == '\n';
	json_int_t first = seq - n + 1;
	for (const char *p = log; *p; first++) {
		size_t len = strcspn(p, "\n");
		if (first > *printed) {
			json_t *text = json_stringn(p, len);
			_cleanup_free_ char *line = cli__show(text); /* no control characters */
			json_decref(text);
			fprintf(stderr, "%s\n", line);
			*printed = first;
		}
		p += len + (p[len] == '\n');
	}
}

/* A service answered 202 pending (its image is being pulled): follows it
 * until it is running or failed, printing its progress on stderr. */
static int follow(struct cli_ctx *ctx, struct cli_reply *r)
{
	_cleanup_free_ char *id = cli__show_field(r->json, "id");
	json_int_t printed = 0;
	int rc = CLI_OK;
	for (;;) {
		print_progress(r, &printed);
		if (!is_pending(r))
			break;
		usleep(100 * 1000);
		cli__reply_free(r);
		if ((rc = cli__call_id(ctx, "GET", "/v1/services", id, NULL, r)) != CLI_OK)
			break;
	}
	return rc;
}

static int run_up(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *body = NULL;
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = cli__service_body(ctx, argc, argv, &body);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "POST", "/v1/services", body, &r);
	if (rc == CLI_OK && r.status == 202)
		rc = follow(ctx, &r);
	if (rc == CLI_OK)
		rc = cli__output(ctx, &r, print_service);
	return rc ? rc : check_started(&r);
}

static int run_ls(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK)
		rc = cli__call(ctx, "GET", "/v1/services", NULL, &r);
	return rc ? rc : cli__output(ctx, &r, print_services);
}

/* show, stop, start, rm: one id, one request. */
struct id_action {
	const char *method, *suffix;
	cli_printer print;
	const char *done; /* said when brinkd answers with no body */
	bool must_run;    /* a `failed` answer exits 1 */
};

static int run_on_id(struct cli_ctx *ctx, int argc, char **argv, const struct id_action *act)
{
	_cleanup_reply_ struct cli_reply r = {0};
	char **pos;
	int rc = cli__args(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		rc = cli__call_id(ctx, act->method, "/v1/services", pos[0], act->suffix, &r);
	if (rc == CLI_OK && !ctx->json && !r.json && act->done)
		printf("%s %s.\n", act->done, pos[0]);
	if (rc == CLI_OK)
		rc = cli__output(ctx, &r, act->print);
	return rc || !act->must_run ? rc : check_started(&r);
}

static int run_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct id_action show = {"GET", NULL, print_service, NULL, false};
	return run_on_id(ctx, argc, argv, &show);
}

static int run_stop(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct id_action stop = {"POST", "/stop", print_state, "Stopped service",
					      false};
	return run_on_id(ctx, argc, argv, &stop);
}

static int run_start(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct id_action start = {"POST", "/start", print_state, "Started service",
					       true};
	return run_on_id(ctx, argc, argv, &start);
}

static int run_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct id_action rm = {"DELETE", NULL, NULL, "Removed service", false};
	return run_on_id(ctx, argc, argv, &rm);
}

static const struct cli_cmd up_cmd = {
	.name = "up",
	.usage = "service up KIND --cpu MIN[:MAX] [OPTIONS]",
	.summary = "start a service (KIND: forward, analyze or custom); prints it",
	.help = "  --cpu MIN[:MAX]   CPU cores: a guaranteed minimum and a cap (MAX defaults to MIN)\n"
		"  --memory MB       memory limit in MB\n"
		"  --name N          a free label\n"
		"  --runtime R       sandbox (default), docker, ...\n"
		"  --thing ID        a thing the service reads (repeatable; default: all of them)\n"
		"analyze:\n"
		"  --model M         the model's id\n"
		"  --columns a,b     field names in the model's input order\n"
		"  --batch N         one result per N readings (default: one per reading)\n"
		"  --labels a,b      class names (analyze; docs/api.md)\n"
		"  --alerts b        the labels that are alerts (analyze)\n"
		"  --threshold X     one-output models: class 1 at or above X (default 0.5)\n"
		"custom:\n"
		"  --image REF       the container image\n"
		"  --port P          a container port to publish (repeatable)\n"
		"A custom service starts once its image is pulled: brink prints the pull's\n"
		"progress on stderr and waits.\n"
		"Exits with 1 when brinkd answers that the service failed to start.\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_up,
};

static const struct cli_cmd ls_cmd = {
	.name = "ls",
	.usage = "service ls",
	.summary = "list the tenant's services",
	.flags = CLI_NEEDS_KEY,
	.run = run_ls,
};

static const struct cli_cmd show_cmd = {
	.name = "show",
	.usage = "service show ID",
	.summary = "show one service",
	.flags = CLI_NEEDS_KEY,
	.run = run_show,
};

static const struct cli_cmd stop_cmd = {
	.name = "stop",
	.usage = "service stop ID",
	.summary = "stop a service (it keeps its settings; its CPU goes to the others)",
	.flags = CLI_NEEDS_KEY,
	.run = run_stop,
};

static const struct cli_cmd start_cmd = {
	.name = "start",
	.usage = "service start ID",
	.summary = "start a stopped service again",
	.flags = CLI_NEEDS_KEY,
	.run = run_start,
};

static const struct cli_cmd rm_cmd = {
	.name = "rm",
	.usage = "service rm ID",
	.summary = "stop and remove a service",
	.flags = CLI_NEEDS_KEY,
	.run = run_rm,
};

static const struct cli_cmd *const service_cmds[] = {&up_cmd,    &ls_cmd, &show_cmd, &stop_cmd,
						     &start_cmd, &rm_cmd, NULL};

const struct cli_cmd cli__service_cmd = {
	.name = "service",
	.usage = "service COMMAND",
	.summary = "the tenant's services",
	.sub = service_cmds,
};
