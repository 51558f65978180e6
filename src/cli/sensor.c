/* brink sensor simulate: plays things over the native TCP ingest
 * (docs/dataplane.md), all from one process: non-blocking sockets and one
 * poll(2) loop, so a hundred things cost a hundred sockets, not threads.
 * Each thing authenticates, waits for {"ok":NAME}, then sends readings
 * {"seq":N,"temp":"31.2","hum":"48.1"} whose values are random walks. After
 * its last reading it shuts its side down and reads brinkd's answers until
 * brinkd closes: every error line is counted. */
#include "cli/cli-internal.h"
#include "cli/sensor-coap.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIM_DEFAULT_PORT 7000
#define SIM_FIELDS_MAX 31 /* brinkd takes 32 fields a reading; seq is one */
#define SIM_FIELD_NAME_MAX 64
#define SIM_LINE_MAX 4096 /* > 31 fields of 64-byte names: one reading fits */
#define SIM_OUT_MAX 16384
#define SIM_IN_MAX 4096
#define SIM_ID_MAX 1024  /* a thing's name and key together */
#define SIM_WAIT_S 10.0  /* connecting; waiting for the answer to authentication */
#define SIM_DRAIN_S 3.0  /* after the last reading, for brinkd's answers */
#define SIM_REPORTS 5    /* messages on stderr a second at most */

enum sim_state { SIM_CONNECTING, SIM_AUTH, SIM_RUNNING, SIM_DRAINING, SIM_DONE };

struct sim_field {
	char name[SIM_FIELD_NAME_MAX + 1];
	double lo, hi, step; /* plausible range, largest move between readings */
};

struct sim_thing {
	char *name, *key;
	int fd;
	enum sim_state state;
	long seq;
	double due;      /* when the next reading is due (monotonic seconds) */
	double deadline; /* connecting, authenticating, draining: give up then; 0 none */
	double *vals;    /* one per field */
	size_t out_off, out_len, in_len;
	char out[SIM_OUT_MAX];
	char in[SIM_IN_MAX];
};

struct sim {
	struct sim_thing **things;
	size_t n, cap;
	struct sim_field fields[SIM_FIELDS_MAX];
	size_t nfields;
	double rate; /* readings a second per thing; 0: as fast as possible */
	long count;  /* per thing; 0: no end */
	const char *host;
	long port;
	char where[300]; /* HOST:PORT, for messages */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	size_t live; /* things not done */
	double start;
	long sent, errors, refused, unreachable, lost;
	bool mqtt; /* --protocol mqtt (sensor_mqtt.c) */
	double window; /* reports: the second being counted */
	int shown;
	long hidden;
	const char *proto; /* tcp, coap, coaps (sensor_coap.c), mqtt */
	bool port_set, non;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted++;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A message on stderr, at most SIM_REPORTS a second; the rest are counted. */
static void BRINK_PRINTF(2, 3) report(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	double t = now_s();
	if (t - s->window >= 1.0) {
		if (s->hidden)
			fprintf(stderr, "brink: (%ld more such messages not shown)\n", s->hidden);
		s->window = t;
		s->shown = 0;
		s->hidden = 0;
	}
	if (s->shown >= SIM_REPORTS) {
		s->hidden++;
		return;
	}
	s->shown++;
	fputs("brink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the command line ---- */

enum {
	OPT_THING = 256,
	OPT_THINGS,
	OPT_RATE,
	OPT_COUNT,
	OPT_FIELDS,
	OPT_HOST,
	OPT_PORT,
	OPT_PROTOCOL,
	OPT_NON,
};

static const struct option sim_opts[] = {
	{"thing", required_argument, NULL, OPT_THING},
	{"things", required_argument, NULL, OPT_THINGS},
	{"rate", required_argument, NULL, OPT_RATE},
	{"count", required_argument, NULL, OPT_COUNT},
	{"fields", required_argument, NULL, OPT_FIELDS},
	{"host", required_argument, NULL, OPT_HOST},
	{"port", required_argument, NULL, OPT_PORT},
	{"protocol", required_argument, NULL, OPT_PROTOCOL},
	{"non", no_argument, NULL, OPT_NON},
	{NULL, 0, NULL, 0},
};

static int add_thing(const struct cli_ctx *ctx, struct sim *s, const char *name, size_t nlen,
		     const char *key)
{
	if (nlen == 0 || !*key || nlen + strlen(key) > SIM_ID_MAX)
		return cli__usage(ctx, "a thing is NAME:KEY, both not empty (got '%.*s:%s')",
				  (int)nlen, name, key);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sim_thing **t = realloc(s->things, cap * sizeof(*t));
		if (!t)
			return cli__fail(CLI_EAPI, "out of memory");
		s->things = t;
		s->cap = cap;
	}
	struct sim_thing *t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strndup(name, nlen)) || !(t->key = strdup(key))) {
		free(t ? t->name : NULL);
		free(t);
		return cli__fail(CLI_EAPI, "out of memory");
	}
	t->fd = -1;
	s->things[s->n++] = t;
	return CLI_OK;
}

