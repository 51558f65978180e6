/* CoAP ingest (libcoap): POST /t/<thing>?k=<thing key> over UDP, or
 * POST /t/<thing> over DTLS-PSK (coaps.c: the session authenticates the
 * thing), with a reading as application/json (50, also when no
 * Content-Format is given), SenML JSON (110) or SenML CBOR (112),
 * confirmable or not. Answers 2.04, or 4.01 (key refused, or not the named
 * thing's), 4.03 (over DTLS, a path naming another thing than the
 * session's), 4.04 (other paths), 4.05
 * (other methods), 4.15 (other formats), 4.13 (over ingest.max_line bytes or
 * block-wise), 4.00 with a short diagnostic (a payload the parsers refuse).
 *
 * libcoap's epoll descriptor is watched by a uv_poll_t and its timers by a
 * uv_timer_t on the router's loop, so requests are handled on the I/O thread
 * like TCP lines. Refusals are counted (4.01 and 4.03: refused_auth, others:
 * refused_lines) and logged at most once per peer every PEER_LOG_MS. The key
 * is never logged: libcoap's own log stays at warnings, which carry no PDU. */
#include <coap3/coap.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "ingest/coap-internal.h"
#include "ingest/reading.h"

#define LIB_LOG_BURST 3
#define MAX_IDLE_SESSIONS 1024
#define SESSION_TIMEOUT_S 60
#define CF_JSON 50
#define CF_SENML_JSON 110
#define CF_SENML_CBOR 112
#define TEXT_MAX BRINK_READING_INPUT_MAX /* a reading as JSON: payloads and 32 rendered fields fit */

/* What one request asks for, borrowed from the PDU. */
struct request {
	char thing[BRINK_NAME_MAX + 1];
	char key[BRINK_READING_KEY_MAX + 1];
	unsigned format;
	const uint8_t *data;
	size_t len;
	char peer[64];
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool coap__may_log(struct brink_coap *c, const char *peer)
{
	uint32_t h = 2166136261u;
	for (const char *p = peer; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	struct peer_note *n = &c->peers[h % PEER_SLOTS];
	uint64_t now = uv_now(&c->r->loop);
	if (strcmp(n->addr, peer) == 0 && now < n->quiet_until)
		return false;
	snprintf(n->addr, sizeof(n->addr), "%s", peer);
	n->quiet_until = now + PEER_LOG_MS;
	return true;
}

/* Answers code with an optional diagnostic, counts and maybe logs it. */
static void refuse(struct brink_coap *c, const struct request *rq, coap_pdu_t *resp,
		   coap_pdu_code_t code, const char *why)
{
	if (code == COAP_RESPONSE_CODE_UNAUTHORIZED || code == COAP_RESPONSE_CODE_FORBIDDEN)
		atomic_fetch_add(&c->r->stats.refused_auth, 1);
	else
		atomic_fetch_add(&c->r->stats.refused_lines, 1);
	if (coap__may_log(c, rq->peer))
		log_info("coap %s: %d.%02d %s (further refusals from it not logged for %d s)",
			 rq->peer, (int)code >> 5, (int)code & 31, why, PEER_LOG_MS / 1000);
	coap_pdu_set_code(resp, code);
	if (why && code == COAP_RESPONSE_CODE_BAD_REQUEST)
		coap_add_data(resp, strlen(why), (const uint8_t *)why);
}

/* Copies an option's value into dst as a string; false when it does not fit
 * or holds a NUL. */
static bool opt_text(const coap_opt_t *o, size_t skip, char *dst, size_t size)
{
	size_t n = coap_opt_length(o);
	const uint8_t *v = coap_opt_value(o);
	if (n < skip || n - skip >= size || memchr(v + skip, 0, n - skip))
		return false;
	memcpy(dst, v + skip, n - skip);
	dst[n - skip] = '\0';
	return true;
}

/* Fills thing from exactly two Uri-Path segments "t", <name>; returns false
 * for any other path. */
static bool parse_path(const coap_pdu_t *req, struct request *rq)
{
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
	coap_option_iterator_init(req, &it, &f);
	int seg = 0;
	coap_opt_t *o;
	while ((o = coap_option_next(&it))) {
		if (seg == 0 && !(coap_opt_length(o) == 1 && *coap_opt_value(o) == 't'))
			return false;
		if (seg == 1 && !opt_text(o, 0, rq->thing, sizeof(rq->thing)))
			return false;
		if (++seg > 2)
			return false;
	}
	return seg == 2 && rq->thing[0];
}

/* Fills key from the Uri-Query "k=..."; returns false when there is none or
 * it is too long. */
static bool parse_key(const coap_pdu_t *req, struct request *rq)
{
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(req, &it, &f);
	coap_opt_t *o;
	while ((o = coap_option_next(&it)))
		if (coap_opt_length(o) >= 2 && memcmp(coap_opt_value(o), "k=", 2) == 0)
			return opt_text(o, 2, rq->key, sizeof(rq->key)) && rq->key[0];
	return false;
}

/* The Content-Format, CF_JSON when absent, UINT32_MAX when unreadable. */
static unsigned parse_format(const coap_pdu_t *req)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it);
	if (!o)
		return CF_JSON;
	if (coap_opt_length(o) > 2)
		return UINT32_MAX;
	return coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
}

