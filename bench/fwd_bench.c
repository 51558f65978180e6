/* Load generator and receiver of bench-forward.sh: sensor -> subscriber
 * forwarding through a system under test (DESIGN.md budget: throughput >= 1x
 * and p99 <= 1x Mosquitto's, same machine, same run).
 *
 *   fwd_bench MODE -p PORT [-q SUB_PORT] [-n THINGS] [-s SUBS] [-r RATE]
 *             [-c IN_FLIGHT] [-w WARM_S] [-d DUR_S] [-j PUB_THREADS]
 *             [-J SUB_THREADS] [-N] [-L] [-K AUTH_FILE] [-k SUB_LINE]
 *             [-B PID]... [-H HOST]
 *
 * N things send fixed-size readings (80 bytes, padded with JSON whitespace)
 *   {"th":3,"temp":"31.2","hum":"48.1","seq":17,"t_ns":4123456789012}
 * where t_ns is CLOCK_MONOTONIC just before the send; S subscribers each
 * receive every reading and take now - t_ns as its latency. Readings received
 * in the measured window (after the warm-up) give the rate per subscriber and
 * the latency histogram (log-linear, 0.2% resolution: p50, p99, p99.9, max);
 * a jump in a thing's seq counts as lost readings.
 *
 * Load: -r 0 (default) is full speed: the things take turns, each sending
 * whenever its socket takes more, with at most -c readings (default 1000)
 * sent and not yet received by the slowest subscriber, so that socket buffers
 * do not fill with seconds of backlog (-c 0: no bound). -r R offers R
 * readings/s in total on an absolute schedule, round-robin over the things;
 * a slot whose socket is still full is skipped and counted, sends more than
 * 1 ms behind schedule are counted as late. Things are driven by -j threads,
 * subscribers by -J threads, each one epoll loop over non-blocking sockets.
 * -B PID: that process's CPU over the window (the server); our threads' CPU
 * and everything else's are reported too.
 *
 * MODE (a struct transport; load shape and measurement are shared):
 *   mosquitto  libmosquitto, MQTT 3.1.1, QoS 0: thing i publishes to t/i on
 *              the broker at -p; each subscriber subscribes to t/#, then its
 *              PUBLISH packets are read in bulk from libmosquitto's socket
 *              (-L: through mosquitto_loop_read(), one packet at a time).
 *              With -K, line i+1 is "USERNAME PASSWORD TOPIC" for thing i;
 *              with -k "USERNAME PASSWORD FILTER" subscribers log in and
 *              subscribe to FILTER (brink's MQTT path: bench-forward.sh).
 *   brink-tcp  thing i connects to the ingest port -p, sends its auth line
 *              (line i+1 of -K, default {"thing":"thing-i"}) and then one
 *              reading per line; a subscriber connects to -q, sends the -k
 *              line (default {"key":"bench"}) and reads lines in bulk; lines
 *              without "t_ns" are ignored, so readings may come wrapped.
 * -N sets TCP_NODELAY on our sockets in either mode.
 *
 * Prints one line of key=value pairs; exits 1 if a connection failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_LEN 80
#define MAX_THINGS 10000
#define MAX_SUBS 1000
#define MAX_THREADS 16
#define MAX_PIDS 8
#define RBUF_LEN 65536
#define LATE_NS 1000000
#define HIST_BUCKETS (1024 + 40 * 512)

struct opts {
	const char *mode, *host, *auth_file, *sub_line;
	bool sub_line_set;
	int port, sub_port, things, subs, pub_threads, sub_threads, nodelay, in_flight, lib_read;
	double rate, warm_s, dur_s;
	int pids[MAX_PIDS], n_pids;
};

struct hist {
	uint64_t n, max, b[HIST_BUCKETS];
};

struct conn { /* one client connection, thing or subscriber */
	int idx, fd;
	bool ready, dead;
	struct mosquitto *mosq;
};

struct thing {
	struct conn c;
	uint64_t seq;
	char topic[160];
	char pend[PAYLOAD_LEN + 64]; /* brink-tcp: the unsent tail of a line */
	size_t pend_len;
	bool out_armed;
};

struct sub {
	struct conn c;
	struct sub_thread *owner;
	_Atomic uint64_t seen; /* readings received or known lost */
	uint64_t total, win, lost, reordered, other;
	uint64_t *next_seq; /* per thing */
	char *rbuf;
	size_t rlen;
};

struct pub_thread {
	pthread_t tid;
	clockid_t cpu;
	int epfd, n, j;
	struct thing **things;
	uint64_t sent, sent_win, skipped, late;
	int64_t late_max;
};

struct sub_thread {
	pthread_t tid;
	clockid_t cpu;
	int epfd, n;
	struct sub **subs;
	struct hist h;
};