/* --thing NAME:KEY (the key has no ':'; the name may). */
static int thing_arg(const struct cli_ctx *ctx, struct sim *s, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	if (!colon)
		return cli__usage(ctx, "--thing wants NAME:KEY, not '%s'", arg);
	return add_thing(ctx, s, arg, (size_t)(colon - arg), colon + 1);
}

/* One line of a --things file: NAME KEY; blank lines and # comments skipped. */
static int thing_line(const struct cli_ctx *ctx, struct sim *s, const char *path,
		      unsigned no, char *line)
{
	static const char sep[] = " \t\r\n";
	char *save = NULL;
	char *name = strtok_r(line, sep, &save);
	if (!name || name[0] == '#')
		return CLI_OK;
	char *key = strtok_r(NULL, sep, &save);
	if (!key || strtok_r(NULL, sep, &save))
		return cli__usage(ctx, "%s, line %u: want NAME KEY", path, no);
	return add_thing(ctx, s, name, strlen(name), key);
}

static int things_file(const struct cli_ctx *ctx, struct sim *s, const char *path)
{
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdin : fopen(path, "re");
	if (!f)
		return cli__usage(ctx, "cannot read %s: %s", path, strerror(errno));
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;
	int rc = CLI_OK;
	while (rc == CLI_OK && getline(&line, &cap, f) >= 0)
		rc = thing_line(ctx, s, path, ++no, line);
	if (rc == CLI_OK && ferror(f))
		rc = cli__usage(ctx, "cannot read %s: %s", path, strerror(errno));
	if (!std)
		fclose(f);
	return rc;
}

/* Plausible ranges: ECM's sensor sends temp and hum; anything else is 0-100. */
static void field_kind(struct sim_field *f)
{
	double lo = 0, hi = 100, step = 1;
	if (strcmp(f->name, "temp") == 0)
		lo = 15, hi = 35, step = 0.2;
	else if (strcmp(f->name, "hum") == 0)
		lo = 20, hi = 80, step = 0.5;
	f->lo = lo;
	f->hi = hi;
	f->step = step;
}

static bool name_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("_-.", p[i]))
			return false;
	return n > 0 && n <= SIM_FIELD_NAME_MAX && !(n == 3 && memcmp(p, "seq", 3) == 0);
}

static bool field_taken(const struct sim *s, const char *p, size_t n)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strlen(s->fields[i].name) == n && memcmp(s->fields[i].name, p, n) == 0)
			return true;
	return false;
}

