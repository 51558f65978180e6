/* brink-worker: runs one forward or analyze service for brinkd.
 *
 *   brink-worker --fd N [--seccomp-fd N] [--data-fd N] [--kind K] [--unit ID]
 *                [--model-fd N --analyze CONFIG] [--log-level LEVEL]
 *   brink-worker --fd N [--seccomp-fd N] --model-fd N --check-model FORMAT
 *   brink-worker --connect DIR [--unit ID] [--kind K] [--model-file PATH --analyze CONFIG]
 *                [--log-level LEVEL]
 *
 * (or BRINK_WORKER_FD / BRINK_SECCOMP_FD in the environment). It talks to
 * brinkd over the SOCK_SEQPACKET control socket N with the frames of
 * brink/wire.h: it loads the seccomp filter handed to it as a sealed memfd,
 * sends READY, then serves frames until STOP (exit 0) or until the socket
 * closes (exit 0). A malformed frame exits 2, a setup failure 1. The sandbox
 * itself (namespaces, cgroup, uid, rlimits, no_new_privs) is set up by brinkd
 * before exec; see src/runtime/sandbox.c.
 *
 * The data channel also brings the service's stream-port clients (CLIENT
 * frames with the socket as SCM_RIGHTS, src/worker/clients.h) and, while
 * its tenant has MQTT readers, a connection to the broker to publish on
 * (MQTT frames, src/worker/publisher.h): the worker writes each batch's
 * lines to them before it sends the RESULTS to brinkd, which still serves
 * HTTP streams (and MQTT until the worker publishes) from those, and sends
 * them only while brinkd says it wants them (TAP). Without RESULTS to send,
 * the lines of the frames already waiting go out together (serve_ready).
 * Either way it reports how many lines it produced, its clients lost and
 * it published on MQTT (OUTPUT).
 *
 * Kind analyze: the model (a sealed memfd) is loaded once the seccomp filter
 * is, before READY, then RECORDS become result lines (src/worker/analyze.h)
 * and the counters go to brinkd as STATS frames (at most every STATS_MS).
 * --check-model: loads the seccomp filter, then parses the model file,
 * answers with one MODEL frame and exits 0. When brinkd wraps the file in
 * its envelope (include/brink/model-check.h), the check of an h5 model also
 * writes the compiled image into the envelope's room; a service worker given
 * that image (same --model-fd / --model-file) loads it without libhdf5.
 * A model file is the tenant's, untrusted, so it is parsed under the filter
 * in both modes: libhdf5 reading a file image and OpenBLAS need nothing the
 * filter denies (memory, and reads of descriptors already open; the e2e and
 * check-mode tests run both ways under it).
 *
 * In a container (the docker runtime) no descriptor can be inherited:
 * --connect makes the worker connect the SOCK_SEQPACKET sockets DIR/control.sock and DIR/data.sock that brinkd
 * listens on, in a directory bind-mounted into the container, and
 * --model-file opens the model brinkd left there. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "brink/model-check.h"
#include "brink/wire.h"
#include "worker/analyze.h"
#include "worker/clients.h"
#include "worker/forward.h"
#include "worker/publisher.h"

#define STATS_MS 100
#define DRAIN_MAX 32 /* frames handled before their lines go out */
#define MODEL_MAX_BYTES (256u << 20)

struct worker {
	int fd;                  /* control socket */
	int data_fd;             /* data channel (RECORDS in, RESULTS out), -1 if none */
	bool forward;            /* kind forward: RECORDS become RESULTS lines */
	struct brink_analyze *analyze; /* kind analyze: the model and its state */
	size_t model_len;        /* bytes of the model it was given */
	bool stats_dirty;        /* a counter brinkd keeps changed (see send_stats) */
	uint64_t stats_due_ms;   /* when the next STATS frame may go */
	bool tapped;             /* brinkd wants the RESULTS (TAP; until told otherwise) */
	uint64_t lines_out;      /* result lines produced */
	uint64_t lines_sent;     /* ... of which brinkd has heard (OUTPUT) */
	uint64_t drops_sent;     /* the clients' lost lines brinkd has heard of */
	uint64_t mqtt_sent;      /* lines the MQTT connection took, of which brinkd has heard */
	uint64_t mqtt_drops_sent; /* lines it lost, of which brinkd has heard */
	uint64_t unit;
	struct brink_wire_cpu cpu; /* the last CPU assignment (period 0: none yet) */
	bool records_warned;
	int passed_fd;           /* a descriptor that came with the frame being handled, or -1 */
	struct worker_clients clients;
	struct worker_publisher pub; /* the service's MQTT connection, while brinkd gives one */
	size_t joined_len;       /* bytes of lines in joined, for the clients and pub */
	unsigned joined_count;   /* lines in joined */
	char joined[BRINK_WIRE_MAX_FRAME];
	uint8_t buf[BRINK_WIRE_MAX_FRAME];
	uint8_t out[BRINK_WIRE_MAX_FRAME];
	char line[BRINK_WIRE_MAX_PAYLOAD];
};