/* Returns true when the key is a thing's and that thing is the one named;
 * fills thing. */
static bool authenticate(struct brink_coap *c, const struct request *rq, struct brink_thing *thing)
{
	struct brink_error *err = NULL;
	if (brink_control_thing_auth(c->r->ctl, rq->key, thing, &err) < 0) {
		brink_error_free(&err);
		return false;
	}
	return strcmp(thing->name, rq->thing) == 0;
}

static size_t put_str(char *out, size_t cap, size_t n, const char *s, size_t len)
{
	if (n + 2 * len + 3 > cap)
		return cap;
	out[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out[n++] = '\\';
		out[n++] = s[i];
	}
	out[n++] = '"';
	return n;
}

static size_t put_num(char *out, size_t cap, size_t n, double v)
{
	char num[32];
	snprintf(num, sizeof(num), "%.15g", v);
	if (strtod(num, NULL) != v)
		snprintf(num, sizeof(num), "%.17g", v);
	size_t len = strlen(num);
	if (n + len > cap)
		return cap;
	memcpy(out + n, num, len);
	return n + len;
}

static size_t put_field(char *out, size_t cap, size_t n, const struct brink_reading_field *f)
{
	n = put_str(out, cap, n, f->name, strlen(f->name));
	if (n + 1 >= cap)
		return cap;
	out[n++] = ':';
	if (f->type == BRINK_READING_STRING)
		return put_str(out, cap, n, f->str, f->slen);
	if (f->type == BRINK_READING_NUMBER)
		return put_num(out, cap, n, f->num);
	const char *b = f->b ? "true" : "false";
	if (n + strlen(b) > cap)
		return cap;
	memcpy(out + n, b, strlen(b));
	return n + strlen(b);
}

/* A SenML reading as a flat JSON object, "time" being its first record's
 * (absolute) time when it has one. Returns the length, 0 when out is too
 * small or a name repeats (a time series: one pack is one reading here). */
static size_t render(const struct brink_reading *rd, double now, char *out, size_t cap)
{
	size_t n = 0;
	out[n++] = '{';
	for (size_t i = 0; i < rd->nfields; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcmp(rd->fields[i].name, rd->fields[j].name) == 0)
				return 0;
		if (i)
			out[n++] = ',';
		n = put_field(out, cap - 24, n, &rd->fields[i]);
		if (n >= cap - 24)
			return 0;
	}
	if (rd->nfields && rd->fields[0].time != 0) {
		memcpy(out + n, ",\"time\":", 8);
		n = put_num(out, cap - 1, n + 8, brink_reading_time_abs(rd->fields[0].time, now));
		if (n >= cap - 1)
			return 0;
	}
	out[n++] = '}';
	return n;
}