/* --fields a,b: names of letters, digits, '_', '-', '.'; not seq; no twice. */
static int fields_arg(const struct cli_ctx *ctx, struct sim *s, const char *arg)
{
	s->nfields = 0;
	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");
		if (!name_ok(p, n) || field_taken(s, p, n) || s->nfields == SIM_FIELDS_MAX)
			return cli__usage(ctx, "--fields wants up to %d distinct names "
					       "(letters, digits, '_', '-', '.'; not seq) "
					       "separated by commas, not '%s'",
					  SIM_FIELDS_MAX, arg);
		struct sim_field *f = &s->fields[s->nfields++];
		snprintf(f->name, sizeof(f->name), "%.*s", (int)n, p);
		field_kind(f);
		p += n;
		if (!*p)
			return CLI_OK;
	}
}

static int protocol_arg(const struct cli_ctx *ctx, struct sim *s, const char *arg)
{
	if (strcmp(arg, "tcp") == 0 || strcmp(arg, "coap") == 0 || strcmp(arg, "coaps") == 0 ||
	    strcmp(arg, "mqtt") == 0) {
		s->proto = arg;
		s->mqtt = strcmp(arg, "mqtt") == 0;
		return CLI_OK;
	}
	return cli__usage(ctx, "--protocol wants tcp, coap, coaps or mqtt, not '%s'", arg);
}

static int sim_option(const struct cli_ctx *ctx, struct sim *s, int c, const char *arg)
{
	switch (c) {
	case OPT_THING:
		return thing_arg(ctx, s, arg);
	case OPT_THINGS:
		return things_file(ctx, s, arg);
	case OPT_RATE:
		if (cli__parse_double(arg, &s->rate) < 0 || s->rate < 0 || s->rate > 1e6)
			return cli__usage(ctx, "--rate wants readings a second, 0 or more (0: as "
					       "fast as possible), not '%s'",
					  arg);
		return CLI_OK;
	case OPT_COUNT:
		if (cli__parse_long(arg, 1, LONG_MAX, &s->count) < 0)
			return cli__usage(ctx, "--count wants a whole number from 1, not '%s'",
					  arg);
		return CLI_OK;
	case OPT_FIELDS:
		return fields_arg(ctx, s, arg);
	case OPT_HOST:
		s->host = arg;
		return CLI_OK;
	case OPT_PORT:
		if (cli__parse_long(arg, 1, 65535, &s->port) < 0)
			return cli__usage(ctx, "--port wants a port from 1 to 65535, not '%s'",
					  arg);
		s->port_set = true;
		return CLI_OK;
	case OPT_PROTOCOL:
		return protocol_arg(ctx, s, arg);
	case OPT_NON:
		s->non = true;
		return CLI_OK;
	default:
		return CLI_EUSAGE; /* '?': already reported */
	}
}

static int sim_args(const struct cli_ctx *ctx, struct sim *s, int argc, char **argv)
{
	const char *arg;
	char **pos;
	int c, rc = CLI_OK;
	optind = 0;
	while (rc == CLI_OK && (c = cli__getopt(ctx, argc, argv, sim_opts, &arg)) != -1)
		rc = sim_option(ctx, s, c, arg);
	if (rc == CLI_OK)
		rc = cli__positional(ctx, argc, argv, 0, &pos);
	if (rc == CLI_OK && s->n == 0)
		rc = cli__usage(ctx, "no things: give --thing NAME:KEY or --things FILE");
	if (rc == CLI_OK && s->nfields == 0)
		rc = fields_arg(ctx, s, "temp,hum");
	return rc;
}

/* Room for a socket a thing, and some; raises the soft limit when it must. */
static int fd_room(const struct sim *s)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)s->n + 32;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return CLI_OK;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return cli__fail(CLI_EUSAGE, "%zu things need more open files than allowed (%lu; "
					     "see ulimit -n)",
				 s->n, (unsigned long)rl.rlim_max);
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return cli__fail(CLI_EUSAGE, "cannot raise the open-file limit to %lu",
				 (unsigned long)want);
	return CLI_OK;
}

/* ---- one thing ---- */

