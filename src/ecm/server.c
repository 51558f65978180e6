/* ECM's service ports: one listener per verb on the router's loop, one
 * request per connection. A request is complete when it parses (ECM's
 * clients send no delimiter); it must arrive within ecm.timeout_ms and fit
 * in ECM_REQUEST_MAX bytes. An empty connection is closed without a word;
 * nothing a client sends can stop a listener. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brink/log.h"
#include "ecm/ecm-internal.h"

static const int fixed_ports[ECM_VERB_COUNT] = {
	[ECM_REGISTER] = 10000, [ECM_BOOTSTRAP] = 3000, [ECM_LISTENING] = 5006,
	[ECM_ANALYSIS] = 5005,	[ECM_CUSTOM] = 10002,	[ECM_INFO] = 5008,
	[ECM_STOP] = 5013,	[ECM_REMOVE] = 12000,	[ECM_UNSUBSCRIBE] = 10001,
};

int brink_ecm_port(int verb)
{
	return verb >= 0 && verb < ECM_VERB_COUNT ? fixed_ports[verb] : 0;
}

void ecm__handle_closed(struct brink_ecm *ecm)
{
	if (--ecm->handles > 0 || !ecm->stopping)
		return;
	pthread_mutex_lock(&ecm->lock);
	ecm->done = true;
	pthread_cond_broadcast(&ecm->cond);
	pthread_mutex_unlock(&ecm->lock);
}

/* ---- a request connection ---- */

static void on_conn_closed(uv_handle_t *h)
{
	struct ecm_conn *c = h->data;
	struct brink_ecm *ecm = c->ecm;
	if (--c->handles == 0) {
		free(c->model);
		free(c);
	}
	ecm__handle_closed(ecm);
}

void ecm__conn_close(struct ecm_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->ecm->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->ecm->nconns--;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

struct ecm_write {
	uv_write_t req;
	struct ecm_conn *conn;
	bool then_close;
	char data[];
};

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

static void on_linger(uv_timer_t *t)
{
	ecm__conn_close(t->data);
}

/* After the reply: our side shuts down and what the client still sends is
 * read and dropped until it closes (at most ECM_LINGER_MS), so unread bytes
 * (an oversize request) do not turn the close into a reset that loses the
 * reply. */
static void drain(struct ecm_conn *c)
{
	c->draining = true;
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, on_linger, ECM_LINGER_MS, 0);
	if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, NULL) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		ecm__conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
	struct ecm_write *w = (struct ecm_write *)req;
	if (status < 0)
		ecm__conn_close(w->conn);
	else if (w->then_close && !w->conn->closing)
		drain(w->conn);
	free(w);
}

static void send_bytes(struct ecm_conn *c, const char *data, size_t len, bool then_close)
{
	struct ecm_write *w = malloc(sizeof(*w) + len);
	if (!w || c->closing) {
		free(w);
		ecm__conn_close(c);
		return;
	}
	w->conn = c;
	w->then_close = then_close;
	memcpy(w->data, data, len);
	uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0) {
		free(w);
		ecm__conn_close(c);
	}
}

void ecm__send_raw(struct ecm_conn *c, const char *data, size_t len)
{
	send_bytes(c, data, len, false);
}

void ecm__reply(struct ecm_conn *c, bool ok, const char *fmt, ...)
{
	va_list ap;
	char *body = NULL;
	if (c->replied)
		return;
	c->replied = true;
	uv_timer_stop(&c->timer);
	uv_read_stop((uv_stream_t *)&c->tcp);
	va_start(ap, fmt);
	int n = vasprintf(&body, fmt, ap);
	va_end(ap);
	size_t cap = n < 0 ? 0 : (size_t)n * 6 + 64; /* \u00XX at worst */
	char *out = cap ? malloc(cap) : NULL;
	size_t len = out ? brink_ecm_reply(out, cap, ok, body) : 0;
	if (len)
		send_bytes(c, out, len, true);
	else
		ecm__conn_close(c);
	free(out);
	free(body);
}

