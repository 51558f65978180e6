/* brink stream ID: a service's output, read from its stream port on
 * brinkd's host (docs/dataplane.md): send the tenant key on one line, then
 * print each JSON line as it comes. Also the TCP helpers sensor.c shares. */
#include "cli/cli-internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM_CONNECT_MS 10000
#define STREAM_REFUSED_MS 3000 /* a refusing port is tried again for so long */
#define STREAM_RETRY_MS 100
#define STREAM_LINE_MAX (1u << 20) /* a line longer than this is not brinkd's */


int cli__url_host(const struct cli_ctx *ctx, char *host, size_t n)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int rc = CLI_OK;
	if (!u || curl_url_set(u, CURLUPART_URL, ctx->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !h || !*h)
		rc = cli__usage(ctx, "no host in the URL %s (set BRINK_URL or --url)", ctx->url);
	else if (h[0] == '[' && strlen(h) >= 2)
		snprintf(host, n, "%.*s", (int)strlen(h) - 2, h + 1);
	else
		snprintf(host, n, "%s", h);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

int cli__resolve(const char *host, long port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL, *pick = NULL;
	char serv[16];
	snprintf(serv, sizeof(serv), "%ld", port);
	int e = getaddrinfo(host, serv, &hints, &res);
	if (e != 0)
		return cli__fail(CLI_ECONNECT, "cannot resolve %s: %s", host, gai_strerror(e));
	for (struct addrinfo *a = res; a && !pick; a = a->ai_next)
		if (a->ai_family == AF_INET)
			pick = a;
	pick = pick ? pick : res;
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*len = pick->ai_addrlen;
	freeaddrinfo(res);
	return CLI_OK;
}

int cli__dial(const struct sockaddr_storage *ss, socklen_t len, bool *done)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*done = connect(fd, (const struct sockaddr *)ss, len) == 0;
	if (!*done && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* ---- brink stream ---- */

enum { OPT_COUNT = 256, OPT_TIMEOUT };

static const struct option stream_opts[] = {
	{"count", required_argument, NULL, OPT_COUNT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{NULL, 0, NULL, 0},
};

struct streamer {
	const char *id;
	long count;     /* lines to print; 0: no end */
	int timeout_ms; /* -1: wait for ever */
	long printed;
	int fd;
	struct cli_buf buf;
};

static int stream_option(const struct cli_ctx *ctx, struct streamer *s, int c, const char *arg)
{
	double secs;
	switch (c) {
	case OPT_COUNT:
		if (cli__parse_long(arg, 1, LONG_MAX, &s->count) < 0)
			return cli__usage(ctx, "--count wants a whole number from 1, not '%s'",
					  arg);
		return CLI_OK;
	case OPT_TIMEOUT:
		if (cli__parse_double(arg, &secs) < 0 || secs <= 0 || secs > 86400 * 24)
			return cli__usage(ctx, "--timeout wants seconds, more than 0, not '%s'",
					  arg);
		s->timeout_ms = (int)ceil(secs * 1000);
		return CLI_OK;
	default:
		return CLI_EUSAGE; /* '?': already reported */
	}
}

static int stream_args(const struct cli_ctx *ctx, struct streamer *s, int argc, char **argv)
{
	const char *arg;
	char **pos;
	int c, rc = CLI_OK;
	optind = 0;
	while (rc == CLI_OK && (c = cli__getopt(ctx, argc, argv, stream_opts, &arg)) != -1)
		rc = stream_option(ctx, s, c, arg);
	if (rc == CLI_OK)
		rc = cli__positional(ctx, argc, argv, 1, &pos);
	if (rc == CLI_OK)
		s->id = pos[0];
	return rc;
}

/* The service's stream port, ports[0], from GET /v1/services/ID. */
static int stream_port(const struct cli_ctx *ctx, const struct streamer *s, long *port)
{
	_cleanup_reply_ struct cli_reply r = {0};
	int rc = cli__call_id(ctx, "GET", "/v1/services", s->id, NULL, &r);
	if (rc != CLI_OK)
		return rc;
	json_t *state = json_object_get(r.json, "state");
	json_t *p = json_array_get(json_object_get(r.json, "ports"), 0);
	_cleanup_free_ char *kind = cli__show_field(r.json, "kind");
	if (json_is_string(state) && strcmp(json_string_value(state), "stopped") == 0)
		return cli__fail(CLI_EAPI, "service %s is stopped (start it with: brink service "
					   "start %s)",
				 s->id, s->id);
	if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 65535)
		return cli__fail(CLI_EAPI, "service %s (%s) has no stream port", s->id, kind);
	*port = (long)json_integer_value(p);
	return CLI_OK;
}

/* Waits for the connection, then sends the key line. */
static int stream_hello(const struct cli_ctx *ctx, int fd, bool done)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t elen = sizeof(err);
	if (!done && poll(&pfd, 1, STREAM_CONNECT_MS) == 0)
		return ETIMEDOUT;
	if (!done && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err)
		return err;
	_cleanup_free_ char *line = cli__strf("%s\n", ctx->key);
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return errno;
		if (n < 0)
			poll(&pfd, 1, STREAM_CONNECT_MS);
		else
			off += (size_t)n;
	}
	explicit_bzero(line, len);
	return 0;
}

