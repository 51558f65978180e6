/* brink sensor simulate --protocol mqtt: plays things over MQTT with
 * libmosquitto, all from one process and one poll(2) loop (a client per
 * thing, no threads). A thing logs in as TENANT/THING with its key and
 * publishes its readings on brink/TENANT/things/THING (docs/dataplane.md) at
 * QoS 1 over MQTT 5, so the broker's acknowledgement says whether brink's
 * access rules refused a reading. */
#include "cli/cli-internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define MQ_DEFAULT_PORT 1883
#define MQ_INFLIGHT 100 /* unacknowledged readings a thing may have */
#define MQ_WAIT_S 10.0  /* for the broker's answer to the login, and the last acks */

enum mq_state { MQ_CONNECTING, MQ_RUNNING, MQ_DONE };

struct mq_thing {
	struct mosquitto *mosq;
	struct mq_run *run;
	size_t i;
	enum mq_state state;
	long queued;
	int inflight;
	double due, deadline;
	char topic[300];
};

struct mq_run {
	const struct cli_sim_spec *spec;
	struct mq_thing *things;
	size_t live;
	long sent, errors, refused, unreachable, lost;
};

static volatile sig_atomic_t mq_interrupted;

static void mq_on_signal(int sig)
{
	(void)sig;
	mq_interrupted++;
}

static double mq_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void finish(struct mq_thing *t)
{
	if (t->state == MQ_DONE)
		return;
	t->state = MQ_DONE;
	t->run->live--;
	mosquitto_disconnect(t->mosq);
}

static void on_connect(struct mosquitto *m, void *ctx, int rc, int flags,
		       const mosquitto_property *props)
{
	struct mq_thing *t = ctx;
	(void)m;
	(void)flags;
	(void)props;
	if (rc != 0) {
		fprintf(stderr, "brink: %s: %s\n", t->run->spec->names[t->i],
			mosquitto_reason_string(rc));
		t->run->refused++;
		finish(t);
		return;
	}
	t->state = MQ_RUNNING;
	t->due = mq_now();
}

static void on_publish(struct mosquitto *m, void *ctx, int mid, int reason,
		       const mosquitto_property *props)
{
	struct mq_thing *t = ctx;
	(void)m;
	(void)mid;
	(void)props;
	t->inflight--;
	if (reason >= 0x80) {
		if (t->run->errors++ < 5)
			fprintf(stderr, "brink: %s: a reading refused: %s\n",
				t->run->spec->names[t->i], mosquitto_reason_string(reason));
	} else {
		t->run->sent++;
	}
}

static bool done_sending(const struct mq_thing *t)
{
	const struct cli_sim_spec *s = t->run->spec;
	return mq_interrupted || (s->count && t->queued >= s->count);
}

/* Publishes the readings that are due, within the in-flight window. */
static void generate(struct mq_thing *t, double now)
{
	const struct cli_sim_spec *s = t->run->spec;
	char buf[4096 + 64];
	while (!done_sending(t) && t->inflight < MQ_INFLIGHT && (s->rate == 0 || t->due <= now)) {
		size_t n = s->reading(s->ctx, t->i, buf);
		if (n && buf[n - 1] == '\n')
			n--;
		if (mosquitto_publish_v5(t->mosq, NULL, t->topic, (int)n, buf, 1, false, NULL) !=
		    MOSQ_ERR_SUCCESS)
			break;
		t->inflight++;
		t->queued++;
		if (s->rate > 0)
			t->due = now - t->due > 1.0 ? now + 1 / s->rate : t->due + 1 / s->rate;
	}
	if (done_sending(t) && t->inflight == 0)
		finish(t);
	else if (done_sending(t) && !t->deadline)
		t->deadline = now + MQ_WAIT_S;
}