static void dispatch(struct ecm_conn *c)
{
	static void (*const verbs[ECM_VERB_COUNT])(struct ecm_conn *) = {
		[ECM_REGISTER] = ecm__verb_register,   [ECM_LISTENING] = ecm__verb_listening,
		[ECM_ANALYSIS] = ecm__verb_analysis,   [ECM_CUSTOM] = ecm__verb_custom,
		[ECM_INFO] = ecm__verb_info,	       [ECM_STOP] = ecm__verb_stop,
		[ECM_REMOVE] = ecm__verb_remove,       [ECM_UNSUBSCRIBE] = ecm__verb_unsubscribe,
	};
	c->dispatched = true;
	verbs[c->verb](c);
}

/* Looks at what arrived so far: waits, refuses, or serves the request. */
static void take_request(struct ecm_conn *c, bool eof)
{
	char msg[160];
	enum ecm_parse st;
	if (c->verb == ECM_BOOTSTRAP) {
		char key[ECM_KEY_MAX + 1];
		st = brink_ecm_key_parse(c->buf, c->len, eof, key);
		if (st == ECM_PARSE_OK)
			ecm__verb_bootstrap(c, key);
		else if (st != ECM_PARSE_AGAIN)
			ecm__reply(c, false, "ERROR: No existe compania con el ID proporcionado");
		return;
	}
	st = brink_ecm_request_parse(c->buf, c->len, c->verb, &c->req, msg, sizeof(msg));
	if (st == ECM_PARSE_OK)
		dispatch(c);
	else if (st == ECM_PARSE_TOO_LARGE)
		ecm__reply(c, false, "Peticion demasiado grande (maximo %d bytes)", ECM_REQUEST_MAX);
	else if (st != ECM_PARSE_AGAIN)
		ecm__reply(c, false, "Peticion no valida: %s", msg);
	else if (eof)
		ecm__reply(c, false, "Peticion incompleta");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ecm_conn *c = h->data;
	static char scratch[65536]; /* the loop thread only */
	(void)suggested;
	if (c->model_phase || c->draining)
		*buf = uv_buf_init(scratch, sizeof(scratch));
	else /* one byte past the limit, so an oversize request is seen */
		*buf = uv_buf_init(c->buf + c->len, (unsigned)(ECM_REQUEST_MAX + 1 - c->len));
}

