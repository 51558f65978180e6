#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-internal.h"
#include "brink/log.h"

static struct api_request *request_new(struct brink_api *api, struct MHD_Connection *conn,
				       const char *method, const char *url)
{
	struct api_request *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return NULL;
	rq->api = api;
	rq->conn = conn;
	rq->method = method;
	rq->path = url;
	rq->start_ns = api__now_ns();
	return rq;
}

/* Accumulates the body up to api.max_body; past that the rest is discarded. */
static void take_upload(struct api_request *rq, const char *data, size_t *size)
{
	size_t limit = api__body_limit(rq);
	if (!rq->body_too_large && rq->body_len + *size <= limit) {
		char *nb = realloc(rq->body, rq->body_len + *size + 1);
		if (nb) {
			memcpy(nb + rq->body_len, data, *size);
			rq->body = nb;
			rq->body_len += *size;
			nb[rq->body_len] = '\0';
		} else {
			rq->body_too_large = true;
		}
	} else {
		rq->body_too_large = true;
	}
	*size = 0;
}

static bool declared_too_large(struct api_request *rq)
{
	const char *cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl && strtoull(cl, NULL, 10) > api__body_limit(rq);
}

static enum MHD_Result send_reply(struct api_request *rq)
{
	if (rq->custom) {
		enum MHD_Result r = MHD_queue_response(rq->conn, rq->status, rq->custom);
		MHD_destroy_response(rq->custom);
		rq->custom = NULL;
		return r;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		rq->reply_len, rq->reply, rq->reply ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	rq->reply = NULL; /* the response owns it now */
	if (!resp)
		return MHD_NO;
	if (rq->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rq->content_type);
	if (rq->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rq->set_cookie);
	if (rq->page) { /* the console: its own scripts only, never framed */
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; script-src 'self'; style-src 'self'; "
					"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
					"base-uri 'none'; form-action 'self'");
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	enum MHD_Result r = MHD_queue_response(rq->conn, rq->status, resp);
	MHD_destroy_response(resp);
	return r;
}

static void too_large(struct api_request *rq)
{
	api__reply_errorf(rq, 413, "too_large", "the body is larger than %zu bytes",
			  api__body_limit(rq));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct brink_api *api = cls;
	struct api_request *rq = *con_cls;
	(void)version;
	if (!rq) {
		rq = request_new(api, conn, method, url);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		if (declared_too_large(rq)) {
			too_large(rq);
			return send_reply(rq);
		}
		return MHD_YES;
	}
	if (rq->status) /* already answered (413 on the declared length) */
		return *size ? (*size = 0, MHD_YES) : MHD_YES;
	if (*size) {
		take_upload(rq, data, size);
		return MHD_YES;
	}
	if (rq->body_too_large)
		too_large(rq);
	else
		api__dispatch(rq);
	return send_reply(rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct brink_api *api = cls;
	struct api_request *rq = *con_cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	api__metrics_record(&api->metrics, rq->status, api__now_ns() - rq->start_ns);
	if (rq->status >= 500)
		log_warn("%s %s -> %u", rq->method, rq->path, rq->status);
	else
		log_debug("%s %s -> %u", rq->method, rq->path, rq->status);
	free(rq->body);
	free(rq->reply);
	free(rq);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int brink_api_start(const struct brink_config *cfg, struct brink_control *ctl,
		    struct brink_router *router, struct brink_api **out,
		    struct brink_error **err)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->api_port)};
	if (inet_pton(AF_INET, cfg->api_bind, &addr.sin_addr) != 1)
		return brink_error_make(err, BRINK_E_INVALID, "api.bind: '%s' is not an IPv4 address",
					cfg->api_bind);
	struct brink_api *api = calloc(1, sizeof(*api));
	if (!api)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	api->ctl = ctl;
	api->router = router;
	api->ingest_port = cfg->ingest_tcp_port;
	api->coap_port = cfg->coap_port;
	api->coap_dtls_port = cfg->coap_dtls_port;
	api->mqtt_port = cfg->mqtt_enabled ? cfg->mqtt_port : 0;
	atomic_store(&api->max_body, (size_t)cfg->api_max_body);
	atomic_store(&api->max_model, (size_t)cfg->models_max_bytes);
	snprintf(api->admin_tenant, sizeof(api->admin_tenant), "%s", cfg->admin_tenant);
	atomic_store(&api->gql_max_depth, cfg->graphql_max_depth);
	atomic_store(&api->gql_max_cost, cfg->graphql_max_cost);
	if (api__sessions_init(api, cfg) < 0) {
		free(api);
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	}
	if (api__ws_init(api) < 0) {
		api__sessions_free(api);
		free(api);
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE;
	api->mhd = MHD_start_daemon(
		flags, (uint16_t)cfg->api_port, NULL, NULL, on_request, api,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->api_threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
	if (!api->mhd) {
		api__ws_free(api);
		api__sessions_free(api);
		free(api);
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"cannot listen on %s:%d (port in use?)", cfg->api_bind,
					cfg->api_port);
	}
	log_info("api listening on http://%s:%d", cfg->api_bind, cfg->api_port);
	*out = api;
	return 0;
}

void brink_api_stop(struct brink_api *api)
{
	if (!api)
		return;
	api__ws_stop(api); /* MHD must not stop with upgraded sockets open */
	api__sse_stop();   /* ... nor with suspended connections */
	MHD_stop_daemon(api->mhd);
	api__ws_free(api);
	api__sessions_free(api);
	free(api);
}

void brink_api_reload(struct brink_api *api, const struct brink_config *cfg)
{
	atomic_store(&api->max_body, (size_t)cfg->api_max_body);
	atomic_store(&api->max_model, (size_t)cfg->models_max_bytes);
	atomic_store(&api->gql_max_depth, cfg->graphql_max_depth);
	atomic_store(&api->gql_max_cost, cfg->graphql_max_cost);
	api__sessions_reload(api, cfg);
}