/* A JSON payload as one line in out[0..cap): trimmed, its line breaks
 * (whitespace between tokens: JSON strings cannot hold them raw) turned into
 * spaces. Returns the length, 0 when it does not fit. */
static size_t one_line(const uint8_t *data, size_t len, char *out, size_t cap)
{
	if (len > cap)
		return 0;
	while (len && strchr(" \t\r\n", data[len - 1]))
		len--;
	while (len && strchr(" \t\r\n", data[0]))
		data++, len--;
	for (size_t i = 0; i < len; i++)
		out[i] = data[i] == '\n' || data[i] == '\r' ? ' ' : (char)data[i];
	return len;
}

/* Parses rq's payload and publishes it; returns NULL or why it was refused
 * (msg holds the parser's words). */
static const char *take_reading(struct brink_coap *c, const struct request *rq,
				const struct brink_thing *thing, char *msg, size_t msglen)
{
	static struct brink_reading rd; /* the loop thread only */
	static char text[TEXT_MAX];
	enum brink_reading_status st;
	if (rq->format == CF_JSON)
		st = brink_reading_parse_json((const char *)rq->data, rq->len, &rd, msg, msglen);
	else if (rq->format == CF_SENML_JSON)
		st = brink_reading_parse_senml_json((const char *)rq->data, rq->len, &rd, msg,
						    msglen);
	else
		st = brink_reading_parse_senml_cbor(rq->data, rq->len, &rd, msg, msglen);
	if (st != BRINK_READING_OK)
		return msg;
	uint64_t now = realtime_ns();
	size_t n = rq->format == CF_JSON ? one_line(rq->data, rq->len, text, sizeof(text))
					 : render(&rd, (double)now / 1e9, text, sizeof(text));
	if (n == 0)
		return "a name appears twice (one pack is one reading here)";
	struct thing_ref ref;
	router__thing_ref(&ref, thing);
	router__publish(c->r, &ref, now, text, n);
	return NULL;
}

void coap__peer_name(const coap_session_t *s, char *out, size_t size)
{
	const coap_address_t *a = coap_session_get_addr_remote(s);
	snprintf(out, size, "?");
	if (a && a->addr.sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a->addr.sin.sin_addr, out, (socklen_t)size);
	else if (a && a->addr.sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, out, (socklen_t)size);
}

/* The thing the request is from: over DTLS the session's (a path naming
 * another thing is 4.03), over UDP the one whose key is in the query. */
static coap_pdu_code_t identify(struct brink_coap *c, coap_session_t *s, const coap_pdu_t *req,
				struct request *rq, struct brink_thing *thing, const char **why)
{
	*why = "key refused";
	if (coap_session_get_proto(s) != COAP_PROTO_DTLS)
		return parse_key(req, rq) && authenticate(c, rq, thing)
			       ? 0
			       : COAP_RESPONSE_CODE_UNAUTHORIZED;
	coap_pdu_code_t code = coap__dtls_thing(c, s, thing, why);
	if (code)
		return code;
	*why = "the session's thing may not post for another";
	return strcmp(thing->name, rq->thing) ? COAP_RESPONSE_CODE_FORBIDDEN : 0;
}

/* Checks the request in the order path, key, format, size, payload and
 * publishes its reading; returns the answer's code, with *why set for a
 * refusal (msg may hold the parser's words). */