static bool model_append(struct ecm_conn *c, const char *p, size_t n)
{
	if (c->model_len + n > (size_t)c->ecm->cfg.ecm_max_model_bytes)
		return false;
	if (c->model_len + n > c->model_cap) {
		size_t cap = c->model_cap ? c->model_cap : 65536;
		while (cap < c->model_len + n)
			cap *= 2;
		uint8_t *m = realloc(c->model, cap);
		if (!m)
			return false;
		c->model = m;
		c->model_cap = cap;
	}
	memcpy(c->model + c->model_len, p, n);
	c->model_len += n;
	return true;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ecm_conn *c = s->data;
	if (c->draining && n < 0)
		ecm__conn_close(c);
	if (c->replied || c->closing)
		return;
	if (c->model_phase) {
		if (n < 0 || !model_append(c, buf->base, (size_t)n)) {
			ecm__reply(c, false, n < 0 ? "El modelo llego incompleto"
						  : "El modelo es demasiado grande (maximo %d bytes)",
				   c->ecm->cfg.ecm_max_model_bytes);
			return;
		}
		uv_timer_again(&c->timer); /* an upload may take long, but not stall */
		ecm__analysis_model_in(c);
		return;
	}
	if (c->dispatched) { /* answered later (a custom image being prepared) */
		if (n < 0)
			ecm__conn_close(c);
		return;
	}
	if (n < 0) {
		if (c->len == 0)
			ecm__conn_close(c); /* an empty connection: nothing to answer */
		else
			take_request(c, true);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	take_request(c, false);
}

static void on_timeout(uv_timer_t *t)
{
	struct ecm_conn *c = t->data;
	if (c->len == 0 && !c->model_phase)
		ecm__conn_close(c);
	else if (c->verb == ECM_BOOTSTRAP)
		take_request(c, true);
	else
		ecm__reply(c, false, c->model_phase ? "El modelo no llego a tiempo"
						    : "Peticion incompleta (tiempo agotado)");
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct brink_ecm *ecm = server->data;
	enum ecm_verb verb = (enum ecm_verb)((uv_tcp_t *)server - ecm->listeners);
	struct ecm_conn *c = status < 0 || ecm->nconns >= ECM_MAX_CONNS ? NULL : calloc(1, sizeof(*c));
	if (!c) {
		uv_tcp_t *t = status < 0 ? NULL : malloc(sizeof(*t));
		if (t && uv_tcp_init(server->loop, t) == 0) {
			uv_accept(server, (uv_stream_t *)t);
			uv_close((uv_handle_t *)t, free_handle);
		} else {
			free(t);
		}
		return;
	}
	c->ecm = ecm;
	c->verb = verb;
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->handles = 2;
	ecm->handles += 2;
	ecm->nconns++;
	c->next = ecm->conns;
	if (ecm->conns)
		ecm->conns->prev = c;
	ecm->conns = c;
	uint64_t ms = (uint64_t)ecm->cfg.ecm_timeout_ms;
	uv_timer_start(&c->timer, on_timeout, ms, ms);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		ecm__conn_close(c);
}

/* ---- start and stop (on the loop, the caller waiting) ---- */

static void on_listener_closed(uv_handle_t *h)
{
	ecm__handle_closed(h->data);
}

static void close_everything(struct brink_ecm *ecm)
{
	for (int v = 0; v < ECM_VERB_COUNT; v++)
		if (ecm->listening[v]) {
			ecm->listening[v] = false;
			uv_close((uv_handle_t *)&ecm->listeners[v], on_listener_closed);
		}
	while (ecm->conns)
		ecm__conn_close(ecm->conns);
	while (ecm->peers)
		ecm__peer_close(ecm->peers);
	ecm__tenants_close_all(ecm);
}

static void signal_done(struct brink_ecm *ecm)
{
	pthread_mutex_lock(&ecm->lock);
	ecm->done = true;
	pthread_cond_broadcast(&ecm->cond);
	pthread_mutex_unlock(&ecm->lock);
}

static void stop_on_loop(uv_loop_t *loop, void *ctx)
{
	struct brink_ecm *ecm = ctx;
	(void)loop;
	ecm->stopping = true;
	close_everything(ecm);
	if (ecm->handles == 0)
		signal_done(ecm);
}

static int listen_on(struct brink_ecm *ecm, enum ecm_verb v, struct brink_error **err)
{
	const char *bind = v == ECM_BOOTSTRAP ? ecm->cfg.ingest_bind : ecm->cfg.ecm_bind;
	int port = fixed_ports[v] + ecm->cfg.ecm_port_offset;
	struct sockaddr_in addr;
	if (uv_ip4_addr(bind, port, &addr) < 0)
		return brink_error_make(err, BRINK_E_INVALID, "ecm: '%s' is not an IPv4 address", bind);
	uv_tcp_init(ecm->loop, &ecm->listeners[v]);
	ecm->listeners[v].data = ecm;
	ecm->listening[v] = true;
	ecm->handles++;
	int rc = uv_tcp_bind(&ecm->listeners[v], (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ecm->listeners[v], 128, on_connection);
	if (rc < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "ecm %s: cannot listen on %s:%d: %s",
					brink_ecm_verb_name(v), bind, port, uv_strerror(rc));
	return 0;
}

static int open_tenant(void *ctx, const struct brink_ecm_tenant *e)
{
	struct brink_ecm *ecm = ctx;
	struct brink_error *err = NULL;
	if (ecm__tenant_open(ecm, e, &err) < 0) {
		log_warn("%s", err->msg); /* that tenant's sensors cannot connect: say so, go on */
		brink_error_free(&err);
	}
	return 0;
}

struct gone_tenant {
	struct brink_ecm *ecm;
	brink_id tenant_id;
};

static void close_gone(uv_loop_t *loop, void *ctx)
{
	struct gone_tenant *g = ctx;
	(void)loop;
	if (!g->ecm->stopping)
		ecm__tenant_close(g->ecm, g->tenant_id);
	free(g);
}

/* A tenant deleted by any means (REST too): its ports close, on the loop. */
static void on_unsubscribe(void *ctx, const char *tenant_id)
{
	struct brink_ecm *ecm = ctx;
	struct gone_tenant *g = calloc(1, sizeof(*g));
	if (!g)
		return;
	g->ecm = ecm;
	snprintf(g->tenant_id, sizeof(g->tenant_id), "%s", tenant_id);
	if (brink_router_call(ecm->router, close_gone, g) < 0)
		free(g);
}

static void start_on_loop(uv_loop_t *loop, void *ctx)
{
	struct brink_ecm *ecm = ctx;
	ecm->loop = loop;
	for (int v = 0; v < ECM_VERB_COUNT && !ecm->start_err; v++)
		listen_on(ecm, (enum ecm_verb)v, &ecm->start_err);
	if (!ecm->start_err)
		brink_control_ecm_list(ecm->ctl, open_tenant, ecm, &ecm->start_err);
	if (ecm->start_err) {
		ecm->stopping = true;
		close_everything(ecm);
		if (ecm->handles)
			return; /* the last close signals */
	}
	signal_done(ecm);
}

static void wait_done(struct brink_ecm *ecm)
{
	pthread_mutex_lock(&ecm->lock);
	while (!ecm->done)
		pthread_cond_wait(&ecm->cond, &ecm->lock);
	ecm->done = false;
	pthread_mutex_unlock(&ecm->lock);
}

/* ECM's ports must not be handed to tenants. */
static int check_ports(const struct brink_config *cfg, struct brink_error **err)
{
	for (int v = 0; v < ECM_VERB_COUNT; v++) {
		int p = fixed_ports[v] + cfg->ecm_port_offset;
		if (p > 65535)
			return brink_error_make(err, BRINK_E_INVALID,
						"ecm.port_offset %d puts ECM's %s port past 65535",
						cfg->ecm_port_offset, brink_ecm_verb_name(v));
		if (p >= cfg->ports_first && p <= cfg->ports_last)
			return brink_error_make(err, BRINK_E_INVALID,
						"ECM's %s port %d lies in ports.first..ports.last "
						"(%d-%d): change ecm.port_offset or the range",
						brink_ecm_verb_name(v), p, cfg->ports_first,
						cfg->ports_last);
	}
	return 0;
}

int brink_ecm_start(const struct brink_config *cfg, struct brink_control *ctl,
		    struct brink_router *router, struct brink_ecm **out, struct brink_error **err)
{
	if (check_ports(cfg, err) < 0)
		return -1;
	struct brink_ecm *ecm = calloc(1, sizeof(*ecm));
	if (!ecm)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	ecm->cfg = *cfg;
	ecm->ctl = ctl;
	ecm->router = router;
	pthread_mutex_init(&ecm->lock, NULL);
	pthread_cond_init(&ecm->cond, NULL);
	if (brink_router_call(router, start_on_loop, ecm) < 0) {
		brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
		goto fail;
	}
	wait_done(ecm);
	if (ecm->start_err) {
		*err = ecm->start_err;
		goto fail;
	}
	brink_control_on_unsubscribe(ctl, on_unsubscribe, ecm);
	log_info("ecm front end listening on ECM's ports + %d (register %d)", cfg->ecm_port_offset,
		 fixed_ports[ECM_REGISTER] + cfg->ecm_port_offset);
	*out = ecm;
	return 0;
fail:
	pthread_cond_destroy(&ecm->cond);
	pthread_mutex_destroy(&ecm->lock);
	free(ecm);
	return -1;
}

void brink_ecm_stop(struct brink_ecm *ecm)
{
	if (!ecm)
		return;
	brink_control_on_unsubscribe(ecm->ctl, NULL, NULL);
	if (brink_router_call(ecm->router, stop_on_loop, ecm) == 0)
		wait_done(ecm);
	pthread_cond_destroy(&ecm->cond);
	pthread_mutex_destroy(&ecm->lock);
	free(ecm);
}
