/* Client side of bench-dataplane.sh: many held connections, thing creation
 * over REST, and forward service start -> first reading.
 *
 *   conn_bench things URL KEY N AUTH_FILE
 *       creates things thing-0 .. thing-N-1 with POST /v1/things over one
 *       kept-alive connection (libcurl), writes one ingest auth line per
 *       thing to AUTH_FILE ({"thing":"thing-i","key":"..."}), then times
 *       GET /healthz on the same connection as the reference.
 *       Prints "total_s p50_us p99_us healthz_p50_us healthz_p99_us".
 *
 *   conn_bench hold brink PORT N AUTH_FILE
 *   conn_bench hold mqtt PORT N
 *       opens N TCP connections to 127.0.0.1:PORT from one thread (epoll,
 *       non-blocking sockets, at most WINDOW handshakes in flight), each
 *       authenticated: brink: the auth line, then waits for {"ok":...};
 *       mqtt: an MQTT 3.1.1 CONNECT (client id thing-i, clean session, no
 *       user name), then waits for a CONNACK accepting it. Prints
 *       "ready N ELAPSED_MS" once all are up, then holds them, watching for
 *       the server closing any, until SIGUSR1 or SIGTERM; then prints
 *       "held N closed_by_server K" and closes them. Exits 1 if a connection
 *       failed or was refused (a line "error ..." says which and why).
 *
 *   conn_bench first URL KEY INGEST_PORT AUTH_LINE N
 *       a thread keeps one thing connected to the ingest (AUTH_LINE) sending
 *       one reading every 1 ms; N times: POST /v1/services (a forward
 *       service), and as soon as the reply arrives connect to its stream
 *       port (ports[0]; retried while refused), send the tenant key line and
 *       wait for the first reading line; the service is then deleted
 *       (untimed). Prints "first_p50_us first_p99_us start_p50_us
 *       start_p99_us after_reply_p50_us after_reply_p99_us refused_starts
 *       refused_connects connect_wait_p50_us connect_wait_p99_us max_first_us"
 *       (refused_starts: starts whose stream port refused the first connect
 *       made right after the reply; connect_wait: reply -> connected).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define WINDOW 256 /* connection handshakes in flight */
#define HOLD_TIMEOUT_S 60

/* ---------------- REST over one kept-alive libcurl handle ---------------- */

struct sink {
	char *buf;
	size_t len, cap;
};

static size_t take(char *p, size_t sz, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t k = sz * n;
	if (s->len + k + 1 > s->cap) {
		size_t cap = (s->len + k + 1) * 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, k);
	s->len += k;
	s->buf[s->len] = '\0';
	return k;
}