static const char *reason(int err)
{
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static void close_thing(struct sim *s, struct sim_thing *t)
{
	if (t->state == SIM_DONE)
		return;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = SIM_DONE;
	s->live--;
}

static void unreachable(struct sim *s, struct sim_thing *t, const char *why)
{
	report(s, "%s: cannot connect to %s: %s", t->name, s->where, why);
	s->unreachable++;
	close_thing(s, t);
}

/* brinkd closed, or the connection broke, before the thing was done. */
static void lost(struct sim *s, struct sim_thing *t, const char *why)
{
	if (t->state == SIM_AUTH) {
		report(s, "%s: brinkd closed the connection without answering%s%s", t->name,
		       why ? ": " : "", why ? why : "");
		s->refused++;
	} else {
		report(s, "%s: brinkd closed the connection%s%s", t->name, why ? ": " : "",
		       why ? why : "");
		s->lost++;
	}
	close_thing(s, t);
}

static bool finished(const struct sim *s, const struct sim_thing *t)
{
	return interrupted || (s->count && t->seq >= s->count);
}

static void walk(const struct sim_field *f, double *v)
{
	*v += (2 * drand48() - 1) * f->step;
	if (*v < f->lo)
		*v = 2 * f->lo - *v;
	if (*v > f->hi)
		*v = 2 * f->hi - *v;
	*v = fmin(fmax(*v, f->lo), f->hi);
}

/* One reading: {"seq":N,"temp":"31.2",...} and a newline; at most SIM_LINE_MAX. */
static size_t format_reading(const struct sim *s, struct sim_thing *t, char *p)
{
	size_t n = (size_t)snprintf(p, SIM_LINE_MAX, "{\"seq\":%ld", t->seq);
	for (size_t i = 0; i < s->nfields; i++) {
		walk(&s->fields[i], &t->vals[i]);
		n += (size_t)snprintf(p + n, SIM_LINE_MAX - n, ",\"%s\":\"%.1f\"",
				      s->fields[i].name, t->vals[i]);
	}
	n += (size_t)snprintf(p + n, SIM_LINE_MAX - n, "}\n");
	return n;
}

/* Bytes free in t->out once what was written is dropped. */
static size_t room(const struct sim_thing *t)
{
	return SIM_OUT_MAX - (t->out_len - t->out_off);
}

/* Queues the readings that are due, as long as they fit. */
static void generate(struct sim *s, struct sim_thing *t, double now)
{
	while (!finished(s, t) && (s->rate == 0 || t->due <= now) && room(t) >= SIM_LINE_MAX) {
		if (t->out_off) {
			memmove(t->out, t->out + t->out_off, t->out_len - t->out_off);
			t->out_len -= t->out_off;
			t->out_off = 0;
		}
		t->out_len += format_reading(s, t, t->out + t->out_len);
		t->seq++;
		if (s->rate > 0) /* late by over a second: start again from now */
			t->due = now - t->due > 1.0 ? now + 1 / s->rate : t->due + 1 / s->rate;
	}
}

static long newlines(const char *p, size_t n)
{
	long k = 0;
	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		k++;
	return k;
}

/* Writes what the socket takes. Returns -1 when the connection broke. */
static int flush(struct sim *s, struct sim_thing *t)
{
	while (t->out_off < t->out_len) {
		ssize_t n = send(t->fd, t->out + t->out_off, t->out_len - t->out_off,
				 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			lost(s, t, reason(errno));
			return -1;
		}
		if (t->state >= SIM_RUNNING)
			s->sent += newlines(t->out + t->out_off, (size_t)n);
		t->out_off += (size_t)n;
	}
	return 0;
}

static void queue_auth(struct sim *s, struct sim_thing *t, double now)
{
	_cleanup_json_ json_t *j = json_pack("{ssss}", "thing", t->name, "key", t->key);
	_cleanup_free_ char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!line) {
		report(s, "%s: the name or key is not UTF-8", t->name);
		s->refused++;
		close_thing(s, t);
		return;
	}
	t->out_len = (size_t)snprintf(t->out, sizeof(t->out), "%s\n", line);
	t->out_off = 0;
	t->state = SIM_AUTH;
	t->deadline = now + SIM_WAIT_S;
}

