/* brink sensor simulate over CoAP (docs/dataplane.md): each thing POSTs
 * {"seq":N,"temp":"31.2","hum":"48.1"} to /t/<thing> as application/json,
 * over UDP with ?k=<key> or over DTLS-PSK (identity <tenant>/<thing>, PSK the
 * key), confirmable or not. libcoap's client API does the protocol: one
 * context, a session per thing, its I/O loop (coap_io_process). Every
 * answer is counted: 2.04 accepted, anything else an error (printed, a few
 * a second), a failed DTLS handshake refuses the thing. */
#include <coap3/coap.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/sensor-coap.h"

#define COAP_READING_MAX 4096
#define COAP_DRAIN_S 6.0 /* after the last reading, for answers (CON retransmits) */
#define COAP_REPORTS 5   /* messages on stderr a second at most */
#define CF_JSON 50

struct cthing {
	const struct cli_coap_thing *def;
	const char *path; /* the thing's name: after the '/' for coaps */
	coap_session_t *session;
	double *vals;
	long seq, pending;
	double due;
	bool refused, unreachable;
};

struct crun {
	const struct cli_coap_plan *p;
	struct cthing *things;
	coap_context_t *ctx;
	long sent, accepted, errors, refused, unreachable, lost;
	double window;
	int shown;
	long hidden;
};

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked++;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void BRINK_PRINTF(2, 3) note(struct crun *r, const char *fmt, ...)
{
	double t = mono();
	va_list ap;
	if (t - r->window >= 1.0) {
		if (r->hidden)
			fprintf(stderr, "brink: (%ld more such messages not shown)\n", r->hidden);
		r->window = t;
		r->shown = 0;
		r->hidden = 0;
	}
	if (r->shown++ >= COAP_REPORTS) {
		r->hidden++;
		return;
	}
	fputs("brink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct crun *current; /* libcoap's handlers take no user pointer here */

static void field_range(const char *name, double *lo, double *hi, double *step)
{
	*lo = 0, *hi = 100, *step = 1;
	if (strcmp(name, "temp") == 0)
		*lo = 15, *hi = 35, *step = 0.2;
	else if (strcmp(name, "hum") == 0)
		*lo = 20, *hi = 80, *step = 0.5;
}

static size_t format_reading(struct crun *r, struct cthing *t, char *out)
{
	size_t n = (size_t)snprintf(out, COAP_READING_MAX, "{\"seq\":%ld", t->seq);
	for (size_t i = 0; i < r->p->nfields; i++) {
		double lo, hi, step;
		field_range(r->p->fields[i], &lo, &hi, &step);
		double v = t->vals[i] + (2 * drand48() - 1) * step;
		t->vals[i] = fmin(fmax(v, lo), hi);
		n += (size_t)snprintf(out + n, COAP_READING_MAX - n, ",\"%s\":\"%.1f\"",
				      r->p->fields[i], t->vals[i]);
	}
	n += (size_t)snprintf(out + n, COAP_READING_MAX - n, "}");
	return n;
}

/* One POST of t's next reading; false when libcoap could not send it. */
static bool post(struct crun *r, struct cthing *t)
{
	char body[COAP_READING_MAX], query[300];
	uint8_t token[8], cf[4];
	size_t toklen;
	coap_pdu_t *pdu = coap_pdu_init(r->p->non ? COAP_MESSAGE_NON : COAP_MESSAGE_CON,
					COAP_REQUEST_CODE_POST, coap_new_message_id(t->session),
					coap_session_max_pdu_size(t->session));
	if (!pdu)
		return false;
	coap_session_new_token(t->session, &toklen, token);
	coap_add_token(pdu, toklen, token);
	coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, (const uint8_t *)"t");
	coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(t->path), (const uint8_t *)t->path);
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(cf, sizeof(cf), CF_JSON),
			cf);
	if (!r->p->dtls) {
		int qn = snprintf(query, sizeof(query), "k=%s", t->def->key);
		coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)qn, (const uint8_t *)query);
	}
	size_t n = format_reading(r, t, body);
	coap_add_data(pdu, n, (const uint8_t *)body);
	if (coap_send(t->session, pdu) == COAP_INVALID_MID)
		return false;
	t->seq++;
	t->pending++;
	r->sent++;
	return true;
}

static struct cthing *thing_of(coap_session_t *s)
{
	return coap_session_get_app_data(s);
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
				   const coap_pdu_t *got, const coap_mid_t mid)
{
	struct cthing *t = thing_of(s);
	(void)sent;
	(void)mid;
	coap_pdu_code_t code = coap_pdu_get_code(got);
	if (!t || code == COAP_EMPTY_CODE)
		return COAP_RESPONSE_OK;
	t->pending--;
	if (code == COAP_RESPONSE_CODE_CHANGED) {
		current->accepted++;
		return COAP_RESPONSE_OK;
	}
	size_t len = 0;
	const uint8_t *data = NULL;
	coap_get_data(got, &len, &data);
	note(current, "%s: brinkd refused a reading: %d.%02d%s%.*s", t->def->name,
	     (int)code >> 5, (int)code & 31, len ? " " : "", (int)(len > 200 ? 200 : len),
	     data ? (const char *)data : "");
	current->errors++;
	return COAP_RESPONSE_OK;
}

