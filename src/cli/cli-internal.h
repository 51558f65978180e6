/* brink, the command-line client: what its files share. Every verb lives in
 * a file of its own and exports one `struct cli_cmd`; main.c lists them in
 * its table of verbs. Exit codes are those of enum cli_exit. */
#ifndef BRINK_CLI_INTERNAL_H
#define BRINK_CLI_INTERNAL_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "brink/common.h"

#ifndef BRINK_VERSION
#define BRINK_VERSION "0.1.0"
#endif

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"
#define CLI_MAX_RESPONSE (16u << 20) /* bytes read from brinkd at most */

enum cli_exit {
	CLI_OK = 0,
	CLI_EAPI = 1,     /* brinkd answered with an error, or nonsense */
	CLI_EUSAGE = 2,   /* the command line is wrong; nothing was sent */
	CLI_ECONNECT = 3, /* brinkd could not be reached */
};

enum cli_flags {
	CLI_NEEDS_KEY = 1 << 0, /* refuses to run without a key; sends it */
};

struct cli_cmd;

/* What every verb receives: the global options, resolved. Strings are
 * borrowed from argv or the environment. */
struct cli_ctx {
	const char *url; /* base URL, without trailing '/' */
	const char *key; /* NULL when none */
	bool json;
	bool help;
	bool version;
	const struct cli_cmd *cmd; /* the verb being run, for its usage line */
	char path[64];             /* its words, e.g. "service up" */
	char url_buf[1024];
};

/* One verb, or a group of verbs (`sub` set, `run` NULL). */
struct cli_cmd {
	const char *name;
	const char *usage;   /* after "brink ", e.g. "thing add NAME [--info TEXT]" */
	const char *summary; /* one line */
	const char *help;    /* option details for --help, or NULL */
	unsigned flags;      /* enum cli_flags */
	/* argv[0] is the verb's own word; returns an enum cli_exit. */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	const struct cli_cmd *const *sub; /* NULL-terminated */
};

extern const struct cli_cmd cli__register_cmd;
extern const struct cli_cmd cli__key_cmd;
extern const struct cli_cmd cli__thing_cmd;
extern const struct cli_cmd cli__service_cmd;
extern const struct cli_cmd cli__unsubscribe_cmd;
extern const struct cli_cmd cli__system_cmd;
extern const struct cli_cmd cli__sensor_cmd;
extern const struct cli_cmd cli__stream_cmd;
extern const struct cli_cmd cli__model_cmd;
extern const struct cli_cmd cli__vm_cmd;

/* ---- stream.c: TCP to brinkd's host (also used by sensor.c) ---- */

/* Copies the host of ctx->url, without IPv6 brackets, into host. Returns
 * CLI_OK, or CLI_EUSAGE after printing why. */
int cli__url_host(const struct cli_ctx *ctx, char *host, size_t n);
/* Resolves host:port, IPv4 first (brinkd listens on IPv4). Returns CLI_OK,
 * or CLI_ECONNECT after printing why. */
int cli__resolve(const char *host, long port, struct sockaddr_storage *ss, socklen_t *len);
/* Starts a non-blocking TCP connection to ss. Returns the socket (*done set
 * when already connected) or -errno. */
int cli__dial(const struct sockaddr_storage *ss, socklen_t len, bool *done);

/* ---- args.c: the command line ---- */

/* Takes the global options (--json, --url, --key, -h/--help, --version) out
 * of argv wherever they stand before a "--", compacting argv and *argc, and
 * fills ctx from them and from BRINK_URL / BRINK_KEY. Returns CLI_OK, or
 * CLI_EUSAGE after printing why. */
int cli__globals(struct cli_ctx *ctx, int *argc, char **argv);

/* Prints "brink: MESSAGE" and the usage line of ctx->cmd to stderr; returns
 * CLI_EUSAGE. */
int cli__usage(const struct cli_ctx *ctx, const char *fmt, ...) BRINK_PRINTF(2, 3);

/* Prints "brink: MESSAGE" to stderr; returns `code`. */
int cli__fail(int code, const char *fmt, ...) BRINK_PRINTF(2, 3);

/* getopt_long over argv (argv[0] is the verb's word) with this verb's
 * options; a verb calls it in a loop like getopt_long. Returns the option's
 * value, -1 at the end of the options, or '?' after printing a usage error
 * (unknown option, missing value). *optarg_out gets the option's value. */
int cli__getopt(const struct cli_ctx *ctx, int argc, char **argv, const struct option *opts,
		const char **optarg_out);

/* Checks that the arguments left after the options (from optind) are
 * exactly `want`, and points *pos at them. Returns CLI_OK or CLI_EUSAGE. */
int cli__positional(const struct cli_ctx *ctx, int argc, char **argv, int want, char ***pos);

/* A verb without options: cli__getopt with none, then cli__positional. */
int cli__args(const struct cli_ctx *ctx, int argc, char **argv, int want, char ***pos);

/* Parsers: return 0, or -1 when `s` is not entirely one finite number /
 * one integer within [min, max] / "MIN[:MAX]" cores with 0 <= MIN <= MAX,
 * MAX > 0 (MAX defaults to MIN). They never print. */
int cli__parse_double(const char *s, double *out);
int cli__parse_long(const char *s, long min, long max, long *out);
int cli__parse_cpu(const char *s, double *min, double *max);

/* Returns "PREFIX/ID-escaped[SUFFIX]" (malloc'd, caller frees), or NULL
 * when the id is empty, "." or ".." (a usage error) or out of memory. */
char *cli__id_path(const char *prefix, const char *id, const char *suffix);

/* ---- cmd.c: the table of verbs ---- */

/* Finds argv[0] in `table` (descending into groups), handles --help and a
 * missing key, and runs the verb. Returns an enum cli_exit. */