static void connected(struct sim *s, struct sim_thing *t, double now)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		unreachable(s, t, reason(err));
	else
		queue_auth(s, t, now);
}

static void dial(struct sim *s, struct sim_thing *t, double now)
{
	bool done = false;
	s->live++;
	t->state = SIM_CONNECTING;
	t->fd = cli__dial(&s->addr, s->addrlen, &done);
	if (t->fd < 0) {
		unreachable(s, t, reason(-t->fd));
		return;
	}
	t->deadline = now + SIM_WAIT_S;
	if (done)
		queue_auth(s, t, now);
}

/* ---- brinkd's answers ---- */

static void authenticated(struct sim *s, struct sim_thing *t, double now)
{
	size_t i = 0;
	while (s->things[i] != t)
		i++;
	t->state = SIM_RUNNING;
	t->deadline = 0;
	/* spread the things over the first interval rather than all at once */
	t->due = s->rate > 0 ? now + (double)i / (double)s->n / s->rate : now;
}

static void answer_error(struct sim *s, struct sim_thing *t, json_t *e)
{
	_cleanup_free_ char *msg = cli__show(e);
	if (t->state == SIM_AUTH) {
		report(s, "%s: brinkd refused the thing: %s", t->name, msg);
		s->refused++;
		close_thing(s, t);
		return;
	}
	report(s, "%s: brinkd refused a reading: %s", t->name, msg);
	s->errors++;
}

static void on_answer(struct sim *s, struct sim_thing *t, const char *line, size_t len,
		      double now)
{
	_cleanup_json_ json_t *j = json_loadb(line, len, 0, NULL);
	json_t *e = json_object_get(j, "error");
	if (e)
		answer_error(s, t, e);
	else if (t->state == SIM_AUTH && json_is_string(json_object_get(j, "ok")))
		authenticated(s, t, now);
	else if (t->state == SIM_AUTH) {
		report(s, "%s: %s answered something else than brinkd's ingest would", t->name,
		       s->where);
		s->refused++;
		close_thing(s, t);
	}
}

static void take_lines(struct sim *s, struct sim_thing *t, double now)
{
	char *p = t->in, *end = t->in + t->in_len, *nl;
	while (t->state != SIM_DONE && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		on_answer(s, t, p, (size_t)(nl - p), now);
		p = nl + 1;
	}
	t->in_len = (size_t)(end - p);
	if (t->in_len == sizeof(t->in))
		t->in_len = 0; /* no line of brinkd's is that long: drop it */
	memmove(t->in, p, t->in_len);
}

static void receive(struct sim *s, struct sim_thing *t, double now)
{
	ssize_t n = recv(t->fd, t->in + t->in_len, sizeof(t->in) - t->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0) {
		t->in_len += (size_t)n;
		take_lines(s, t, now);
	} else if (t->state == SIM_DRAINING) {
		close_thing(s, t); /* brinkd read everything and closed: done */
	} else {
		lost(s, t, n < 0 ? reason(errno) : NULL);
	}
}

/* ---- the loop ---- */

static void expire(struct sim *s, struct sim_thing *t)
{
	if (t->state == SIM_CONNECTING)
		unreachable(s, t, "timed out");
	else if (t->state == SIM_AUTH)
		lost(s, t, "no answer to the authentication in time");
	else
		close_thing(s, t); /* draining: brinkd's answers no longer awaited */
}