struct transport {
	const char *name;
	bool lines;   /* readings end with '\n' */
	int settle_ms; /* wait after subscribing: no acknowledgement to wait for */
	int (*thing_open)(struct thing *t); /* connected, authenticated, fd set */
	int (*thing_send)(struct thing *t, const char *p, size_t n);
	bool (*thing_blocked)(struct thing *t); /* earlier data still queued */
	int (*thing_flush)(struct thing *t);    /* the socket is writable */
	int (*thing_input)(struct thing *t);    /* the socket is readable */
	int (*sub_open)(struct sub *s);         /* subscribed, fd set */
	int (*sub_input)(struct sub *s);        /* reads, calls on_reading() */
	void (*close)(struct conn *c);
};

static struct {
	struct opts o;
	const struct transport *tp;
	struct thing *things;
	struct sub *subs;
	struct pub_thread pubs[MAX_THREADS];
	struct sub_thread subts[MAX_THREADS];
	char **auth;
	int64_t t_start, t0, t_warm, t_end;
	_Atomic uint64_t sent;
	atomic_bool stop_subs;
	pthread_barrier_t end_barrier;
	uint64_t errors;
} run;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static bool in_window(int64_t t)
{
	return t >= run.t_warm && t < run.t_end;
}

/* ---- histogram: exact below 1024 ns, then 512 buckets per power of two */

static unsigned hist_index(uint64_t v)
{
	if (v < 1024)
		return (unsigned)v;
	int shift = 63 - __builtin_clzll(v) - 9;
	unsigned idx = 1024 + (unsigned)(shift - 1) * 512 + (unsigned)((v >> shift) - 512);
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

static uint64_t hist_value(unsigned idx)
{
	if (idx < 1024)
		return idx;
	unsigned shift = (idx - 1024) / 512 + 1, m = (idx - 1024) % 512 + 512;
	return ((uint64_t)m << shift) + ((1ULL << shift) >> 1);
}

static void hist_add(struct hist *h, int64_t v)
{
	uint64_t u = v > 0 ? (uint64_t)v : 0;
	h->b[hist_index(u)]++;
	h->n++;
	if (u > h->max)
		h->max = u;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += h->b[i];
	into->n += h->n;
	if (h->max > into->max)
		into->max = h->max;
}

static double hist_pct_us(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n + 0.999999), acc = 0;
	if (h->n == 0)
		return 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want)
			return (double)hist_value(i) / 1e3;
	}
	return (double)h->max / 1e3;
}

/* ---- readings */

static size_t format_reading(char *buf, int th, uint64_t seq, int64_t t_ns, bool nl)
{
	int n = snprintf(buf, PAYLOAD_LEN + 64,
			 "{\"th\":%d,\"temp\":\"31.2\",\"hum\":\"48.1\",\"seq\":%" PRIu64
			 ",\"t_ns\":%" PRId64,
			 th, seq, t_ns);
	while (n < PAYLOAD_LEN - 1)
		buf[n++] = ' ';
	buf[n++] = '}';
	if (nl)
		buf[n++] = '\n';
	return (size_t)n;
}

/* The unsigned number (up to 18 digits) after KEY in p[0..n), or -1. */
static int64_t field(const char *p, size_t n, const char *key, size_t klen)
{
	const char *k = memmem(p, n, key, klen), *end = p + n;
	int64_t v = 0;
	int digits = 0;
	if (!k)
		return -1;
	for (k += klen; k < end && *k >= '0' && *k <= '9'; k++)
		if (++digits > 18)
			return -1;
		else
			v = v * 10 + (*k - '0');
	return digits ? v : -1;
}

/* Counts the readings skipped before this one as lost; returns how many. */
static uint64_t count_seq(struct sub *s, int64_t th, int64_t seq)
{
	uint64_t *next, gap = 0;
	if (th < 0 || th >= run.o.things || seq < 0)
		return 0;
	next = &s->next_seq[th];
	if ((uint64_t)seq > *next)
		gap = (uint64_t)seq - *next;
	else if ((uint64_t)seq < *next)
		s->reordered++;
	if ((uint64_t)seq >= *next)
		*next = (uint64_t)seq + 1;
	s->lost += gap;
	return gap;
}

/* One received payload (a line without its '\n', or an MQTT payload). */
static void on_reading(struct sub *s, const char *p, size_t n)
{
	int64_t now = now_ns(), t = field(p, n, "\"t_ns\":", 7);
	if (t < run.t_start) { /* not a reading, or one sent before this run */
		s->other++;
		return;
	}
	s->total++;
	uint64_t gap = count_seq(s, field(p, n, "\"th\":", 5), field(p, n, "\"seq\":", 6));
	atomic_store_explicit(&s->seen, s->seen + 1 + gap, memory_order_relaxed);
	if (in_window(now)) {
		s->win++;
		hist_add(&s->owner->h, now - t);
	}
}

/* ---- bulk receive: one read() for many readings, in both modes */