static CURL *client(const char *key, struct curl_slist **hdrs, struct sink *sink)
{
	char auth[160];
	CURL *c = curl_easy_init();
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	*hdrs = curl_slist_append(NULL, auth);
	*hdrs = curl_slist_append(*hdrs, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	return c;
}

/* method NULL: POST when body, else GET. Returns the status or -1. */
static int request(CURL *c, const char *method, const char *url, const char *body,
		   struct sink *sink)
{
	long status = 0;
	sink->len = 0;
	if (sink->buf)
		sink->buf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return (int)status;
}

/* Copies the string value of "name" in a flat JSON reply into out. */
static int json_str(const char *body, const char *name, char *out, size_t outlen)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\"", name);
	const char *p = body ? strstr(body, pat) : NULL;
	if (!p || !(p = strchr(p + strlen(pat), '"')))
		return -1;
	const char *e = strchr(++p, '"');
	if (!e || (size_t)(e - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

static int mode_things(const char *base, const char *key, int n, const char *path)
{
	char url[256], hurl[256], body[96], tkey[96];
	struct sink sink = {0};
	struct curl_slist *hdrs;
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	snprintf(url, sizeof(url), "%s/v1/things", base);
	snprintf(hurl, sizeof(hurl), "%s/healthz", base);
	CURL *c = client(key, &hdrs, &sink);
	double *t = calloc((size_t)n, sizeof(double));
	double start = bench_now_us();
	for (int i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"thing-%d\"}", i);
		double t0 = bench_now_us();
		int st = request(c, NULL, url, body, &sink);
		t[i] = bench_now_us() - t0;
		if (st != 201 || json_str(sink.buf, "key", tkey, sizeof(tkey)) < 0) {
			fprintf(stderr, "conn_bench: POST /v1/things %d answered %d: %.200s\n", i, st,
				sink.buf ? sink.buf : "");
			return 1;
		}
		fprintf(f, "{\"thing\":\"thing-%d\",\"key\":\"%s\"}\n", i, tkey);
	}
	double total = bench_now_us() - start;
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	bench_sort(t, (size_t)n);
	int hn = 1000;
	double *h = calloc((size_t)hn, sizeof(double));
	for (int i = 0; i < hn; i++) {
		double t0 = bench_now_us();
		if (request(c, NULL, hurl, NULL, &sink) != 200) {
			fprintf(stderr, "conn_bench: GET /healthz failed\n");
			return 1;
		}
		h[i] = bench_now_us() - t0;
	}
	bench_sort(h, (size_t)hn);
	printf("%.2f %.1f %.1f %.1f %.1f\n", total / 1e6, bench_pct(t, (size_t)n, 50), bench_pct(t, (size_t)n, 99),
	       bench_pct(h, (size_t)hn, 50), bench_pct(h, (size_t)hn, 99));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(t);
	free(h);
	free(sink.buf);
	return 0;
}

/* ---------------- many held connections ---------------- */

enum cstate { C_IDLE, C_CONNECTING, C_WAITING, C_READY, C_GONE };

struct hconn {
	int fd;
	enum cstate st;
	unsigned char got; /* bytes of the reply seen so far */
	unsigned char reply[6];
};

static volatile sig_atomic_t stop_flag;
static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static char **read_lines(const char *path, int n)
{
	FILE *f = fopen(path, "r");
	char line[512];
	char **v = calloc((size_t)n, sizeof(char *));
	int i = 0;
	if (!f) {
		perror(path);
		return NULL;
	}
	while (i < n && fgets(line, sizeof(line), f))
		v[i++] = strdup(line);
	fclose(f);
	if (i < n) {
		fprintf(stderr, "conn_bench: %s has %d lines, %d wanted\n", path, i, n);
		return NULL;
	}
	return v;
}

/* The MQTT 3.1.1 CONNECT of thing i, into buf; returns its length. */
static size_t mqtt_connect(char *buf, int i)
{
	char id[32];
	int idlen = snprintf(id, sizeof(id), "thing-%d", i);
	size_t rem = 10 + 2 + (size_t)idlen, n = 0;
	buf[n++] = 0x10;
	buf[n++] = (char)rem; /* < 128 */
	memcpy(buf + n, "\0\4MQTT\4\2", 8); /* protocol name, level 4, clean session */
	n += 8;
	buf[n++] = 0x02; /* keep-alive 600 s */
	buf[n++] = 0x58;
	buf[n++] = 0;
	buf[n++] = (char)idlen;
	memcpy(buf + n, id, (size_t)idlen);
	return n + (size_t)idlen;
}

static int mode_hold(const char *kind, int port, int n, const char *auth_path)
{
	bool mqtt = strcmp(kind, "mqtt") == 0;
	char **auth = NULL;
	if (n <= 0 || n > 1000000)
		return 2;
	if (!mqtt && (!auth_path || !(auth = read_lines(auth_path, n))))
		return 2;
	struct hconn *cs = calloc((size_t)n, sizeof(*cs));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int ep = epoll_create1(0);
	struct epoll_event evs[512];
	int next = 0, inflight = 0, ready = 0, gone = 0;
	double t0 = bench_now_us();
	signal(SIGUSR1, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGPIPE, SIG_IGN);
	while (ready < n && !stop_flag) {
		while (inflight < WINDOW && next < n) {
			struct hconn *c = &cs[next];
			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (c->fd < 0) {
				printf("error socket %d: %s\n", next, strerror(errno));
				return 1;
			}
			if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
			    errno != EINPROGRESS) {
				printf("error connect %d: %s\n", next, strerror(errno));
				return 1;
			}
			c->st = C_CONNECTING;
			struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
						 .data.u32 = (uint32_t)next};
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			next++;
			inflight++;
		}
		if (bench_now_us() - t0 > HOLD_TIMEOUT_S * 1e6) {
			printf("error timeout: %d of %d ready after %d s\n", ready, n, HOLD_TIMEOUT_S);
			return 1;
		}
		int k = epoll_wait(ep, evs, 512, 200);
		for (int e = 0; e < k; e++) {
			int i = (int)evs[e].data.u32;
			struct hconn *c = &cs[i];
			if (c->st == C_CONNECTING && (evs[e].events & EPOLLOUT)) {
				int err = 0;
				socklen_t el = sizeof(err);
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					printf("error connect %d: %s\n", i, strerror(err));
					return 1;
				}
				char buf[512];
				size_t len;
				if (mqtt) {
					len = mqtt_connect(buf, i);
				} else {
					len = strlen(auth[i]);
					memcpy(buf, auth[i], len);
				}
				if (write(c->fd, buf, len) != (ssize_t)len) {
					printf("error write %d: %s\n", i, strerror(errno));
					return 1;
				}
				c->st = C_WAITING;
				struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
							 .data.u32 = (uint32_t)i};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			if (c->st != C_WAITING)
				continue;
			char buf[512];
			ssize_t r = read(c->fd, buf, sizeof(buf) - 1);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				printf("error %d: the server closed the connection before accepting it (%s)\n",
				       i, r < 0 ? strerror(errno) : "EOF");
				return 1;
			}
			buf[r] = '\0';
			bool ok;
			if (mqtt) {
				for (ssize_t j = 0; j < r && c->got < 4; j++)
					c->reply[c->got++] = (unsigned char)buf[j];
				if (c->got < 4)
					continue;
				ok = c->reply[0] == 0x20 && c->reply[1] == 2 && c->reply[3] == 0;
			} else {
				if (!memchr(buf, '\n', (size_t)r)) {
					printf("error %d: partial reply '%s'\n", i, buf);
					return 1;
				}
				ok = strncmp(buf, "{\"ok\"", 5) == 0;
			}
			if (!ok) {
				printf("error %d: refused: %.100s\n", i, mqtt ? "CONNACK not accepted" : buf);
				return 1;
			}
			c->st = C_READY;
			ready++;
			inflight--;
		}
	}
	if (stop_flag)
		return 1;
	printf("ready %d %.0f\n", ready, (bench_now_us() - t0) / 1e3);
	fflush(stdout);
	/* hold: anything readable now is the server closing the connection (or an
	 * unexpected line) */
	while (!stop_flag) {
		int k = epoll_wait(ep, evs, 512, 200);
		for (int e = 0; e < k; e++) {
			struct hconn *c = &cs[evs[e].data.u32];
			char buf[512];
			ssize_t r = read(c->fd, buf, sizeof(buf));
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				c->st = C_GONE;
				gone++;
			}
		}
	}
	printf("held %d closed_by_server %d\n", n - gone, gone);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		close(cs[i].fd);
	return gone ? 1 : 0;
}