/* Everything a thing does without waiting: time-outs, readings, writing. */
static void step(struct sim *s, struct sim_thing *t, double now)
{
	if (t->state == SIM_DONE)
		return;
	if (t->deadline && now >= t->deadline) {
		expire(s, t);
		return;
	}
	if (interrupted && t->state < SIM_RUNNING) {
		close_thing(s, t);
		return;
	}
	if (t->state == SIM_RUNNING)
		generate(s, t, now);
	if (t->out_off < t->out_len && flush(s, t) < 0)
		return;
	if (t->state == SIM_RUNNING && finished(s, t) && t->out_off == t->out_len) {
		shutdown(t->fd, SHUT_WR);
		t->state = SIM_DRAINING;
		t->deadline = now + SIM_DRAIN_S;
	}
}

static int ms_until(double when, double now)
{
	return when <= now ? 0 : (int)ceil((when - now) * 1000);
}

/* What thing t waits for; lowers *timeout to when it next has to act. */
static short wanted(const struct sim *s, const struct sim_thing *t, double now, int *timeout)
{
	int ms = -1;
	if (t->state == SIM_DONE)
		return 0;
	if (t->deadline)
		ms = ms_until(t->deadline, now);
	bool more = t->state == SIM_RUNNING && !finished(s, t) && room(t) >= SIM_LINE_MAX;
	if (more) {
		int due = s->rate == 0 ? 0 : ms_until(t->due, now);
		ms = ms < 0 || due < ms ? due : ms;
	}
	if (ms >= 0 && (*timeout < 0 || ms < *timeout))
		*timeout = ms;
	if (t->state == SIM_CONNECTING || t->out_off < t->out_len)
		return POLLIN | POLLOUT;
	return POLLIN;
}

static void on_events(struct sim *s, struct sim_thing *t, short revents, double now)
{
	if (!revents || t->state == SIM_DONE)
		return;
	if (t->state == SIM_CONNECTING)
		connected(s, t, now);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		receive(s, t, now);
}

static int poll_once(struct sim *s, struct pollfd *pfds)
{
	double now = now_s();
	int timeout = -1;
	for (size_t i = 0; i < s->n; i++)
		step(s, s->things[i], now);
	if (s->live == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		pfds[i].fd = s->things[i]->fd;
		pfds[i].events = wanted(s, s->things[i], now, &timeout);
		pfds[i].revents = 0;
	}
	if (poll(pfds, s->n, timeout) < 0 && errno != EINTR)
		return cli__fail(CLI_EAPI, "poll: %s", strerror(errno));
	now = now_s();
	for (size_t i = 0; i < s->n; i++)
		on_events(s, s->things[i], pfds[i].revents, now);
	return CLI_OK;
}

static int run_loop(struct sim *s)
{
	_cleanup_free_ struct pollfd *pfds = calloc(s->n, sizeof(*pfds));
	if (!pfds)
		return cli__fail(CLI_EAPI, "out of memory");
	s->start = now_s();
	for (size_t i = 0; i < s->n; i++)
		dial(s, s->things[i], s->start);
	int rc = CLI_OK;
	while (rc == CLI_OK && s->live > 0 && interrupted < 2)
		rc = poll_once(s, pfds);
	for (size_t i = 0; i < s->n; i++)
		close_thing(s, s->things[i]);
	return rc;
}

/* ---- the verb ---- */

static int sim_setup(const struct cli_ctx *ctx, struct sim *s, char *host, size_t hostlen)
{
	int rc = s->host ? CLI_OK : cli__url_host(ctx, host, hostlen);
	const char *h = s->host ? s->host : host;
	bool v6 = strchr(h, ':') != NULL;
	snprintf(s->where, sizeof(s->where), "%s%s%s:%ld", v6 ? "[" : "", h, v6 ? "]" : "",
		 s->port);
	if (rc == CLI_OK)
		rc = fd_room(s);
	if (rc == CLI_OK)
		rc = cli__resolve(h, s->port, &s->addr, &s->addrlen);
	if (rc != CLI_OK)
		return rc;
	double *vals = calloc(s->n * s->nfields, sizeof(*vals));
	if (!vals)
		return cli__fail(CLI_EAPI, "out of memory");
	srand48((long)time(NULL) ^ (long)getpid());
	for (size_t i = 0; i < s->n; i++) {
		s->things[i]->vals = vals + i * s->nfields;
		for (size_t f = 0; f < s->nfields; f++) {
			const struct sim_field *k = &s->fields[f];
			double mid = 0.3 + 0.4 * drand48(); /* start inside the range */
			vals[i * s->nfields + f] = k->lo + (k->hi - k->lo) * mid;
		}
	}
	return CLI_OK;
}