/* Hands every complete line in the buffer to on_reading(). */
static int split_lines(struct sub *s)
{
	char *p = s->rbuf, *end = s->rbuf + s->rlen, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		on_reading(s, p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (p == s->rbuf && s->rlen == RBUF_LEN)
		return -1; /* a line longer than the buffer */
	s->rlen = (size_t)(end - p);
	memmove(s->rbuf, p, s->rlen);
	return 0;
}

/* Length of an MQTT fixed header at p (type byte + remaining length) and
 * the remaining length in *rl; 0 if incomplete, -1 if malformed. */
static int mqtt_header(const unsigned char *p, size_t n, size_t *rl)
{
	*rl = 0;
	for (size_t i = 1; i < 5; i++) {
		if (i >= n)
			return 0;
		*rl |= (size_t)(p[i] & 127) << (7 * (i - 1));
		if (!(p[i] & 128))
			return (int)i + 1;
	}
	return -1;
}

/* Hands the payload of every complete PUBLISH in the buffer to on_reading(). */
static int split_publishes(struct sub *s)
{
	unsigned char *p = (unsigned char *)s->rbuf, *end = p + s->rlen;
	size_t rl;
	int h;
	while ((h = mqtt_header(p, (size_t)(end - p), &rl)) > 0 && (size_t)(end - p) >= h + rl) {
		const unsigned char *v = p + h;
		size_t skip = rl >= 2 ? 2 + ((size_t)v[0] << 8 | v[1]) + (p[0] & 6 ? 2 : 0) : rl + 1;
		if ((p[0] & 0xf0) == 0x30 && skip <= rl)
			on_reading(s, (const char *)v + skip, rl - skip);
		else
			s->other++;
		p += h + rl;
	}
	if (h < 0 || rl + 5 > RBUF_LEN)
		return -1;
	s->rlen = (size_t)(end - p);
	memmove(s->rbuf, p, s->rlen);
	return 0;
}

/* Reads what the socket has, SPLIT hands on what is complete. */
static int bulk_input(struct sub *s, int (*split)(struct sub *))
{
	for (;;) {
		size_t room = RBUF_LEN - s->rlen;
		ssize_t r = read(s->c.fd, s->rbuf + s->rlen, room);
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		s->rlen += (size_t)r;
		if (split(s) < 0)
			return -1;
		if ((size_t)r < room)
			return 0;
	}
}

/* ---- mosquitto transport */

static void mq_on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct conn *c = obj;
	(void)m;
	if (rc == 0)
		c->ready = true;
	else
		c->dead = true;
}

static void mq_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos)
{
	(void)m, (void)mid;
	if (n > 0 && qos[0] == 0x80)
		((struct conn *)obj)->dead = true; /* refused */
	else
		((struct conn *)obj)->ready = true;
}

static void mq_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	(void)m;
	on_reading(obj, msg->payload, (size_t)msg->payloadlen);
}