static coap_pdu_code_t handle(struct brink_coap *c, coap_session_t *s, const coap_pdu_t *req,
			      struct request *rq, coap_pdu_t *resp, const char **why, char *msg,
			      size_t msglen)
{
	struct brink_thing thing;
	coap_opt_iterator_t it;
	*why = "unknown path";
	if (!parse_path(req, rq))
		return COAP_RESPONSE_CODE_NOT_FOUND;
	coap_pdu_code_t refused = identify(c, s, req, rq, &thing, why);
	if (refused)
		return refused;
	*why = "unsupported content format";
	rq->format = parse_format(req);
	if (rq->format != CF_JSON && rq->format != CF_SENML_JSON && rq->format != CF_SENML_CBOR)
		return COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT;
	if (!coap_get_data(req, &rq->len, &rq->data))
		rq->len = 0;
	size_t max = (size_t)c->r->cfg.ingest_max_line;
	if (rq->len > max || coap_check_option(req, COAP_OPTION_BLOCK1, &it)) {
		uint8_t buf[4];
		coap_add_option(resp, COAP_OPTION_SIZE1,
				coap_encode_var_safe(buf, sizeof(buf), (unsigned)max), buf);
		*why = "payload too large";
		return COAP_RESPONSE_CODE_REQUEST_TOO_LARGE;
	}
	*why = take_reading(c, rq, &thing, msg, msglen);
	return *why ? COAP_RESPONSE_CODE_BAD_REQUEST : COAP_RESPONSE_CODE_CHANGED;
}

static void on_post(coap_resource_t *res, coap_session_t *s, const coap_pdu_t *req,
		    const coap_string_t *query, coap_pdu_t *resp)
{
	struct brink_coap *c = coap_resource_get_userdata(res);
	struct request rq;
	const char *why;
	char msg[128];
	(void)query;
	memset(&rq, 0, sizeof(rq));
	coap__peer_name(s, rq.peer, sizeof(rq.peer));
	coap_pdu_code_t code = handle(c, s, req, &rq, resp, &why, msg, sizeof(msg));
	if (code == COAP_RESPONSE_CODE_CHANGED)
		coap_pdu_set_code(resp, code);
	else
		refuse(c, &rq, resp, code, why);
}

static void on_other(coap_resource_t *res, coap_session_t *s, const coap_pdu_t *req,
		     const coap_string_t *query, coap_pdu_t *resp)
{
	struct request rq;
	(void)req;
	memset(&rq, 0, sizeof(rq));
	(void)query;
	coap__peer_name(s, rq.peer, sizeof(rq.peer));
	refuse(coap_resource_get_userdata(res), &rq, resp, COAP_RESPONSE_CODE_NOT_ALLOWED,
	       "method not allowed");
}

static void on_timer(uv_timer_t *t);

/* Runs libcoap's pending I/O and timers, then arms the timer for its next. */
static void pump(struct brink_coap *c)
{
	coap_tick_t now;
	coap_io_process(c->ctx, COAP_IO_NO_WAIT);
	coap_ticks(&now);
	unsigned ms = coap_io_prepare_epoll(c->ctx, now);
	if (ms)
		uv_timer_start(&c->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&c->timer);
}

static void on_timer(uv_timer_t *t)
{
	pump(t->data);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	pump(p->data);
}

/* The router whose stats count what libcoap drops (one CoAP ingest per
 * process; libcoap's log handler takes no user pointer). */
static struct brink_router *log_router;

/* libcoap drops a malformed datagram before any handler of ours runs, and
 * refuses a request with an unknown critical option itself (4.02); its log
 * line is the only trace, so that is where they are counted. */
static void count_dropped(const char *message)
{
	if (log_router && (strstr(message, "discard malformed PDU") ||
			   strstr(message, "unknown critical option")))
		atomic_fetch_add(&log_router->stats.refused_malformed, 1);
}

/* libcoap's warnings (a malformed datagram is one) come from any peer: at
 * most LIB_LOG_BURST of them every PEER_LOG_MS. */
static void on_coap_log(coap_log_t level, const char *message)
{
	static uint64_t window_end;
	static int count;
	struct timespec ts;
	count_dropped(message);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (now >= window_end) {
		window_end = now + PEER_LOG_MS;
		count = 0;
	}
	if (++count > LIB_LOG_BURST)
		return;
	int n = (int)strcspn(message, "\n");
	const char *more = count == LIB_LOG_BURST ? " (further libcoap messages not logged for 10 s)" : "";
	if (level <= LOG_ERR)
		log_error("coap: %.*s%s", n, message, more);
	else
		log_warn("coap: %.*s%s", n, message, more);
}