static int start_thing(struct mq_run *run, struct mq_thing *t, size_t i)
{
	const struct cli_sim_spec *s = run->spec;
	const char *slash = strchr(s->names[i], '/');
	t->run = run;
	t->i = i;
	if (!slash || slash == s->names[i] || !slash[1])
		return cli__fail(CLI_EUSAGE, "over MQTT a thing is TENANT/THING:KEY, not '%s'",
				 s->names[i]);
	snprintf(t->topic, sizeof(t->topic), "brink/%.*s/things/%s", (int)(slash - s->names[i]),
		 s->names[i], slash + 1);
	if (!(t->mosq = mosquitto_new(NULL, true, t)))
		return cli__fail(CLI_EAPI, "out of memory");
	mosquitto_int_option(t->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_username_pw_set(t->mosq, s->names[i], s->keys[i]);
	mosquitto_connect_v5_callback_set(t->mosq, on_connect);
	mosquitto_publish_v5_callback_set(t->mosq, on_publish);
	run->live++;
	t->deadline = mq_now() + MQ_WAIT_S;
	int rc = mosquitto_connect(t->mosq, s->host, (int)(s->port ? s->port : MQ_DEFAULT_PORT), 30);
	if (rc != MOSQ_ERR_SUCCESS) {
		if (run->unreachable++ < 5)
			fprintf(stderr, "brink: %s: cannot connect to %s:%ld: %s\n", s->names[i],
				s->host, s->port ? s->port : MQ_DEFAULT_PORT,
				rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		t->state = MQ_DONE;
		run->live--;
	}
	return CLI_OK;
}

static void service(struct mq_thing *t, short revents, double now)
{
	int rc = MOSQ_ERR_SUCCESS;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		rc = mosquitto_loop_read(t->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT))
		rc = mosquitto_loop_write(t->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_loop_misc(t->mosq);
	if (t->state == MQ_DONE)
		return;
	if (rc != MOSQ_ERR_SUCCESS) {
		if (t->run->lost++ < 5)
			fprintf(stderr, "brink: %s: connection lost\n", t->run->spec->names[t->i]);
		finish(t);
		return;
	}
	if (t->state == MQ_RUNNING)
		generate(t, now);
	if (t->state != MQ_DONE && t->deadline && now > t->deadline) {
		t->run->lost++;
		fprintf(stderr, "brink: %s: no answer from the broker in time\n",
			t->run->spec->names[t->i]);
		finish(t);
	}
}

static int poll_once(struct mq_run *run, struct pollfd *pfds)
{
	size_t n = run->spec->nthings;
	double now = mq_now();
	for (size_t i = 0; i < n; i++) {
		struct mq_thing *t = &run->things[i];
		pfds[i].fd = t->state == MQ_DONE ? -1 : mosquitto_socket(t->mosq);
		pfds[i].events = POLLIN | (mosquitto_want_write(t->mosq) ? POLLOUT : 0);
		pfds[i].revents = 0;
	}
	int timeout = run->spec->rate > 0 ? (int)(500 / run->spec->rate) + 1 : 0;
	if (timeout > 100)
		timeout = 100;
	if (poll(pfds, n, timeout) < 0 && errno != EINTR)
		return cli__fail(CLI_EAPI, "poll: %s", strerror(errno));
	now = mq_now();
	for (size_t i = 0; i < n; i++)
		if (run->things[i].state != MQ_DONE)
			service(&run->things[i], pfds[i].revents, now);
	return CLI_OK;
}

static void summary(const struct cli_ctx *ctx, const struct mq_run *run, double elapsed)
{
	size_t n = run->spec->nthings;
	if (ctx->json) {
		printf("{\"things\":%zu,\"sent\":%ld,\"errors\":%ld,\"refused\":%ld,"
		       "\"unreachable\":%ld,\"lost\":%ld,\"elapsed\":%.3f}\n",
		       n, run->sent, run->errors, run->refused, run->unreachable, run->lost, elapsed);
		return;
	}
	printf("sent %ld readings from %zu thing%s over MQTT in %.2f s, %ld refused by the broker",
	       run->sent, n, n == 1 ? "" : "s", elapsed, run->errors);
	if (run->refused)
		printf(", %ld thing%s refused", run->refused, run->refused == 1 ? "" : "s");
	if (run->unreachable)
		printf(", %ld could not connect", run->unreachable);
	if (run->lost)
		printf(", %ld connection%s lost", run->lost, run->lost == 1 ? "" : "s");
	putchar('\n');
}

static int play(struct mq_run *run)
{
	size_t n = run->spec->nthings;
	_cleanup_free_ struct pollfd *pfds = calloc(n, sizeof(*pfds));
	int rc = pfds ? CLI_OK : cli__fail(CLI_EAPI, "out of memory");
	for (size_t i = 0; rc == CLI_OK && i < n; i++)
		rc = start_thing(run, &run->things[i], i);
	while (rc == CLI_OK && run->live > 0 && mq_interrupted < 2)
		rc = poll_once(run, pfds);
	return rc;
}

int cli__sensor_mqtt(const struct cli_ctx *ctx, const struct cli_sim_spec *spec)
{
	struct mq_run run = {.spec = spec};
	struct sigaction sa = {.sa_handler = mq_on_signal}, old_int, old_term;
	if (!(run.things = calloc(spec->nthings, sizeof(*run.things))))
		return cli__fail(CLI_EAPI, "out of memory");
	mosquitto_lib_init();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	mq_interrupted = 0;
	double start = mq_now();
	int rc = play(&run);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	for (size_t i = 0; i < spec->nthings; i++)
		mosquitto_destroy(run.things[i].mosq);
	mosquitto_lib_cleanup();
	if (rc == CLI_OK)
		summary(ctx, &run, mq_now() - start);
	free(run.things);
	if (rc != CLI_OK)
		return rc;
	if (run.unreachable)
		return CLI_ECONNECT;
	return run.refused || run.errors || run.lost ? CLI_EAPI : CLI_OK;
}