/* ---------------- forward start -> first reading ---------------- */

static atomic_bool thing_stop;
static atomic_ulong thing_sent;
static int thing_fd = -1;

static int tcp_connect(int port, int *refused, double deadline)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int err = errno;
		close(fd);
		if (err != ECONNREFUSED || bench_now_us() > deadline) {
			fprintf(stderr, "conn_bench: connect to %d: %s\n", port, strerror(err));
			return -1;
		}
		if (refused)
			(*refused)++;
		usleep(50);
	}
}

static void *thing_main(void *arg)
{
	(void)arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	char line[128];
	unsigned long seq = 0;
	while (!atomic_load(&thing_stop)) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		int len = snprintf(line, sizeof(line), "{\"temp\":\"31.2\",\"hum\":\"48.1\",\"seq\":%lu}\n",
				   seq++);
		if (send(thing_fd, line, (size_t)len, MSG_NOSIGNAL) != len) {
			fprintf(stderr, "conn_bench: the thing's send failed: %s\n", strerror(errno));
			break;
		}
		atomic_fetch_add(&thing_sent, 1);
	}
	return NULL;
}

/* Reads lines from fd until one holding "thing" (a reading); -1 on error. */
static int first_reading(int fd, double deadline)
{
	char buf[65536];
	size_t len = 0;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (bench_now_us() < deadline) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			fprintf(stderr, "conn_bench: the stream port closed: %s\n",
				r < 0 ? strerror(errno) : "EOF");
			return -1;
		}
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\"error\"")) {
			fprintf(stderr, "conn_bench: the stream port said %.200s\n", buf);
			return -1;
		}
		char *nl = memchr(buf, '\n', len);
		if (nl && strstr(buf, "\"thing\""))
			return 0;
		if (len > sizeof(buf) / 2)
			len = 0;
	}
	fprintf(stderr, "conn_bench: no reading on the stream port within the deadline\n");
	return -1;
}