/* The resource every path lands on (libcoap's "unknown resource"), so that
 * unknown paths are answered, counted and logged here. Returns 0 or -1. */
static int add_resource(struct brink_coap *c)
{
	coap_resource_t *res = coap_resource_unknown_init(on_other);
	if (!res)
		return -1;
	coap_register_request_handler(res, COAP_REQUEST_POST, on_post);
	coap_register_request_handler(res, COAP_REQUEST_GET, on_other);
	coap_register_request_handler(res, COAP_REQUEST_DELETE, on_other);
	coap_register_request_handler(res, COAP_REQUEST_FETCH, on_other);
	coap_register_request_handler(res, COAP_REQUEST_PATCH, on_other);
	coap_register_request_handler(res, COAP_REQUEST_IPATCH, on_other);
	coap_resource_set_userdata(res, c);
	coap_add_resource(c->ctx, res);
	return 0;
}

/* A libcoap context with a UDP endpoint on ingest.bind:coap.port; returns
 * its epoll descriptor, or -1 with *err set (c->ctx may be set then). */
static int open_context(struct brink_coap *c, struct brink_error **err)
{
	const struct brink_config *cfg = &c->r->cfg;
	coap_address_t a;
	coap_address_init(&a);
	a.addr.sin.sin_family = AF_INET;
	a.addr.sin.sin_port = htons((uint16_t)cfg->coap_port);
	a.size = sizeof(a.addr.sin);
	if (inet_pton(AF_INET, cfg->ingest_bind, &a.addr.sin.sin_addr) != 1)
		return brink_error_make(err, BRINK_E_INVALID, "ingest.bind: '%s' is not an IPv4 address",
					cfg->ingest_bind);
	c->ctx = coap_new_context(NULL);
	if (!c->ctx || add_resource(c) < 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "coap: cannot create its context");
	/* each UDP peer (address and port) gets a session: bound their number */
	coap_context_set_max_idle_sessions(c->ctx, MAX_IDLE_SESSIONS);
	coap_context_set_session_timeout(c->ctx, SESSION_TIMEOUT_S);
	if (!coap_new_endpoint(c->ctx, &a, COAP_PROTO_UDP))
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "coap: cannot listen on udp %s:%d",
					cfg->ingest_bind, cfg->coap_port);
	if (coap__dtls_listen(c, &a, err) < 0)
		return -1;
	int fd = coap_context_get_coap_fd(c->ctx);
	if (fd < 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "coap: libcoap lacks epoll support");
	return fd;
}

int brink_ingest_coap_start(struct brink_router *r, struct brink_error **err)
{
	struct brink_coap *c = calloc(1, sizeof(*c));
	if (!c)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	c->r = r;
	log_router = r;
	coap_startup();
	coap_set_log_handler(on_coap_log);
	coap_set_log_level(LOG_WARNING);
	int fd = open_context(c, err);
	if (fd < 0 || uv_poll_init(&r->loop, &c->poll, fd) < 0) {
		if (fd >= 0)
			brink_error_make(err, BRINK_E_INTERNAL, "coap: cannot watch its descriptor");
		if (c->ctx)
			coap_free_context(c->ctx);
		coap_cleanup();
		free(c);
		return -1;
	}
	uv_timer_init(&r->loop, &c->timer);
	c->poll.data = c->timer.data = c;
	c->open_handles = 2;
	uv_poll_start(&c->poll, UV_READABLE, on_readable);
	uv_timer_start(&c->timer, on_timer, 0, 0);
	r->coap = c;
	log_info("ingest listening on coap udp %s:%d", r->cfg.ingest_bind, r->cfg.coap_port);
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct brink_coap *c = h->data;
	if (--c->open_handles > 0)
		return;
	coap_free_context(c->ctx);
	coap_cleanup();
	free(c);
}

void brink_ingest_coap_stop(struct brink_router *r)
{
	struct brink_coap *c = r->coap;
	if (!c)
		return;
	r->coap = NULL;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_closed);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}
