#include "cli/cli-internal.h"

#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

enum { OPT_PASSWORD = 256 };

static const struct option register_opts[] = {
	{"password", no_argument, NULL, OPT_PASSWORD},
	{NULL, 0, NULL, 0},
};

/* Reads one line without its end into buf. Returns 0, -1 at end of input
 * before any byte, -2 when the line does not fit. */
static int read_line(char *buf, size_t n)
{
	if (!fgets(buf, (int)n, stdin))
		return -1;
	size_t len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (!feof(stdin))
		return -2;
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

static int prompt_hidden(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	int rc = read_line(buf, n);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

static int ask_password(char *pw, size_t n)
{
	char again[PASSWORD_MAX];
	if (prompt_hidden("Password: ", pw, n) < 0 ||
	    prompt_hidden("Repeat the password: ", again, sizeof(again)) < 0)
		return cli__fail(CLI_EUSAGE, "no password given");
	bool same = strcmp(pw, again) == 0;
	explicit_bzero(again, sizeof(again));
	return same ? CLI_OK : cli__fail(CLI_EUSAGE, "the passwords differ; nothing was sent");
}

/* --password: from the terminal (asked twice, not echoed) or one line of stdin. */
static int password_from_stdin(const struct cli_ctx *ctx, char *pw, size_t n)
{
	if (isatty(STDIN_FILENO))
		return ask_password(pw, n);
	int rc = read_line(pw, n);
	if (rc == -2)
		return cli__usage(ctx, "the password on stdin is longer than %d bytes",
				  PASSWORD_MAX - 2);
	if (rc < 0 || !*pw)
		return cli__usage(ctx, "--password reads the password from stdin, which is empty");
	return CLI_OK;
}

static int register_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out)
{
	bool from_stdin = false;
	const char *arg;
	char **pos;
	int c;
	optind = 0;
	while ((c = cli__getopt(ctx, argc, argv, register_opts, &arg)) != -1)
		if (c == '?')
			return CLI_EUSAGE;
		else if (c == OPT_PASSWORD)
			from_stdin = true;
	if (cli__positional(ctx, argc, argv, 1, &pos) != CLI_OK)
		return CLI_EUSAGE;
	char pw[PASSWORD_MAX] = "";
	const char *env = getenv("BRINK_PASSWORD");
	int rc = from_stdin ? password_from_stdin(ctx, pw, sizeof(pw)) : CLI_OK;
	if (rc == CLI_OK && !from_stdin && env && *env)
		snprintf(pw, sizeof(pw), "%s", env);
	*out = rc == CLI_OK ? json_pack("{ss}", "name", pos[0]) : NULL;
	if (*out && *pw)
		json_object_set_new(*out, "password", json_string(pw));
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static void print_registered(json_t *t)
{
	_cleanup_free_ char *name = cli__show_field(t, "name");
	_cleanup_free_ char *id = cli__show_field(t, "id");
	_cleanup_free_ char *key = cli__show_field(t, "key");
	printf("Registered tenant %s (id %s).\n", name, id);
	printf("Key: %s\n", key);
	printf("Keep this key: it is shown only once and cannot be recovered.\n");
	printf("Use it with:\n  export BRINK_KEY=%s\n", key);
}

static int run_register(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_json_ json_t *body = NULL;
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = register_body(ctx, argc, argv, &body);
	if (rc != CLI_OK)
		return rc;
	if (!body)
		return cli__fail(CLI_EAPI, "out of memory");
	rc = cli__call(ctx, "POST", "/v1/tenants", body, &r);
	return rc ? rc : cli__output(ctx, &r, print_registered);
}

const struct cli_cmd cli__register_cmd = {
	.name = "register",
	.usage = "register NAME [--password]",
	.summary = "register a tenant; prints its key (shown once)",
	.help = "  --password   read a password (for the console and GraphQL login) from stdin;\n"
		"               on a terminal it is asked twice and not echoed.\n"
		"               Without --password, BRINK_PASSWORD is used when set.\n",
	.run = run_register,
};