static void refuse_thing(struct cthing *t, const char *why)
{
	if (t->refused)
		return;
	t->refused = true;
	current->refused++;
	note(current, "%s: %s", t->def->name, why);
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t why,
		    const coap_mid_t mid)
{
	struct cthing *t = thing_of(s);
	(void)sent;
	(void)mid;
	if (!t || t->pending == 0)
		return;
	t->pending--;
	current->lost++;
	if (why == COAP_NACK_TLS_FAILED)
		refuse_thing(t, "the DTLS handshake failed (wrong identity or key?)");
	else if ((why == COAP_NACK_NOT_DELIVERABLE || why == COAP_NACK_ICMP_ISSUE) &&
		 !t->unreachable) {
		t->unreachable = true;
		current->unreachable++;
		note(current, "%s: cannot reach brinkd's CoAP port (nothing listens there?)",
		     t->def->name);
	}
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
	struct cthing *t = thing_of(s);
	if (t && ev == COAP_EVENT_DTLS_ERROR)
		refuse_thing(t, "the DTLS handshake failed (wrong identity or key?)");
	return 0;
}

static void quiet_log(coap_log_t level, const char *message)
{
	(void)level;
	(void)message; /* failures reach the handlers above; libcoap's words are noise here */
}

/* The session of thing t; CLI_OK or CLI_EUSAGE/CLI_ECONNECT. */
static int open_session(struct crun *r, struct cthing *t, const coap_address_t *dst)
{
	if (!r->p->dtls) {
		t->session = coap_new_client_session(r->ctx, NULL, dst, COAP_PROTO_UDP);
	} else {
		coap_dtls_cpsk_t psk = {.version = COAP_DTLS_CPSK_SETUP_VERSION};
		psk.psk_info.identity.s = (const uint8_t *)t->def->name;
		psk.psk_info.identity.length = strlen(t->def->name);
		psk.psk_info.key.s = (const uint8_t *)t->def->key;
		psk.psk_info.key.length = strlen(t->def->key);
		t->session = coap_new_client_session_psk2(r->ctx, NULL, dst, COAP_PROTO_DTLS, &psk);
	}
	if (!t->session)
		return cli__fail(CLI_ECONNECT, "%s: cannot open a CoAP session", t->def->name);
	coap_session_set_app_data(t->session, t);
	return CLI_OK;
}

static int resolve(const struct cli_coap_plan *p, coap_address_t *dst)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long port = p->port ? p->port : p->dtls ? 5684 : 5683;
	int rc = cli__resolve(p->host, port, &ss, &len);
	if (rc != CLI_OK)
		return rc;
	coap_address_init(dst);
	memcpy(&dst->addr, &ss, len);
	dst->size = len;
	return CLI_OK;
}

static int setup(struct crun *r)
{
	const struct cli_coap_plan *p = r->p;
	coap_address_t dst;
	if (p->dtls && !coap_dtls_is_supported())
		return cli__fail(CLI_EUSAGE, "this libcoap has no DTLS support");
	int rc = resolve(p, &dst);
	if (rc != CLI_OK)
		return rc;
	r->things = calloc(p->n, sizeof(*r->things));
	double *vals = calloc(p->n * (p->nfields ? p->nfields : 1), sizeof(*vals));
	r->ctx = coap_new_context(NULL);
	if (!r->things || !vals || !r->ctx) {
		free(vals);
		return cli__fail(CLI_EAPI, "out of memory");
	}
	coap_register_response_handler(r->ctx, on_response);
	coap_register_nack_handler(r->ctx, on_nack);
	coap_register_event_handler(r->ctx, on_event);
	srand48((long)time(NULL) ^ (long)getpid());
	for (size_t i = 0; i < p->n && rc == CLI_OK; i++) {
		struct cthing *t = &r->things[i];
		const char *slash = strchr(p->things[i].name, '/');
		t->def = &p->things[i];
		t->path = p->dtls && slash ? slash + 1 : t->def->name;
		t->vals = vals + i * p->nfields;
		for (size_t f = 0; f < p->nfields; f++) {
			double lo, hi, step;
			field_range(p->fields[f], &lo, &hi, &step);
			t->vals[f] = lo + (hi - lo) * (0.3 + 0.4 * drand48());
		}
		rc = open_session(r, t, &dst);
	}
	return rc;
}