enum { GO_ON = 0, EXIT_CLEAN = 1, EXIT_ERROR = -1 };

/* A frame handler returns GO_ON, EXIT_CLEAN or EXIT_ERROR. */
typedef int (*frame_handler)(struct worker *w, const struct brink_wire_frame *f);

/* Sends one frame on fd (the control socket or the data channel). */
static int send_on(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		log_error("sending a frame to brinkd: %s", n < 0 ? strerror(errno) : "short write");
		return -1;
	}
}

static int send_frame(struct worker *w, const void *buf, size_t len)
{
	return send_on(w->fd, buf, len);
}

static int on_cpu(struct worker *w, const struct brink_wire_frame *f)
{
	struct brink_wire_cpu c;
	if (brink_wire_cpu_decode(f, &c) != BRINK_WIRE_OK) {
		log_error("bad CPU frame");
		return EXIT_ERROR;
	}
	/* Nothing to adapt yet (no data path): record it and say so. */
	w->cpu = c;
	log_debug("cpu quota %" PRIu32 " us per %" PRIu32 " us", c.quota_us, c.period_us);
	uint8_t out[BRINK_WIRE_HDR_SIZE + 8];
	size_t n = brink_wire_encode_cpu(out, sizeof(out), BRINK_WIRE_CPU_ACK, &w->cpu);
	return send_frame(w, out, n) < 0 ? EXIT_ERROR : GO_ON;
}

static int on_stop(struct worker *w, const struct brink_wire_frame *f)
{
	(void)f;
	log_debug("unit %" PRIu64 ": STOP", w->unit);
	return EXIT_CLEAN;
}

static int send_data(struct worker *w, struct brink_wire_batch *b)
{
	return send_on(w->data_fd, w->out, brink_wire_batch_end(b));
}

/* The lines joined so far go to the stream clients, in one write each, and
 * to MQTT as one batch. */
static void send_joined(struct worker *w)
{
	if (w->joined_len) {
		worker_clients_send(&w->clients, w->joined, w->joined_len, w->joined_count);
		worker_publisher_send(&w->pub, w->joined, w->joined_len);
	}
	w->joined_len = 0;
	w->joined_count = 0;
}

/* Adds the line to what the stream clients get, sending that first when full. */
static void join_line(struct worker *w, size_t len)
{
	if (!w->clients.n && !w->pub.conns.n)
		return;
	if (w->joined_len + len + 1 > sizeof(w->joined))
		send_joined(w);
	memcpy(w->joined + w->joined_len, w->line, len);
	w->joined_len += len;
	w->joined[w->joined_len++] = '\n';
	w->joined_count++;
}

/* Adds one line to the RESULTS batch when brinkd wants them, sending the
 * batch first when full (the clients' lines first: they should not wait
 * behind brinkd). */