static void summary(const struct cli_ctx *ctx, struct sim *s)
{
	double elapsed = now_s() - s->start;
	if (s->hidden)
		fprintf(stderr, "brink: (%ld more such messages not shown)\n", s->hidden);
	if (ctx->json) {
		printf("{\"things\":%zu,\"sent\":%ld,\"errors\":%ld,\"refused\":%ld,"
		       "\"unreachable\":%ld,\"lost\":%ld,\"elapsed\":%.3f}\n",
		       s->n, s->sent, s->errors, s->refused, s->unreachable, s->lost, elapsed);
		return;
	}
	printf("sent %ld readings from %zu thing%s in %.2f s, %ld error%s from brinkd", s->sent,
	       s->n, s->n == 1 ? "" : "s", elapsed, s->errors, s->errors == 1 ? "" : "s");
	if (s->refused)
		printf(", %ld thing%s refused", s->refused, s->refused == 1 ? "" : "s");
	if (s->unreachable)
		printf(", %ld could not connect", s->unreachable);
	if (s->lost)
		printf(", %ld connection%s lost", s->lost, s->lost == 1 ? "" : "s");
	putchar('\n');
}

static int outcome(const struct sim *s)
{
	if (s->unreachable)
		return CLI_ECONNECT;
	return s->refused || s->errors || s->lost ? CLI_EAPI : CLI_OK;
}

static void sim_free(struct sim *s)
{
	if (s->n)
		free(s->things[0]->vals);
	for (size_t i = 0; i < s->n; i++) {
		free(s->things[i]->name);
		free(s->things[i]->key);
		free(s->things[i]);
	}
	free(s->things);
}

static int simulate(const struct cli_ctx *ctx, struct sim *s)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	interrupted = 0;
	int rc = run_loop(s);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	summary(ctx, s);
	return rc != CLI_OK ? rc : outcome(s);
}

