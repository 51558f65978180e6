/* /graphql: POST {"query", "variables", "operationName"} (application/json)
 * or GET ?query=&variables=&operationName= (queries only). The caller is a
 * bearer key or session token, or the session cookie (GET, or POST with
 * Content-Type application/json, which a page on another site cannot send
 * without a CORS preflight brink never grants). Without credentials only
 * login and introspection run. Replies are GraphQL responses: 200 when the
 * operation ran (errors of fields inside), 400 for a document or variables
 * that do not validate, 401 without a session, 405 for a mutation by GET. */
#include <stdio.h>
#include <string.h>

#include "api/api-internal.h"
#include "graphql/brink.h"

struct gql_http {
	struct brink_gql_caller caller;
	bool get;
	bool refused_get;
};

static int admit(void *ctx, bool mutation, const char *const *root, size_t n, char *msg,
		 size_t msglen)
{
	struct gql_http *h = ctx;
	if (h->get && mutation) {
		h->refused_get = true;
		snprintf(msg, msglen, "Mutations need POST.");
		return -1;
	}
	return brink_gql_admit(&h->caller, mutation, root, n, msg, msglen);
}

static void reply_errors(struct api_request *rq, unsigned status, const char *msg)
{
	struct jsonw w = {0};
	jsonw_lit(&w, "{\"errors\":[{\"message\":");
	jsonw_str(&w, msg);
	jsonw_lit(&w, "}]}");
	api__reply_jsonw(rq, status, &w);
}

static bool json_content(struct api_request *rq)
{
	const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	return ct && strncasecmp(ct, "application/json", 16) == 0;
}

/* Fills the request from the POST body or the GET arguments; *holder keeps
 * what it points into. Returns an error message, or NULL. */
static const char *read_request(struct api_request *rq, struct gql_request *g, json_t **holder)
{
	json_error_t jerr;
	json_t *vars = NULL;
	const char *op = NULL;
	if (strcmp(rq->method, "GET") == 0) {
		g->query = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "query");
		op = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "operationName");
		const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "variables");
		if (v && *v && !(*holder = vars = json_loads(v, 0, &jerr)))
			return "variables must be a JSON object";
	} else {
		if (!json_content(rq))
			return "send the request as Content-Type: application/json";
		json_t *body = *holder = rq->body ? json_loadb(rq->body, rq->body_len, 0, &jerr) : NULL;
		if (!json_is_object(body))
			return "the body must be a JSON object {\"query\": ...}";
		g->query = json_string_value(json_object_get(body, "query"));
		vars = json_object_get(body, "variables");
		op = json_string_value(json_object_get(body, "operationName"));
		if (json_object_get(body, "operationName") && !json_is_null(json_object_get(body, "operationName")) && !op)
			return "operationName must be a string";
	}
	if (!g->query)
		return "a query is required";
	if (vars && !json_is_null(vars) && !json_is_object(vars))
		return "variables must be a JSON object";
	g->query_len = strlen(g->query);
	g->variables = json_is_object(vars) ? vars : NULL;
	g->operation_name = op && *op ? op : NULL;
	return NULL;
}

static unsigned outcome_status(enum gql_outcome out, const struct gql_http *h)
{
	switch (out) {
	case GQL_OK: return 200;
	case GQL_BAD_REQUEST: return 400;
	case GQL_REFUSED: return h->refused_get ? 405 : 401;
	default: return 500;
	}
}

void api__graphql(struct api_request *rq)
{
	struct gql_http h = {.caller = {.ctl = rq->api->ctl, .open_session = api__session_open,
					.session_ctx = rq->api},
			     .get = strcmp(rq->method, "GET") == 0};
	struct brink_error *err = NULL;
	const struct gql_schema *schema = brink_gql_schema();
	json_t *holder = NULL;
	struct gql_request g = {.ctx = &h, .admit = admit};
	if (!schema) {
		reply_errors(rq, 500, "the GraphQL schema is broken (see the log)");
		return;
	}
	int who = api__identify(rq, h.get || json_content(rq), &err);
	if (who < 0) {
		reply_errors(rq, 401, err->msg);
		brink_error_free(&err);
		return;
	}
	h.caller.authenticated = who == 1;
	h.caller.tenant = rq->tenant;
	h.caller.admin = who == 1 && rq->api->admin_tenant[0] &&
			 strcmp(rq->tenant.name, rq->api->admin_tenant) == 0;
	const char *bad = read_request(rq, &g, &holder);
	if (bad) {
		json_decref(holder);
		reply_errors(rq, 400, bad);
		return;
	}
	struct gql_limits lim = GQL_LIMITS_DEFAULT;
	lim.max_doc = atomic_load(&rq->api->max_body);
	lim.max_depth = atomic_load(&rq->api->gql_max_depth);
	lim.max_cost = atomic_load(&rq->api->gql_max_cost);
	struct jsonw w = {0};
	enum gql_outcome out = gql_run(schema, &lim, &g, &w);
	json_decref(holder);
	if (out == GQL_NO_MEMORY) {
		size_t len;
		free(jsonw_take(&w, &len));
		reply_errors(rq, 500, "out of memory");
		return;
	}
	api__reply_jsonw(rq, outcome_status(out, &h), &w);
}