static int add_result(struct worker *w, struct brink_wire_batch *b,
		      const struct brink_wire_record *r, size_t len)
{
	w->lines_out++;
	w->stats_dirty = true;
	if (!w->tapped ||
	    brink_wire_batch_add(b, r->seq, r->time_ns, w->line, (uint32_t)len) == BRINK_WIRE_OK)
		return 0;
	send_joined(w);
	if (send_data(w, b) < 0)
		return -1;
	brink_wire_batch_begin(b, w->out, sizeof(w->out), BRINK_WIRE_RESULTS);
	return brink_wire_batch_add(b, r->seq, r->time_ns, w->line, (uint32_t)len) ==
			       BRINK_WIRE_OK
		       ? 0
		       : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_analyze_stats(struct worker *w)
{
	struct brink_wire_stats st;
	uint8_t out[BRINK_WIRE_HDR_SIZE + 32];
	if (!w->analyze)
		return 0;
	brink_analyze_stats(w->analyze, &st);
	return send_frame(w, out, brink_wire_encode_stats(out, sizeof(out), &st));
}

/* The lines produced, the lines the stream clients lost, and the lines the
 * MQTT connection took or lost since the last report: brinkd's counts,
 * whether or not it takes the RESULTS. */
static int send_output(struct worker *w)
{
	uint8_t out[BRINK_WIRE_HDR_SIZE + 32];
	const struct worker_clients *mqtt = &w->pub.conns;
	uint64_t mqtt_drops = mqtt->dropped + mqtt->discarded;
	struct brink_wire_output o = {w->lines_out - w->lines_sent,
				      w->clients.dropped - w->drops_sent,
				      mqtt->written - w->mqtt_sent, mqtt_drops - w->mqtt_drops_sent};
	if (!o.lines && !o.lost && !o.mqtt && !o.mqtt_lost)
		return 0;
	w->lines_sent = w->lines_out;
	w->drops_sent = w->clients.dropped;
	w->mqtt_sent = mqtt->written;
	w->mqtt_drops_sent = mqtt_drops;
	return send_on(w->data_fd, out, brink_wire_encode_output(out, sizeof(out), &o));
}

/* Sends the counters brinkd keeps (an analyze worker's STATS, OUTPUT) if
 * they changed and the last went STATS_MS ago. */
static int send_stats(struct worker *w)
{
	uint64_t now = now_ms();
	if (!w->stats_dirty || now < w->stats_due_ms)
		return 0;
	w->stats_dirty = false;
	w->stats_due_ms = now + STATS_MS;
	return send_analyze_stats(w) < 0 || send_output(w) < 0 ? -1 : 0;
}

/* The line a reading becomes: forward's copy, or analyze's result (0: none). */
static size_t result_line(struct worker *w, const struct brink_wire_record *r)
{
	if (w->analyze) {
		w->stats_dirty = true;
		return brink_analyze_reading(w->analyze, r->data, r->length, r->time_ns, w->line,
					     sizeof(w->line));
	}
	size_t len = brink_forward_format(r->data, r->length, r->time_ns, w->line, sizeof(w->line));
	if (len == 0)
		log_warn("dropping a malformed record (seq %" PRIu64 ")", r->seq);
	return len;
}

/* A forward worker turns every reading into the line its clients receive;
 * an analyze worker into its result, when one is due. */
static int on_records(struct worker *w, const struct brink_wire_frame *f)
{
	struct brink_wire_record_iter it;
	struct brink_wire_record r;
	struct brink_wire_batch b;
	if (!w->forward && !w->analyze) {
		if (!w->records_warned)
			log_warn("this kind does not handle readings yet; dropping them");
		w->records_warned = true;
		return GO_ON;
	}
	if (brink_wire_records_begin(f, &it) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	brink_wire_batch_begin(&b, w->out, sizeof(w->out), BRINK_WIRE_RESULTS);
	while (brink_wire_records_next(&it, &r) == BRINK_WIRE_OK) {
		size_t len = result_line(w, &r);
		if (len && add_result(w, &b, &r, len) < 0)
			return EXIT_ERROR;
		if (len)
			join_line(w, len);
	}
	if (b.count)
		send_joined(w); /* the clients' lines before brinkd's RESULTS */
	if (b.count && send_data(w, &b) < 0)
		return EXIT_ERROR;
	return send_stats(w) < 0 ? EXIT_ERROR : GO_ON;
}

/* A stream client brinkd authenticated: its socket came with the frame. */
static int on_client(struct worker *w, const struct brink_wire_frame *f)
{
	uint64_t id;
	if (brink_wire_u64_decode(f, &id) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	if (w->passed_fd < 0) {
		log_warn("stream client %" PRIu64 " came without its socket", id);
		return GO_ON;
	}
	worker_clients_add(&w->clients, id, w->passed_fd);
	w->passed_fd = -1;
	return GO_ON;
}

/* The service's connection to brink's broker: its socket came with the frame. */
static int on_mqtt(struct worker *w, const struct brink_wire_frame *f)
{
	uint64_t id;
	char topic[BRINK_WIRE_TOPIC_MAX + 1];
	if (brink_wire_mqtt_decode(f, &id, topic) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	if (w->passed_fd < 0) {
		log_warn("MQTT connection %" PRIu64 " came without its socket", id);
		return GO_ON;
	}
	int added = worker_publisher_add(&w->pub, id, topic, w->passed_fd);
	w->passed_fd = -1;
	if (added < 0)
		return GO_ON;
	/* The same frame back, in order with the RESULTS: the lines of later
	 * ones are published here (held until MQTT_GO), brinkd publishes none
	 * of them again. */
	uint8_t out[BRINK_WIRE_HDR_SIZE + 8 + BRINK_WIRE_TOPIC_MAX];
	return send_on(w->data_fd, out, brink_wire_encode_mqtt(out, sizeof(out), id, topic)) < 0
		       ? EXIT_ERROR
		       : GO_ON;
}

/* brinkd's own lines of this service reached the broker: publish. */
static int on_mqtt_go(struct worker *w, const struct brink_wire_frame *f)
{
	uint64_t id;
	if (brink_wire_u64_decode(f, &id) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	worker_publisher_go(&w->pub, id);
	return GO_ON;
}

static int on_tap(struct worker *w, const struct brink_wire_frame *f)
{
	uint64_t on;
	if (brink_wire_u64_decode(f, &on) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	w->tapped = on != 0;
	return GO_ON;
}

static int on_client_gone(struct worker *w, const struct brink_wire_frame *f)
{
	uint64_t id;
	if (brink_wire_u64_decode(f, &id) != BRINK_WIRE_OK)
		return EXIT_ERROR;
	worker_clients_remove(&w->clients, id);
	worker_clients_remove(&w->pub.conns, id);
	return GO_ON;
}

/* What the worker does with each frame type brinkd may send. */
static const frame_handler handlers[BRINK_WIRE_TYPE_COUNT] = {
	[BRINK_WIRE_CPU] = on_cpu,
	[BRINK_WIRE_STOP] = on_stop,
	[BRINK_WIRE_RECORDS] = on_records,
	[BRINK_WIRE_CLIENT] = on_client,
	[BRINK_WIRE_CLIENT_GONE] = on_client_gone,
	[BRINK_WIRE_TAP] = on_tap,
	[BRINK_WIRE_MQTT] = on_mqtt,
	[BRINK_WIRE_MQTT_GO] = on_mqtt_go,
};

static int dispatch(struct worker *w, size_t len)
{
	struct brink_wire_frame f;
	enum brink_wire_status st = brink_wire_parse_msg(w->buf, len, &f);
	if (st != BRINK_WIRE_OK) {
		log_error("bad frame from brinkd (%zu bytes): %s", len, brink_wire_status_name(st));
		return EXIT_ERROR;
	}
	if (!handlers[f.type]) {
		log_warn("ignoring a %s frame", brink_wire_type_name(f.type));
		return GO_ON;
	}
	return handlers[f.type](w, &f);
}

/* Reads one message into w->buf, and into w->passed_fd the descriptor that
 * came with it (-1: none; more than one is refused). */
static ssize_t recv_frame(struct worker *w, int fd, int flags)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {w->buf, sizeof(w->buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			   .msg_controllen = sizeof(ctl.space)};
	ssize_t n = recvmsg(fd, &m, MSG_TRUNC | MSG_CMSG_CLOEXEC | flags);
	struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;
	w->passed_fd = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&w->passed_fd, CMSG_DATA(c), sizeof(int));
	if (n >= 0 && (m.msg_flags & MSG_CTRUNC))
		log_warn("a frame came with more descriptors than one; dropped them");
	return n;
}

/* Handles a message of n bytes (recv's answer): GO_ON, or the exit status + 1000. */
static int handle_message(struct worker *w, ssize_t n)
{
	if (n < 0 && errno == EINTR)
		return GO_ON;
	if (n < 0) {
		log_error("reading from brinkd: %s", strerror(errno));
		return 1000 + 1;
	}
	if (n == 0)
		return 1000; /* brinkd closed the socket */
	if ((size_t)n > sizeof(w->buf)) {
		log_error("frame of %zd bytes is over the limit", n);
		return 1000 + 2;
	}
	int rc = dispatch(w, (size_t)n);
	if (rc == GO_ON)
		return GO_ON;
	return 1000 + (rc == EXIT_CLEAN ? 0 : 2);
}

/* Handles the frames fd has ready (at least one), at most DRAIN_MAX, then
 * sends the lines they made: under load one write to each client and one
 * PUBLISH carry what queued behind the first frame, while a frame alone
 * goes out at once. GO_ON, or the exit status + 1000. */
static int serve_ready(struct worker *w, int fd)
{
	int rc = GO_ON;
	for (int k = 0; k < DRAIN_MAX && rc == GO_ON; k++) {
		ssize_t n = recv_frame(w, fd, k ? MSG_DONTWAIT : 0);
		if (n < 0 && k && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		rc = handle_message(w, n);
		if (w->passed_fd >= 0) /* it came with a frame that had no use for it */
			close(w->passed_fd);
		w->passed_fd = -1;
	}
	send_joined(w);
	return rc;
}

/* Whether the MQTT connection's counts moved since brinkd last heard them:
 * its lines can be written, dropped or discarded long after they were
 * produced (held until MQTT_GO, queued for a slow broker). */
static bool mqtt_counts_moved(const struct worker *w)
{
	const struct worker_clients *mqtt = &w->pub.conns;
	return mqtt->written != w->mqtt_sent ||
	       mqtt->dropped + mqtt->discarded != w->mqtt_drops_sent;
}

/* Serves frames on the control socket and the data channel, and writes to
 * stream clients that fell behind when they can take more; returns the
 * process exit status. */
static int serve(struct worker *w)
{
	struct pollfd fds[2 + 2 * BRINK_WIRE_MAX_CLIENTS] = {{.fd = w->fd, .events = POLLIN},
							{.fd = w->data_fd, .events = POLLIN}};
	nfds_t nchan = w->data_fd >= 0 ? 2 : 1;
	for (;;) {
		nfds_t nfds = nchan + worker_clients_pollfds(&w->clients, fds + nchan,
							     BRINK_WIRE_MAX_CLIENTS);
		nfds += worker_clients_pollfds(&w->pub.conns, fds + nfds, BRINK_WIRE_MAX_CLIENTS);
		int timeout = -1;
		if (w->stats_dirty) {
			uint64_t now = now_ms();
			timeout = w->stats_due_ms > now ? (int)(w->stats_due_ms - now) : 0;
		}
		int n = poll(fds, nfds, timeout);
		if (n == 0 && send_stats(w) < 0)
			return 1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		for (nfds_t i = nchan; i < nfds; i++)
			if (fds[i].revents) {
				worker_clients_flush(&w->clients, fds[i].fd);
				worker_clients_flush(&w->pub.conns, fds[i].fd);
			}
		for (nfds_t i = 0; i < nchan; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			int rc = serve_ready(w, fds[i].fd);
			if (rc != GO_ON)
				return rc - 1000;
		}
		w->stats_dirty = w->stats_dirty || mqtt_counts_moved(w);
	}
}

/* Loads the BPF program in memfd `fd` as this process's seccomp filter. */
static int load_seccomp(int fd)
{
	static struct sock_filter insns[BPF_MAXINSNS];
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (off_t)sizeof(insns) ||
	    st.st_size % sizeof(insns[0])) {
		log_error("seccomp fd %d does not hold a BPF program", fd);
		return -1;
	}
	ssize_t n = pread(fd, insns, (size_t)st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		log_error("reading the seccomp filter: %s", n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	struct sock_fprog prog = {(unsigned short)(n / sizeof(insns[0])), insns};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		log_error("loading the seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int send_ready(struct worker *w, bool seccomp)
{
	struct brink_wire_ready r = {seccomp ? BRINK_WIRE_F_SECCOMP : 0, BRINK_WIRE_MAX_FRAME};
	uint8_t out[BRINK_WIRE_HDR_SIZE + 8];
	size_t n = brink_wire_encode_ready(out, sizeof(out), &r);
	return send_frame(w, out, n);
}

static int check_socket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
		log_error("fd %d is not a SOCK_SEQPACKET socket", fd);
		return -1;
	}
	return 0;
}

struct options {
	int fd, seccomp_fd, data_fd, model_fd;
	const char *connect_dir;
	uint64_t unit;
	bool forward, analyze;
	const char *config;       /* --analyze */
	const char *check_format; /* --check-model */
};

static int parse_fd(const char *s)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : -1;
	return s && *s && !*end && v >= 0 && v < 65536 ? (int)v : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: brink-worker --fd N [--seccomp-fd N] [--data-fd N] [--kind K] [--unit ID]"
			" [--model-fd N] [--analyze CONFIG] [--check-model FORMAT] [--log-level L]\n"
			"       brink-worker --connect DIR [--kind K] [--unit ID]"
			" [--model-file PATH --analyze CONFIG] [--log-level L]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"fd", required_argument, NULL, 'f'},
		{"seccomp-fd", required_argument, NULL, 's'},
		{"unit", required_argument, NULL, 'u'},
		{"data-fd", required_argument, NULL, 'd'},
		{"kind", required_argument, NULL, 'k'},
		{"log-level", required_argument, NULL, 'l'},
		{"model-fd", required_argument, NULL, 'm'},
		{"analyze", required_argument, NULL, 'a'},
		{"check-model", required_argument, NULL, 'c'},
		{"connect", required_argument, NULL, 'C'},
		{"model-file", required_argument, NULL, 'M'},
		{NULL, 0, NULL, 0},
	};
	const char *sfd = getenv("BRINK_SECCOMP_FD");
	o->fd = parse_fd(getenv("BRINK_WORKER_FD"));
	o->seccomp_fd = sfd ? parse_fd(sfd) : -1;
	o->unit = 0;
	o->data_fd = o->model_fd = -1;
	o->forward = o->analyze = false;
	o->config = o->check_format = NULL;
	o->connect_dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->fd = parse_fd(optarg);
			break;
		case 's':
			if ((o->seccomp_fd = parse_fd(optarg)) < 0)
				return -1;
			break;
		case 'u':
			o->unit = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			if ((o->data_fd = parse_fd(optarg)) < 0)
				return -1;
			break;
		case 'k':
			o->forward = strcmp(optarg, "forward") == 0;
			o->analyze = strcmp(optarg, "analyze") == 0;
			break;
		case 'm':
			if ((o->model_fd = parse_fd(optarg)) < 0)
				return -1;
			break;
		case 'a':
			o->config = optarg;
			break;
		case 'c':
			o->check_format = optarg;
			break;
		case 'l':
			if (brink_log_parse_level(optarg, &brink_log_threshold) < 0)
				return -1;
			break;
		case 'C':
			o->connect_dir = optarg;
			break;
		case 'M': /* opened now: nothing is opened once the filter is loaded */
			if ((o->model_fd = open(optarg, O_RDONLY | O_CLOEXEC)) < 0) {
				log_error("opening the model %s: %s", optarg, strerror(errno));
				return -1;
			}
			break;
		default:
			return -1;
		}
	}
	return (o->fd >= 0 || o->connect_dir) && optind == argc ? 0 : -1;
}

/* Connects a SOCK_SEQPACKET socket to DIR/NAME; returns it or -1. */
static int connect_to(const char *dir, const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", dir, name) >=
	    sizeof(a.sun_path)) {
		log_error("socket path %s/%s is too long", dir, name);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		log_error("connecting %s: %s", a.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int connect_channels(struct options *o)
{
	if (!o->connect_dir)
		return 0;
	if ((o->fd = connect_to(o->connect_dir, "control.sock")) < 0 ||
	    (o->data_fd = connect_to(o->connect_dir, "data.sock")) < 0)
		return -1;
	return 0;
}

/* Reads the whole model memfd into a malloc'd buffer. */
static void *read_model(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > MODEL_MAX_BYTES) {
		log_error("model fd %d: no model file of 1 to %u bytes", fd, MODEL_MAX_BYTES);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size);
	ssize_t n = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size) {
		log_error("reading the model: %s", n < 0 ? strerror(errno) : "short read");
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

/* The check's input: brinkd's envelope (include/brink/model-check.h) around
 * the file, or the plain file. With an envelope, *room maps the room for
 * the image (shared: what is written there lands in brinkd's memfd) and fd
 * stays open until the caller unmaps it; *room is NULL otherwise. */
static void *read_check_input(int fd, size_t *len, struct brink_analyze_image *room)
{
	unsigned char hdr[BRINK_MODEL_CHECK_HEADER];
	struct brink_model_envelope e;
	struct stat st;
	room->buf = NULL;
	if (fstat(fd, &st) < 0 || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    !brink_model_envelope_parse(hdr, sizeof(hdr), (uint64_t)st.st_size, &e))
		return read_model(fd, len);
	char *buf = e.model_len <= MODEL_MAX_BYTES ? malloc(e.model_len) : NULL;
	if (!buf || pread(fd, buf, e.model_len, BRINK_MODEL_CHECK_HEADER) != (ssize_t)e.model_len) {
		log_error("reading the model from its envelope: %s", buf ? "short read" : "too large");
		free(buf);
		return NULL;
	}
	void *map = e.room_len ? mmap(NULL, e.room_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				      (off_t)e.room_off)
			       : MAP_FAILED;
	if (map != MAP_FAILED) {
		room->buf = map;
		room->cap = e.room_len;
	}
	*len = e.model_len;
	return buf;
}

/* --check-model: the answer is one MODEL frame; the exit status says only
 * whether it could be sent. */
static int check_model(struct worker *w, const struct options *o)
{
	static char text[BRINK_WIRE_MAX_PAYLOAD - 1];
	if (o->seccomp_fd >= 0 && load_seccomp(o->seccomp_fd) < 0)
		return 1;
	size_t len = 0;
	struct brink_analyze_image room = {NULL, 0, 0};
	void *data = o->model_fd >= 0 ? read_check_input(o->model_fd, &len, &room) : NULL;
	int ok = data ? brink_analyze_check_image(o->check_format, data, len, text, sizeof(text),
						  room.buf ? &room : NULL)
		      : 0;
	if (!data)
		snprintf(text, sizeof(text), "the model file could not be read (empty or over %u bytes)",
			 MODEL_MAX_BYTES);
	free(data);
	if (room.buf)
		munmap(room.buf, room.cap);
	size_t n = brink_wire_encode_model(w->out, sizeof(w->out), ok, text, strlen(text));
	return send_frame(w, w->out, n) < 0 ? 1 : 0;
}

/* Kind analyze: the model and configuration (under the seccomp filter). */
static int open_analyze(struct worker *w, const struct options *o)
{
	char msg[512];
	size_t len = 0;
	if (o->model_fd < 0 || !o->config) {
		log_error("kind analyze needs --model-fd and --analyze");
		return -1;
	}
	void *data = read_model(o->model_fd, &len);
	int rc = data ? brink_analyze_open(o->config, data, len, &w->analyze, msg, sizeof(msg)) : -1;
	if (data && rc < 0)
		log_error("%s", msg);
	w->model_len = len;
	free(data);
	return rc;
}

int main(int argc, char **argv)
{
	static struct worker w;
	struct options o;
	brink_log_open("brink-worker", "stderr");
	if (parse_options(argc, argv, &o) < 0) {
		usage();
		return 1;
	}
	if (connect_channels(&o) < 0)
		return 1;
	w.fd = o.fd;
	w.data_fd = o.data_fd;
	w.forward = o.forward;
	w.unit = o.unit;
	w.passed_fd = -1;
	w.tapped = true;
	if (check_socket(w.fd) < 0 || (w.data_fd >= 0 && check_socket(w.data_fd) < 0))
		return 1;
	if (o.check_format)
		return check_model(&w, &o);
	if (o.seccomp_fd >= 0 && load_seccomp(o.seccomp_fd) < 0)
		return 1;
	if (o.analyze && open_analyze(&w, &o) < 0)
		return 1;
	if (send_ready(&w, o.seccomp_fd >= 0) < 0)
		return 1;
	if (w.analyze) { /* after READY: off the start path, before the first reading */
		brink_analyze_warm_up(w.analyze);
		if (brink_analyze_compiled(w.analyze))
			log_info("loaded the compiled model image (%zu bytes)", w.model_len);
	}
	return serve(&w);
}