static int mode_first(const char *base, const char *key, int ingest, const char *auth_line, int n)
{
	char url[256], durl[512], id[64], line[160], reply[256];
	struct sink sink = {0};
	struct curl_slist *hdrs;
	const char *body =
		"{\"kind\":\"forward\",\"cpu\":{\"min\":0,\"max\":0.5},\"memory_mb\":16}";
	int refused = 0;
	if (n <= 0 || n > 100000)
		return 2;
	snprintf(url, sizeof(url), "%s/v1/services", base);
	if ((thing_fd = tcp_connect(ingest, NULL, bench_now_us() + 2e6)) < 0)
		return 1;
	int len = snprintf(line, sizeof(line), "%s\n", auth_line);
	if (write(thing_fd, line, (size_t)len) != len)
		return 1;
	ssize_t r = read(thing_fd, reply, sizeof(reply) - 1);
	if (r <= 0 || strncmp(reply, "{\"ok\"", 5) != 0) {
		fprintf(stderr, "conn_bench: the thing was not accepted\n");
		return 1;
	}
	pthread_t th;
	pthread_create(&th, NULL, thing_main, NULL);
	CURL *c = client(key, &hdrs, &sink);
	double *tf = calloc((size_t)n, sizeof(double)), *ts = calloc((size_t)n, sizeof(double));
	double *ta = calloc((size_t)n, sizeof(double)), *tc = calloc((size_t)n, sizeof(double));
	int rc = 0, refused_starts = 0;
	usleep(100000);
	for (int i = 0; i < n && rc == 0; i++) {
		double t0 = bench_now_us();
		int st = request(c, NULL, url, body, &sink);
		double t1 = bench_now_us();
		const char *pp = sink.buf ? strstr(sink.buf, "\"ports\":[") : NULL;
		int port = pp ? atoi(pp + 9) : 0;
		if (st != 201 || port <= 0 || json_str(sink.buf, "id", id, sizeof(id)) < 0) {
			fprintf(stderr, "conn_bench: POST /v1/services %d answered %d: %.200s\n", i, st,
				sink.buf ? sink.buf : "");
			rc = 1;
			break;
		}
		int before = refused;
		int fd = tcp_connect(port, &refused, t1 + 2e6);
		if (fd < 0) {
			rc = 1;
			break;
		}
		tc[i] = bench_now_us() - t1;
		refused_starts += refused > before;
		len = snprintf(line, sizeof(line), "%s\n", key);
		if (write(fd, line, (size_t)len) != len || first_reading(fd, t1 + 5e6) < 0)
			rc = 1;
		double t2 = bench_now_us();
		close(fd);
		ts[i] = t1 - t0;
		tf[i] = t2 - t0;
		ta[i] = t2 - t1;
		snprintf(durl, sizeof(durl), "%s/%s", url, id);
		if (request(c, "DELETE", durl, NULL, &sink) != 204) {
			fprintf(stderr, "conn_bench: DELETE %s failed\n", id);
			rc = 1;
		}
	}
	atomic_store(&thing_stop, true);
	pthread_join(th, NULL);
	close(thing_fd);
	if (rc == 0) {
		bench_sort(tf, (size_t)n);
		bench_sort(ts, (size_t)n);
		bench_sort(ta, (size_t)n);
		bench_sort(tc, (size_t)n);
		printf("%.1f %.1f %.1f %.1f %.1f %.1f %d %d %.1f %.1f %.1f\n", bench_pct(tf, (size_t)n, 50),
		       bench_pct(tf, (size_t)n, 99), bench_pct(ts, (size_t)n, 50), bench_pct(ts, (size_t)n, 99), bench_pct(ta, (size_t)n, 50), bench_pct(ta, (size_t)n, 99),
		       refused_starts, refused, bench_pct(tc, (size_t)n, 50), bench_pct(tc, (size_t)n, 99), tf[n - 1]);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(tf);
	free(ts);
	free(ta);
	free(tc);
	free(sink.buf);
	return rc;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 6 && strcmp(argv[1], "things") == 0)
		return mode_things(argv[2], argv[3], atoi(argv[4]), argv[5]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "hold") == 0)
		return mode_hold(argv[2], atoi(argv[3]), atoi(argv[4]), argc == 6 ? argv[5] : NULL);
	if (argc == 7 && strcmp(argv[1], "first") == 0)
		return mode_first(argv[2], argv[3], atoi(argv[4]), argv[5], atoi(argv[6]));
	fprintf(stderr, "usage: conn_bench things URL KEY N AUTH_FILE\n"
			"       conn_bench hold brink PORT N AUTH_FILE | hold mqtt PORT N\n"
			"       conn_bench first URL KEY INGEST_PORT AUTH_LINE N\n");
	return 2;
}