/* Connects and sends the key; returns 0 or an errno. A port that refuses
 * connections is tried again for a while: brinkd opens a new service's port
 * a moment after answering. */
static int stream_dial(const struct cli_ctx *ctx, struct streamer *s,
		       const struct sockaddr_storage *ss, socklen_t len)
{
	for (int tries = 1;; tries++) {
		bool done = false;
		s->fd = cli__dial(ss, len, &done);
		int err = s->fd < 0 ? -s->fd : stream_hello(ctx, s->fd, done);
		if (err != ECONNREFUSED || tries * STREAM_RETRY_MS >= STREAM_REFUSED_MS)
			return err;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		poll(NULL, 0, STREAM_RETRY_MS);
	}
}

static int stream_connect(const struct cli_ctx *ctx, struct streamer *s, long port)
{
	char host[256], why[128];
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = cli__url_host(ctx, host, sizeof(host));
	if (rc == CLI_OK)
		rc = cli__resolve(host, port, &ss, &len);
	if (rc != CLI_OK)
		return rc;
	int err = stream_dial(ctx, s, &ss, len);
	if (err == 0)
		return CLI_OK;
	snprintf(why, sizeof(why), "%s", strerror(err));
	why[0] = (char)tolower((unsigned char)why[0]);
	return cli__fail(CLI_ECONNECT, "cannot connect to the stream of service %s at %s:%ld: %s",
			 s->id, host, port, why);
}

/* The first line may be the port's refusal: {"error":"..."}. */
static int refused(const struct cli_ctx *ctx, const struct streamer *s, const char *line,
		   size_t len)
{
	_cleanup_json_ json_t *j = json_loadb(line, len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	if (!e || json_object_get(j, "thing"))
		return CLI_OK;
	if (ctx->json)
		printf("%.*s\n", (int)len, line);
	_cleanup_free_ char *msg = cli__show(e);
	return cli__fail(CLI_EAPI, "the stream port of service %s answered: %s", s->id, msg);
}

/* Prints the complete lines in s->buf; returns CLI_OK, or CLI_EAPI when the
 * port refused the key. Sets *enough once --count lines are out. */
static int print_lines(const struct cli_ctx *ctx, struct streamer *s, bool *enough)
{
	char *p = s->buf.data, *end = p + s->buf.len, *nl;
	int rc = CLI_OK;
	while (!*enough && rc == CLI_OK && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		size_t len = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
		if (s->printed == 0)
			rc = refused(ctx, s, p, len);
		if (rc == CLI_OK) {
			fwrite(p, 1, len, stdout);
			putchar('\n');
			s->printed++;
			*enough = s->count && s->printed >= s->count;
		}
		p = nl + 1;
	}
	s->buf.len = (size_t)(end - p);
	memmove(s->buf.data, p, s->buf.len);
	fflush(stdout);
	return rc;
}

static int stream_read(const struct cli_ctx *ctx, struct streamer *s)
{
	char chunk[65536];
	bool enough = false;
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	for (;;) {
		int ready = poll(&pfd, 1, s->timeout_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0)
			return CLI_OK; /* --timeout seconds without data */
		ssize_t n = recv(s->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return cli__fail(CLI_EAPI, "brinkd closed the stream of service %s%s%s",
					 s->id, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		if (cli__buf_append(&s->buf, chunk, (size_t)n, STREAM_LINE_MAX) < 0)
			return cli__fail(CLI_EAPI, "a line of the stream is over %u bytes",
					 STREAM_LINE_MAX);
		int rc = print_lines(ctx, s, &enough);
		if (rc != CLI_OK || enough)
			return rc;
	}
}

static int run_stream(struct cli_ctx *ctx, int argc, char **argv)
{
	struct streamer s = {.timeout_ms = -1, .fd = -1};
	long port = 0;
	int rc = stream_args(ctx, &s, argc, argv);
	if (rc == CLI_OK)
		rc = stream_port(ctx, &s, &port);
	if (rc == CLI_OK)
		rc = stream_connect(ctx, &s, port);
	if (rc == CLI_OK)
		rc = stream_read(ctx, &s);
	if (s.fd >= 0)
		close(s.fd);
	free(s.buf.data);
	return rc;
}

const struct cli_cmd cli__stream_cmd = {
	.name = "stream",
	.usage = "stream ID [--count N] [--timeout S]",
	.summary = "print a service's output as it comes, one JSON line per reading",
	.help = "  --count N     stop after N lines\n"
		"  --timeout S   stop after S seconds without data (exit 0)\n"
		"Connects to the service's stream port (its ports[0]) on BRINK_URL's host and\n"
		"sends the key. Exits with 1 when the port refuses the key or brinkd closes the\n"
		"stream, with 3 when the port cannot be reached.\n",
	.flags = CLI_NEEDS_KEY,
	.run = run_stream,
};