static int mq_wait_ready(struct conn *c)
{
	int64_t deadline = now_ns() + 5000000000LL;
	while (!c->ready && !c->dead && now_ns() < deadline)
		if (mosquitto_loop(c->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
			return -1;
	return c->ready ? 0 : -1;
}

/* "USERNAME PASSWORD REST" into its three words (in place); -1 when not so. */
static int mq_split(char *line, char **user, char **pass, char **rest)
{
	char *save = NULL;
	*user = strtok_r(line, " ", &save);
	*pass = strtok_r(NULL, " ", &save);
	*rest = strtok_r(NULL, " ", &save);
	return *user && *pass && *rest ? 0 : -1;
}

static int mq_connect(struct conn *c, const char *kind, const char *user, const char *pass)
{
	char id[48];
	snprintf(id, sizeof(id), "fwdb-%d-%s%d", (int)getpid(), kind, c->idx);
	c->mosq = mosquitto_new(id, true, c);
	if (!c->mosq)
		return -1;
	mosquitto_connect_callback_set(c->mosq, mq_on_connect);
	if (user)
		mosquitto_username_pw_set(c->mosq, user, pass);
	if (run.o.nodelay)
		mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	if (mosquitto_connect(c->mosq, run.o.host, run.o.port, 60) != MOSQ_ERR_SUCCESS ||
	    mq_wait_ready(c) < 0)
		return -1;
	c->fd = mosquitto_socket(c->mosq);
	return 0;
}

static int mq_thing_open(struct thing *t)
{
	char line[4096], *user = NULL, *pass = NULL, *topic = NULL;
	snprintf(t->topic, sizeof(t->topic), "t/%d", t->c.idx);
	if (run.auth) {
		snprintf(line, sizeof(line), "%s", run.auth[t->c.idx]);
		if (mq_split(line, &user, &pass, &topic) < 0)
			return -1;
		snprintf(t->topic, sizeof(t->topic), "%s", topic);
	}
	return mq_connect(&t->c, "t", user, pass);
}

static int mq_thing_send(struct thing *t, const char *p, size_t n)
{
	int rc = mosquitto_publish(t->c.mosq, NULL, t->topic, (int)n, p, 0, false);
	return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static bool mq_thing_blocked(struct thing *t)
{
	return mosquitto_want_write(t->c.mosq);
}

static int mq_thing_flush(struct thing *t)
{
	return mosquitto_loop_write(t->c.mosq, 1) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

/* mosquitto_loop_read() handles one QoS 0 packet per call: call it until
 * the socket has nothing more (libmosquitto leaves errno at EAGAIN). */
static int mq_read_all(struct mosquitto *m)
{
	for (int i = 0; i < 4096; i++) {
		errno = 0;
		if (mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS)
			return -1;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
	return 0;
}

static int mq_thing_input(struct thing *t)
{
	return mq_read_all(t->c.mosq);
}

static int mq_sub_open(struct sub *s)
{
	char line[4096], *user = NULL, *pass = NULL, *filter = "t/#";
	snprintf(line, sizeof(line), "%s", run.o.sub_line);
	if (run.o.sub_line_set && mq_split(line, &user, &pass, &filter) < 0)
		return -1;
	if (mq_connect(&s->c, "s", user, pass) < 0)
		return -1;
	s->c.ready = false;
	mosquitto_subscribe_callback_set(s->c.mosq, mq_on_subscribe);
	mosquitto_message_callback_set(s->c.mosq, mq_on_message);
	s->rbuf = malloc(RBUF_LEN);
	if (!s->rbuf || mosquitto_subscribe(s->c.mosq, NULL, filter, 0) != MOSQ_ERR_SUCCESS)
		return -1;
	return mq_wait_ready(&s->c);
}

/* After the SUBACK the broker sends only PUBLISH packets: by default they
 * are read in bulk from libmosquitto's socket (-L: by mosquitto_loop_read(),
 * one packet and three read()s at a time). */
static int mq_sub_input(struct sub *s)
{
	if (run.o.lib_read)
		return mq_read_all(s->c.mosq);
	return bulk_input(s, split_publishes);
}

static void mq_close(struct conn *c)
{
	if (!c->mosq)
		return;
	if (!c->dead)
		mosquitto_disconnect(c->mosq);
	mosquitto_destroy(c->mosq);
}

static const struct transport mq_transport = {
	.name = "mosquitto",
	.thing_open = mq_thing_open,
	.thing_send = mq_thing_send,
	.thing_blocked = mq_thing_blocked,
	.thing_flush = mq_thing_flush,
	.thing_input = mq_thing_input,
	.sub_open = mq_sub_open,
	.sub_input = mq_sub_input,
	.close = mq_close,
};

/* ---- brink-tcp transport: newline-delimited JSON over plain TCP */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

/* Connects to host:port, sends LINE and '\n', leaves the socket non-blocking. */
static int tcp_open(struct conn *c, int port, const char *line)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || inet_pton(AF_INET, run.o.host, &a.sin_addr) != 1 ||
	    connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	if (run.o.nodelay)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (write_all(c->fd, line, strlen(line)) < 0 || write_all(c->fd, "\n", 1) < 0)
		return -1;
	c->ready = true;
	return fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

static int tcp_thing_open(struct thing *t)
{
	char dflt[48];
	snprintf(dflt, sizeof(dflt), "{\"thing\":\"thing-%d\"}", t->c.idx);
	return tcp_open(&t->c, run.o.port, run.auth ? run.auth[t->c.idx] : dflt);
}

static int tcp_thing_send(struct thing *t, const char *p, size_t n)
{
	ssize_t w = write(t->c.fd, p, n);
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -1;
	if (w < 0)
		w = 0;
	t->pend_len = n - (size_t)w;
	memcpy(t->pend, p + w, t->pend_len);
	return 0;
}

static bool tcp_thing_blocked(struct thing *t)
{
	return t->pend_len > 0;
}

static int tcp_thing_flush(struct thing *t)
{
	char tail[sizeof(t->pend)];
	size_t n = t->pend_len;
	memcpy(tail, t->pend, n);
	return tcp_thing_send(t, tail, n);
}

static int tcp_thing_input(struct thing *t)
{
	char buf[4096];
	for (;;) {
		ssize_t r = read(t->c.fd, buf, sizeof(buf));
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
}

static int tcp_sub_open(struct sub *s)
{
	s->rbuf = malloc(RBUF_LEN);
	if (!s->rbuf)
		return -1;
	return tcp_open(&s->c, run.o.sub_port, run.o.sub_line);
}

static int tcp_sub_input(struct sub *s)
{
	return bulk_input(s, split_lines);
}

static void tcp_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
}

static const struct transport tcp_transport = {
	.name = "brink-tcp",
	.lines = true,
	.settle_ms = 200,
	.thing_open = tcp_thing_open,
	.thing_send = tcp_thing_send,
	.thing_blocked = tcp_thing_blocked,
	.thing_flush = tcp_thing_flush,
	.thing_input = tcp_thing_input,
	.sub_open = tcp_sub_open,
	.sub_input = tcp_sub_input,
	.close = tcp_close,
};

static const struct transport *const transports[] = {&mq_transport, &tcp_transport, NULL};

/* ---- publishers */

static uint64_t least_seen(void)
{
	uint64_t least = UINT64_MAX;
	for (int i = 0; i < run.o.subs; i++) {
		uint64_t n = atomic_load_explicit(&run.subs[i].seen, memory_order_relaxed);
		if (n < least)
			least = n;
	}
	return least;
}

/* Full speed is bounded by -c: at most that many readings sent and not yet
 * seen by the slowest subscriber, so that the socket buffers do not fill
 * with seconds of readings. */
static bool may_send(void)
{
	uint64_t sent = atomic_load_explicit(&run.sent, memory_order_relaxed), seen;
	if (run.o.in_flight <= 0)
		return true;
	seen = least_seen(); /* may pass sent while a send is being counted */
	return seen >= sent || sent - seen < (uint64_t)run.o.in_flight;
}

static void watch(int epfd, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	if (epoll_ctl(epfd, op, c->fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		c->dead = true;
}

static void kill_conn(int epfd, struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	watch(epfd, c, 0, EPOLL_CTL_DEL);
	__atomic_fetch_add(&run.errors, 1, __ATOMIC_RELAXED);
}

static void arm_out(struct pub_thread *pt, struct thing *t, bool on)
{
	if (t->out_armed == on || t->c.dead)
		return;
	t->out_armed = on;
	watch(pt->epfd, &t->c, EPOLLIN | (on ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

static void send_one(struct pub_thread *pt, struct thing *t)
{
	char buf[PAYLOAD_LEN + 64];
	int64_t now = now_ns();
	size_t n = format_reading(buf, t->c.idx, t->seq, now, run.tp->lines);
	if (run.tp->thing_send(t, buf, n) < 0) {
		kill_conn(pt->epfd, &t->c);
		return;
	}
	t->seq++;
	pt->sent++;
	atomic_fetch_add_explicit(&run.sent, 1, memory_order_relaxed);
	pt->sent_win += in_window(now);
	if (run.tp->thing_blocked(t))
		arm_out(pt, t, true);
}

static void thing_event(struct pub_thread *pt, struct thing *t, uint32_t ev)
{
	if ((ev & EPOLLOUT) && !t->c.dead) {
		if (run.tp->thing_flush(t) < 0)
			kill_conn(pt->epfd, &t->c);
		else if (!run.tp->thing_blocked(t))
			arm_out(pt, t, false);
	}
	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !t->c.dead &&
	    run.tp->thing_input(t) < 0)
		kill_conn(pt->epfd, &t->c);
}

/* Handles socket events for up to TIMEOUT_NS (0: only what is pending). */
static void pump(struct pub_thread *pt, int64_t timeout_ns)
{
	struct epoll_event ev[64];
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
	int n = epoll_pwait2(pt->epfd, ev, 64, &ts, NULL);
	for (int i = 0; i < n; i++)
		thing_event(pt, ev[i].data.ptr, ev[i].events);
}

/* Round-robin over the things, resumed where the in-flight bound stopped
 * it, so that every thing sends the same share. */
static void run_full_speed(struct pub_thread *pt)
{
	unsigned round = 0;
	int next = 0;
	while (now_ns() < run.t_end) {
		int sent = 0;
		for (int k = 0; k < pt->n && may_send(); k++, next = (next + 1) % pt->n) {
			struct thing *t = pt->things[next];
			if (!t->c.dead && !run.tp->thing_blocked(t)) {
				send_one(pt, t);
				sent++;
			}
		}
		if (!sent)
			pump(pt, 50000);
		else if (++round % 16 == 0)
			pump(pt, 0);
	}
}

static void note_lag(struct pub_thread *pt, int64_t lag)
{
	if (lag > LATE_NS)
		pt->late++;
	if (lag > pt->late_max)
		pt->late_max = lag;
}

/* Thread j of P sends its things' share of the rate, its slots offset by
 * j/P of its interval so the threads interleave. */
static void run_paced(struct pub_thread *pt)
{
	double interval = 1e9 * run.o.things / (run.o.rate * pt->n);
	double phase = interval * pt->j / run.o.pub_threads;
	for (uint64_t k = 0;;) {
		int64_t now = now_ns(), due = run.t0 + (int64_t)(phase + (double)k * interval);
		if (now >= run.t_end)
			break;
		if (due > now) {
			pump(pt, due - now);
			continue;
		}
		note_lag(pt, now - due);
		struct thing *t = pt->things[k++ % (uint64_t)pt->n];
		if (t->c.dead || run.tp->thing_blocked(t))
			pt->skipped++;
		else
			send_one(pt, t);
	}
}

static void *pub_main(void *arg)
{
	struct pub_thread *pt = arg;
	prctl(PR_SET_TIMERSLACK, 1UL);
	sleep_until(run.t0);
	if (run.o.rate > 0)
		run_paced(pt);
	else
		run_full_speed(pt);
	pthread_barrier_wait(&run.end_barrier);
	return NULL;
}

/* ---- subscribers */

static void *sub_main(void *arg)
{
	struct sub_thread *st = arg;
	struct epoll_event ev[64];
	prctl(PR_SET_TIMERSLACK, 1UL);
	while (!atomic_load(&run.stop_subs)) {
		int n = epoll_wait(st->epfd, ev, 64, 20);
		for (int i = 0; i < n; i++) {
			struct sub *s = ev[i].data.ptr;
			if (!s->c.dead && run.tp->sub_input(s) < 0)
				kill_conn(st->epfd, &s->c);
		}
	}
	return NULL;
}

/* ---- set-up, drain, report */

static int load_auth(const char *path, int n)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	if (!f)
		return -1;
	run.auth = calloc((size_t)n, sizeof(*run.auth));
	for (int i = 0; i < n && run.auth && fgets(line, sizeof(line), f); i++) {
		line[strcspn(line, "\n")] = '\0';
		run.auth[i] = strdup(line);
	}
	fclose(f);
	for (int i = 0; run.auth && i < n; i++)
		if (!run.auth[i])
			return -1;
	return run.auth ? 0 : -1;
}

static int open_things(void)
{
	for (int j = 0; j < run.o.pub_threads; j++) {
		struct pub_thread *pt = &run.pubs[j];
		pt->j = j;
		pt->epfd = epoll_create1(EPOLL_CLOEXEC);
		pt->things = calloc((size_t)run.o.things, sizeof(*pt->things));
		if (pt->epfd < 0 || !pt->things)
			return -1;
	}
	for (int i = 0; i < run.o.things; i++) {
		struct thing *t = &run.things[i];
		struct pub_thread *pt = &run.pubs[i % run.o.pub_threads];
		t->c.idx = i, t->c.fd = -1;
		if (run.tp->thing_open(t) < 0) {
			fprintf(stderr, "fwd_bench: thing %d: cannot connect\n", i);
			return -1;
		}
		pt->things[pt->n++] = t;
		watch(pt->epfd, &t->c, EPOLLIN, EPOLL_CTL_ADD);
	}
	return 0;
}

static int open_subs(void)
{
	for (int j = 0; j < run.o.sub_threads; j++) {
		struct sub_thread *st = &run.subts[j];
		st->epfd = epoll_create1(EPOLL_CLOEXEC);
		st->subs = calloc((size_t)run.o.subs, sizeof(*st->subs));
		if (st->epfd < 0 || !st->subs)
			return -1;
	}
	for (int i = 0; i < run.o.subs; i++) {
		struct sub *s = &run.subs[i];
		struct sub_thread *st = &run.subts[i % run.o.sub_threads];
		s->c.idx = i, s->c.fd = -1, s->owner = st;
		s->next_seq = calloc((size_t)run.o.things, sizeof(*s->next_seq));
		if (!s->next_seq || run.tp->sub_open(s) < 0) {
			fprintf(stderr, "fwd_bench: subscriber %d: cannot subscribe\n", i);
			return -1;
		}
		st->subs[st->n++] = s;
		watch(st->epfd, &s->c, EPOLLIN, EPOLL_CTL_ADD);
	}
	return 0;
}

static int start_threads(void)
{
	for (int j = 0; j < run.o.sub_threads; j++)
		if (pthread_create(&run.subts[j].tid, NULL, sub_main, &run.subts[j]) ||
		    pthread_getcpuclockid(run.subts[j].tid, &run.subts[j].cpu))
			return -1;
	for (int j = 0; j < run.o.pub_threads; j++)
		if (pthread_create(&run.pubs[j].tid, NULL, pub_main, &run.pubs[j]) ||
		    pthread_getcpuclockid(run.pubs[j].tid, &run.pubs[j].cpu))
			return -1;
	return 0;
}

static uint64_t total_sent(void)
{
	uint64_t n = 0;
	for (int j = 0; j < run.o.pub_threads; j++)
		n += run.pubs[j].sent;
	return n;
}

/* Lets the subscribers catch up after the last send: until all have every
 * reading, 300 ms pass without progress, or 3 s. */
static void drain(void)
{
	uint64_t sent = total_sent(), last = 0;
	int64_t deadline = now_ns() + 3000000000LL, idle_since = now_ns();
	for (;;) {
		uint64_t got = least_seen();
		int64_t now = now_ns();
		if (got >= sent || now > deadline || now - idle_since > 300000000)
			break;
		if (got != last)
			last = got, idle_since = now;
		usleep(5000);
	}
	atomic_store(&run.stop_subs, true);
}

struct cpu_sample {
	int64_t pub_ns, sub_ns, server_ticks, self_ticks, busy_ticks, all_ticks;
};

static int64_t thread_cpu(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t proc_ticks(int pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (int64_t)(ut + st);
}

/* Busy and total ticks of the whole machine (/proc/stat "cpu" line). */
static void machine_ticks(int64_t *busy, int64_t *all)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		*all = (int64_t)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]);
		*busy = *all - (int64_t)(v[3] + v[4]);
	}
	fclose(f);
}

static void sample_cpu(struct cpu_sample *c)
{
	memset(c, 0, sizeof(*c));
	for (int j = 0; j < run.o.pub_threads; j++)
		c->pub_ns += thread_cpu(run.pubs[j].cpu);
	for (int j = 0; j < run.o.sub_threads; j++)
		c->sub_ns += thread_cpu(run.subts[j].cpu);
	for (int i = 0; i < run.o.n_pids; i++)
		c->server_ticks += proc_ticks(run.o.pids[i]);
	c->self_ticks = proc_ticks((int)getpid());
	machine_ticks(&c->busy_ticks, &c->all_ticks);
}

/* CPU used by everything else on the machine (other work, and the kernel's
 * interrupt handling) as a percentage of one CPU: a noisy neighbour shows
 * here. */
static double background_pct(const struct cpu_sample *a, const struct cpu_sample *b)
{
	double all = (double)(b->all_ticks - a->all_ticks), ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
	double other = (double)(b->busy_ticks - a->busy_ticks) -
		       (double)(b->self_ticks - a->self_ticks + b->server_ticks - a->server_ticks);
	return all > 0 && other > 0 ? 100.0 * ncpu * other / all : 0; /* ticks: approximate */
}

struct totals {
	uint64_t sent_win, skipped, late, win_sum, win_min, lost, reordered, undelivered;
	int64_t late_max;
	struct hist *h;
};

static void sum_up(struct totals *s)
{
	memset(s, 0, sizeof(*s));
	s->win_min = UINT64_MAX;
	s->h = calloc(1, sizeof(*s->h));
	for (int j = 0; j < run.o.pub_threads; j++) {
		struct pub_thread *pt = &run.pubs[j];
		s->sent_win += pt->sent_win, s->skipped += pt->skipped, s->late += pt->late;
		s->late_max = pt->late_max > s->late_max ? pt->late_max : s->late_max;
	}
	for (int i = 0; i < run.o.subs; i++) {
		struct sub *b = &run.subs[i];
		s->win_sum += b->win, s->lost += b->lost, s->reordered += b->reordered;
		s->win_min = b->win < s->win_min ? b->win : s->win_min;
		if (total_sent() > b->total + b->lost)
			s->undelivered += total_sent() - b->total - b->lost;
	}
	for (int j = 0; s->h && j < run.o.sub_threads; j++)
		hist_merge(s->h, &run.subts[j].h);
}

static void report(const struct cpu_sample *a, const struct cpu_sample *b)
{
	struct totals s;
	double d = run.o.dur_s, sent = (double)total_sent() * run.o.subs;
	double win_ns = d * 1e9, ticks = d * (double)sysconf(_SC_CLK_TCK);
	sum_up(&s);
	if (!s.h)
		return;
	printf("mode=%s things=%d subs=%d rate=%g pub_threads=%d sub_threads=%d nodelay=%d "
	       "in_flight=%d window_s=%g sent_per_s=%.0f recv_per_sub_per_s=%.0f recv_min_per_s=%.0f "
	       "lost_pct=%.3f undelivered=%" PRIu64 " reordered=%" PRIu64 " ",
	       run.tp->name, run.o.things, run.o.subs, run.o.rate, run.o.pub_threads,
	       run.o.sub_threads, run.o.nodelay, run.o.in_flight, d, (double)s.sent_win / d,
	       (double)s.win_sum / run.o.subs / d, (double)s.win_min / d,
	       sent > 0 ? 100.0 * (double)s.lost / sent : 0, s.undelivered, s.reordered);
	printf("samples=%" PRIu64 " p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
	       "skipped=%" PRIu64 " late_pct=%.3f late_max_us=%.0f pub_cpu_pct=%.0f "
	       "sub_cpu_pct=%.0f server_cpu_pct=%.0f background_cpu_pct=%.0f errors=%" PRIu64 "\n",
	       s.h->n, hist_pct_us(s.h, 0.50), hist_pct_us(s.h, 0.99), hist_pct_us(s.h, 0.999),
	       (double)s.h->max / 1e3, s.skipped,
	       total_sent() ? 100.0 * (double)s.late / (double)total_sent() : 0,
	       (double)s.late_max / 1e3, 100.0 * (double)(b->pub_ns - a->pub_ns) / win_ns,
	       100.0 * (double)(b->sub_ns - a->sub_ns) / win_ns,
	       100.0 * (double)(b->server_ticks - a->server_ticks) / ticks, background_pct(a, b),
	       run.errors);
	free(s.h);
}

/* ---- options */

static void usage(void)
{
	fprintf(stderr, "usage: fwd_bench mosquitto|brink-tcp -p PORT [-q SUB_PORT] [-n THINGS] "
			"[-s SUBS] [-r RATE] [-c IN_FLIGHT] [-w WARM_S] [-d DUR_S] [-j PUB_THREADS] "
			"[-J SUB_THREADS] [-N] [-K AUTH_FILE] [-k SUB_LINE] [-B PID]... [-H HOST]\n");
	exit(2);
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	*o = (struct opts){.host = "127.0.0.1", .sub_line = "{\"key\":\"bench\"}", .things = 1,
			   .subs = 1, .pub_threads = 1, .sub_threads = 1, .warm_s = 1, .dur_s = 3,
			   .in_flight = 1000};
	while ((c = getopt(argc, argv, "H:p:q:n:s:r:c:w:d:j:J:NLK:k:B:")) != -1) {
		switch (c) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = atoi(optarg); break;
		case 'q': o->sub_port = atoi(optarg); break;
		case 'n': o->things = clampi(atoi(optarg), 1, MAX_THINGS); break;
		case 's': o->subs = clampi(atoi(optarg), 1, MAX_SUBS); break;
		case 'r': o->rate = atof(optarg); break;
		case 'c': o->in_flight = atoi(optarg); break;
		case 'w': o->warm_s = atof(optarg); break;
		case 'd': o->dur_s = atof(optarg); break;
		case 'j': o->pub_threads = clampi(atoi(optarg), 1, MAX_THREADS); break;
		case 'J': o->sub_threads = clampi(atoi(optarg), 1, MAX_THREADS); break;
		case 'N': o->nodelay = 1; break;
		case 'L': o->lib_read = 1; break;
		case 'K': o->auth_file = optarg; break;
		case 'k': o->sub_line = optarg; o->sub_line_set = true; break;
		case 'B':
			if (o->n_pids < MAX_PIDS)
				o->pids[o->n_pids++] = atoi(optarg);
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || o->port <= 0 || o->dur_s <= 0 || o->warm_s < 0 || o->rate < 0)
		usage();
	o->mode = argv[optind];
	o->pub_threads = clampi(o->pub_threads, 1, o->things);
	o->sub_threads = clampi(o->sub_threads, 1, o->subs);
}

static int setup(void)
{
	for (int i = 0; transports[i]; i++)
		if (strcmp(transports[i]->name, run.o.mode) == 0)
			run.tp = transports[i];
	if (!run.tp || (run.tp == &tcp_transport && run.o.sub_port <= 0))
		usage();
	if (run.o.auth_file && load_auth(run.o.auth_file, run.o.things) < 0) {
		fprintf(stderr, "fwd_bench: %s: need one auth line per thing\n", run.o.auth_file);
		return -1;
	}
	run.things = calloc((size_t)run.o.things, sizeof(*run.things));
	run.subs = calloc((size_t)run.o.subs, sizeof(*run.subs));
	if (!run.things || !run.subs || open_subs() < 0 || open_things() < 0)
		return -1;
	usleep((useconds_t)run.tp->settle_ms * 1000);
	return 0;
}

static void teardown(void)
{
	for (int i = 0; i < run.o.things; i++)
		run.tp->close(&run.things[i].c);
	for (int i = 0; i < run.o.subs; i++)
		run.tp->close(&run.subs[i].c);
}

int main(int argc, char **argv)
{
	struct cpu_sample a, b;
	parse_opts(argc, argv, &run.o);
	run.t_start = now_ns();
	mosquitto_lib_init();
	if (setup() < 0) {
		teardown();
		return 1;
	}
	run.t0 = now_ns() + 20000000;
	run.t_warm = run.t0 + (int64_t)(run.o.warm_s * 1e9);
	run.t_end = run.t_warm + (int64_t)(run.o.dur_s * 1e9);
	pthread_barrier_init(&run.end_barrier, NULL, (unsigned)run.o.pub_threads + 1);
	if (start_threads() < 0)
		return 1;
	sleep_until(run.t_warm);
	sample_cpu(&a);
	sleep_until(run.t_end);
	sample_cpu(&b);
	pthread_barrier_wait(&run.end_barrier);
	for (int j = 0; j < run.o.pub_threads; j++)
		pthread_join(run.pubs[j].tid, NULL);
	drain();
	for (int j = 0; j < run.o.sub_threads; j++)
		pthread_join(run.subts[j].tid, NULL);
	report(&a, &b);
	teardown();
	mosquitto_lib_cleanup();
	return run.errors ? 1 : 0;
}