/* --protocol coap|coaps: the things and options handed to sensor_coap.c. */
static int simulate_coap(const struct cli_ctx *ctx, struct sim *s)
{
	char host[256];
	int rc = s->host ? CLI_OK : cli__url_host(ctx, host, sizeof(host));
	_cleanup_free_ struct cli_coap_thing *things = calloc(s->n, sizeof(*things));
	const char *fields[SIM_FIELDS_MAX];
	if (rc != CLI_OK || !things)
		return rc != CLI_OK ? rc : cli__fail(CLI_EAPI, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		things[i] = (struct cli_coap_thing){s->things[i]->name, s->things[i]->key};
	for (size_t i = 0; i < s->nfields; i++)
		fields[i] = s->fields[i].name;
	struct cli_coap_plan plan = {
		.things = things, .n = s->n, .fields = fields, .nfields = s->nfields,
		.rate = s->rate, .count = s->count, .host = s->host ? s->host : host,
		.port = s->port_set ? s->port : 0, .dtls = strcmp(s->proto, "coaps") == 0,
		.non = s->non,
	};
	return cli__sensor_coap(ctx, &plan);
}

static size_t sim_reading(void *ctx, size_t i, char *out)
{
	struct sim *s = ctx;
	size_t n = format_reading(s, s->things[i], out);
	s->things[i]->seq++;
	return n;
}

/* --protocol mqtt: played by sensor_mqtt.c with this file's readings. */
static int simulate_mqtt(const struct cli_ctx *ctx, struct sim *s)
{
	char host[256];
	_cleanup_free_ const char **names = calloc(s->n, sizeof(*names));
	_cleanup_free_ const char **keys = calloc(s->n, sizeof(*keys));
	_cleanup_free_ double *vals = calloc(s->n * s->nfields + 1, sizeof(*vals));
	int rc = s->host ? CLI_OK : cli__url_host(ctx, host, sizeof(host));
	if (rc != CLI_OK || !names || !keys || !vals)
		return rc != CLI_OK ? rc : cli__fail(CLI_EAPI, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		names[i] = s->things[i]->name;
		keys[i] = s->things[i]->key;
		s->things[i]->vals = vals + i * s->nfields;
		for (size_t f = 0; f < s->nfields; f++)
			vals[i * s->nfields + f] = (s->fields[f].lo + s->fields[f].hi) / 2;
	}
	struct cli_sim_spec spec = {
		.nthings = s->n, .names = names, .keys = keys, .rate = s->rate,
		.count = s->count, .host = s->host ? s->host : host,
		.port = s->port_set ? s->port : 0, .reading = sim_reading, .ctx = s,
	};
	rc = cli__sensor_mqtt(ctx, &spec);
	for (size_t i = 0; i < s->n; i++)
		s->things[i]->vals = NULL;
	return rc;
}

static int run_simulate(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sim s = {.rate = 1, .port = SIM_DEFAULT_PORT, .proto = "tcp"};
	char host[256];
	int rc = sim_args(ctx, &s, argc, argv);
	if (rc == CLI_OK && strcmp(s.proto, "tcp") != 0) {
		rc = s.mqtt ? simulate_mqtt(ctx, &s) : simulate_coap(ctx, &s);
		sim_free(&s);
		return rc;
	}
	if (rc == CLI_OK)
		rc = sim_setup(ctx, &s, host, sizeof(host));
	if (rc == CLI_OK)
		rc = simulate(ctx, &s);
	sim_free(&s);
	return rc;
}

static const struct cli_cmd simulate_cmd = {
	.name = "simulate",
	.usage = "sensor simulate --thing NAME:KEY [OPTIONS]",
	.summary = "play things sending readings (TCP, CoAP, CoAP over DTLS, MQTT); prints a summary",
	.help = "  --thing NAME:KEY  a thing and its key (repeatable)\n"
		"  --things FILE     things, one 'NAME KEY' a line ('-': stdin; # comments)\n"
		"  --rate R          readings a second per thing (default 1; 0: as fast as\n"
		"                    possible)\n"
		"  --count N         readings per thing (default: until Ctrl-C)\n"
		"  --fields a,b      the reading's fields (default temp,hum: random walks,\n"
		"                    sent as strings like \"31.2\"); readings also have seq\n"
		"                    (0, 1, ... per thing)\n"
		"  --host H          the gateway (default: BRINK_URL's host)\n"
		"  --port P          its ingest port (default 7000, brinkd's ingest.tcp.port;\n"
		"                    coap 5683, coaps 5684, mqtt 1883)\n"
		"  --protocol P      tcp (default), coap (POST /t/NAME?k=KEY over UDP), coaps\n"
		"                    (DTLS-PSK: NAME is TENANT/THING, the PSK identity) or mqtt\n"
		"                    (a thing is TENANT/THING:KEY)\n"
		"  --non             coap, coaps: non-confirmable requests\n"
		"Error lines from brinkd go to stderr (a few a second at most). Exits with 1 when\n"
		"brinkd refused a thing or a reading, with 3 when a thing could not connect.\n",
	.run = run_simulate,
};

static const struct cli_cmd *const sensor_cmds[] = {&simulate_cmd, NULL};

const struct cli_cmd cli__sensor_cmd = {
	.name = "sensor",
	.usage = "sensor COMMAND",
	.summary = "simulated sensors",
	.sub = sensor_cmds,
};