int cli__dispatch(struct cli_ctx *ctx, const struct cli_cmd *const *table, int argc,
		  char **argv);

/* `brink help [COMMAND...]`: the help of `table` or of the command named. */
int cli__help(struct cli_ctx *ctx, const struct cli_cmd *const *table, int argc, char **argv);

/* ---- http.c: talking to brinkd ---- */

struct cli_buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len, cap;
};

/* Appends n bytes, keeping a NUL after them. Returns 0, -1 when the buffer
 * would exceed `limit` bytes (nothing appended), -2 when out of memory. */
int cli__buf_append(struct cli_buf *b, const void *p, size_t n, size_t limit);

struct cli_reply {
	long status;
	struct cli_buf body; /* the raw answer */
	json_t *json;        /* the parsed answer; NULL when it was empty (204) */
};

void cli__reply_free(struct cli_reply *r);
#define _cleanup_reply_ __attribute__((cleanup(cli__reply_free)))

/* Sends METHOD ctx->url + path, with `body` as JSON when not NULL and the
 * key when ctx->key is set. Returns CLI_OK with *reply filled (a 2xx answer
 * whose body, if any, is a JSON object), or prints what went wrong the way a
 * person understands it and returns CLI_EAPI or CLI_ECONNECT; in --json mode
 * an error body from brinkd is also printed to stdout. */
int cli__call(const struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
	      struct cli_reply *reply);

/* As cli__call, a POST whose body is data[0..len) as application/octet-stream
 * (data must not be NULL). */
int cli__call_raw(const struct cli_ctx *ctx, const char *path, const void *data, size_t len,
		  struct cli_reply *reply);

/* cli__call on PREFIX/ID[SUFFIX], the id escaped; an id that cannot be one
 * ("", ".", "..") is a usage error. */
int cli__call_id(const struct cli_ctx *ctx, const char *method, const char *prefix,
		 const char *id, const char *suffix, struct cli_reply *reply);

/* The person-readable message of an error answer: "the key was refused ..."
 * for 401, brinkd's own message otherwise, or "HTTP STATUS" when the body
 * carries none. Returns a malloc'd string (NULL when out of memory). */
char *cli__error_message(long status, const char *body, size_t len);

/* ---- output.c: tables or JSON ---- */

typedef void (*cli_printer)(json_t *obj);

/* In --json mode prints the raw answer (or "{}" for an empty one) to stdout;
 * otherwise calls print(reply->json) unless the answer was empty. */
int cli__output(const struct cli_ctx *ctx, const struct cli_reply *reply, cli_printer print);

/* ---- resource.c: the verbs every resource shares ---- */

/* `ls`: GET PREFIX, printed by print. `show ID`: GET PREFIX/ID. */
int cli__resource_list(struct cli_ctx *ctx, int argc, char **argv, const char *prefix,
		       cli_printer print);
int cli__resource_show(struct cli_ctx *ctx, int argc, char **argv, const char *prefix,
		       cli_printer print);
/* DELETE PREFIX/ID[SUFFIX]; tells a person "Removed NOUN ID.". */
int cli__resource_remove(struct cli_ctx *ctx, const char *prefix, const char *id,
			 const char *suffix, const char *noun);

/* A value for a person: strings with control characters replaced by '?',
 * numbers as %g, arrays joined by ", ", null as "-", times (integer
 * seconds) as UTC dates. Returns a malloc'd string (never NULL: aborts on
 * out of memory). */
char *cli__show(json_t *v);
char *cli__show_time(json_t *v);
char *cli__show_field(json_t *obj, const char *field);

/* Prints "LABEL    VALUE" on stdout. */
void cli__kv(const char *label, const char *fmt, ...) BRINK_PRINTF(2, 3);

/* Prints every field of obj not named in `skip` (NULL-terminated) as kv. */
void cli__kv_rest(json_t *obj, const char *const *skip);

/* Prints a table: a header row and nrows rows of ncols cells (row-major),
 * columns padded to their widest cell. */
void cli__table(size_t ncols, const char *const *head, char **cells, size_t nrows);

/* asprintf that aborts on out of memory. */
char *cli__strf(const char *fmt, ...) BRINK_PRINTF(1, 2);

static inline void cli__json_decrefp(json_t **p)
{
	json_decref(*p);
}
#define _cleanup_json_ __attribute__((cleanup(cli__json_decrefp)))

/* ---- sensor.c and a file per protocol: brink sensor simulate ---- */

/* What sensor.c parsed, for a protocol played from another file. reading()
 * writes thing i's next reading (JSON and a newline, at most 4096 bytes) into
 * out and returns its length. */
struct cli_sim_spec {
	size_t nthings;
	const char *const *names, *const *keys;
	double rate; /* readings a second per thing; 0: as fast as possible */
	long count;  /* per thing; 0: until Ctrl-C */
	const char *host;
	long port; /* 0: the protocol's default */
	size_t (*reading)(void *ctx, size_t i, char *out);
	void *ctx;
};

/* sensor_mqtt.c: --protocol mqtt. Returns CLI_OK, CLI_EAPI when a thing or
 * a reading was refused, CLI_ECONNECT when a thing could not connect. */
int cli__sensor_mqtt(const struct cli_ctx *ctx, const struct cli_sim_spec *spec);

/* ---- service.c, register.c: request bodies (testable without a server) ---- */

/* Builds the body of POST /v1/services from `service up`'s argv. Returns
 * CLI_OK with *out set (caller owns), or CLI_EUSAGE after printing why. */
int cli__service_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out);

/* Builds the body of POST /v1/things from `thing add`'s argv. */
int cli__thing_body(const struct cli_ctx *ctx, int argc, char **argv, json_t **out);

#endif