static bool thing_done(const struct crun *r, const struct cthing *t)
{
	return t->refused || t->unreachable || stop_asked || (r->p->count && t->seq >= r->p->count);
}

/* Sends what is due; returns ms until the next reading is (-1: none). */
static int send_due(struct crun *r, double now)
{
	int wait = -1;
	for (size_t i = 0; i < r->p->n; i++) {
		struct cthing *t = &r->things[i];
		while (!thing_done(r, t)) {
			if (r->p->rate == 0 && t->pending > 0)
				break; /* as fast as answers come: one at a time */
			if (r->p->rate > 0 && t->due > now) {
				int ms = (int)ceil((t->due - now) * 1000);
				wait = wait < 0 || ms < wait ? ms : wait;
				break;
			}
			if (!post(r, t)) {
				refuse_thing(t, "libcoap could not send (the session failed)");
				break;
			}
			if (r->p->rate > 0)
				t->due = now - t->due > 1.0 ? now + 1 / r->p->rate : t->due + 1 / r->p->rate;
		}
	}
	return wait;
}

static bool all_sent(const struct crun *r)
{
	for (size_t i = 0; i < r->p->n; i++)
		if (!thing_done(r, &r->things[i]))
			return false;
	return true;
}

static bool all_answered(const struct crun *r)
{
	for (size_t i = 0; i < r->p->n; i++)
		if (r->things[i].pending > 0 && !r->things[i].refused && !r->things[i].unreachable)
			return false;
	return true;
}

static void run_loop(struct crun *r, double *elapsed)
{
	double start = mono(), drain_until = 0;
	for (size_t i = 0; i < r->p->n; i++) /* spread the things over the first interval */
		r->things[i].due = r->p->rate > 0 ? start + (double)i / (double)r->p->n / r->p->rate
						  : start;
	while (stop_asked < 2) {
		double now = mono();
		int wait = send_due(r, now);
		if (all_sent(r)) {
			if (drain_until == 0)
				drain_until = now + COAP_DRAIN_S;
			if (all_answered(r) || now >= drain_until)
				break;
			wait = 50;
		}
		coap_io_process(r->ctx, wait < 0 || wait > 100 ? 100 : (unsigned)wait);
	}
	*elapsed = mono() - start;
}

static void summary(const struct cli_ctx *ctx, const struct crun *r, double elapsed)
{
	long unanswered = r->sent - r->accepted - r->errors - r->lost;
	if (r->hidden)
		fprintf(stderr, "brink: (%ld more such messages not shown)\n", r->hidden);
	if (ctx->json) {
		printf("{\"things\":%zu,\"sent\":%ld,\"accepted\":%ld,\"errors\":%ld,"
		       "\"refused\":%ld,\"unreachable\":%ld,\"lost\":%ld,\"unanswered\":%ld,"
		       "\"elapsed\":%.3f}\n",
		       r->p->n, r->sent, r->accepted, r->errors, r->refused, r->unreachable, r->lost,
		       unanswered > 0 ? unanswered : 0, elapsed);
		return;
	}
	printf("sent %ld readings from %zu thing%s over %s in %.2f s: %ld accepted, %ld error%s "
	       "from brinkd",
	       r->sent, r->p->n, r->p->n == 1 ? "" : "s", r->p->dtls ? "coaps" : "coap", elapsed,
	       r->accepted, r->errors, r->errors == 1 ? "" : "s");
	if (r->refused)
		printf(", %ld thing%s refused", r->refused, r->refused == 1 ? "" : "s");
	if (r->unreachable)
		printf(", %ld could not reach it", r->unreachable);
	if (r->lost || unanswered > 0)
		printf(", %ld unanswered", r->lost + (unanswered > 0 ? unanswered : 0));
	putchar('\n');
}

static void teardown(struct crun *r)
{
	if (r->ctx)
		coap_free_context(r->ctx); /* releases the sessions */
	if (r->things)
		free(r->things[0].vals);
	free(r->things);
}

int cli__sensor_coap(const struct cli_ctx *ctx, const struct cli_coap_plan *plan)
{
	struct crun r = {.p = plan};
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	double elapsed = 0;
	current = &r;
	stop_asked = 0;
	coap_startup();
	coap_set_log_handler(quiet_log);
	coap_set_log_level(LOG_EMERG);
	int rc = setup(&r);
	if (rc == CLI_OK) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		run_loop(&r, &elapsed);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		summary(ctx, &r, elapsed);
		if (r.unreachable || (r.accepted == 0 && r.errors == 0 && r.sent > 0 && !r.refused))
			rc = CLI_ECONNECT;
		else if (r.refused || r.errors || r.accepted < r.sent)
			rc = CLI_EAPI;
	}
	teardown(&r);
	coap_cleanup();
	current = NULL;
	return rc;
}
