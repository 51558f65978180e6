#include <stdio.h>
#include <string.h>

#include "api/api-internal.h"

struct route {
	const char *method;
	const char *pattern; /* "*" matches one path segment: the {id} */
	api_handler handler;
	bool auth;
};

static const struct route routes[] = {
	{"POST", "/v1/tenants", api__tenant_create, false},
	{"GET", "/v1/tenant", api__tenant_get, true},
	{"DELETE", "/v1/tenant", api__tenant_delete, true},
	{"POST", "/v1/tenant/key", api__tenant_rotate_key, true},
	{"POST", "/v1/things", api__thing_create, true},
	{"GET", "/v1/things", api__thing_list, true},
	{"GET", "/v1/things/*", api__thing_get, true},
	{"DELETE", "/v1/things/*", api__thing_delete, true},
	{"POST", "/v1/things/*/key", api__thing_rekey, true}, /* a new thing key */
	{"POST", "/v1/services", api__service_create, true},
	{"GET", "/v1/services", api__service_list, true},
	{"GET", "/v1/services/*", api__service_get, true},
	{"DELETE", "/v1/services/*", api__service_delete, true},
	{"POST", "/v1/services/*/stop", api__service_stop, true},
	{"POST", "/v1/services/*/start", api__service_start, true},
	{"GET", "/v1/services/*/stream", api__service_stream, true},
	{"GET", "/v1/system", api__system_get, true},
	{"POST", "/v1/models", api__model_create, true},
	{"GET", "/v1/models", api__model_list, true},
	{"GET", "/v1/models/*", api__model_get, true},
	{"DELETE", "/v1/models/*", api__model_delete, true},
	/* VMs and USB devices (vms.c) */
	{"POST", "/v1/vms", api__vm_create, true},
	{"GET", "/v1/vms", api__vm_list, true},
	{"GET", "/v1/vms/*", api__vm_get, true},
	{"PATCH", "/v1/vms/*", api__vm_update, true},
	{"DELETE", "/v1/vms/*", api__vm_delete, true},
	{"POST", "/v1/vms/*/start", api__vm_start, true},
	{"POST", "/v1/vms/*/stop", api__vm_stop, true},
	{"POST", "/v1/vms/*/off", api__vm_off, true},
	{"GET", "/v1/vms/*/things", api__vm_things, true},
	{"POST", "/v1/vms/*/things", api__vm_thing_create, true},
	{"POST", "/v1/vms/*/attach-thing", api__vm_thing_attach, true},
	{"GET", "/v1/usb", api__usb_list, true},
	{"POST", "/v1/usb/*/attach", api__usb_attach, true},
	{"POST", "/v1/usb/*/detach", api__usb_detach, true},
	{"GET", "/v1/bootstrap", api__bootstrap, false}, /* the thing's own key */
	{"GET", "/healthz", api__healthz, false},
	{"GET", "/metrics", api__metrics_handler, false},
	/* sessions, GraphQL, console (docs/graphql.md, docs/console.md) */
	{"POST", "/v1/session", api__session_create, false},
	{"GET", "/v1/session", api__session_get, true},
	{"DELETE", "/v1/session", api__session_delete, false},
	{"POST", "/graphql", api__graphql, false}, /* authenticates itself */
	{"GET", "/graphql", api__graphql, false},
	{"GET", "/", api__console, false},
	{"GET", "/console/*", api__console, false},
};

/* Matches path against pattern; on a match copies the "*" segment to param. */
static bool match(const char *pattern, const char *path, char *param, size_t plen)
{
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= plen)
				return false;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/* A browser names the page's origin on cross-site requests (and on every
 * POST and WebSocket handshake): with the cookie, it must be brink's own. */
static bool same_origin(struct api_request *rq)
{
	const char *origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!origin)
		return true;
	const char *p = strstr(origin, "://");
	return host && p && strcmp(p + 3, host) == 0;
}

int api__identify(struct api_request *rq, bool allow_cookie, struct brink_error **err)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = allow_cookie ? api__cookie_token(rq) : NULL;
	if (h && strncmp(h, "Bearer ", 7) == 0) {
		const char *token = h + 7;
		int rc = api__is_session_token(token)
				 ? api__session_auth(rq->api, token, &rq->tenant, err)
				 : brink_control_auth(rq->api->ctl, token, &rq->tenant, err);
		return rc < 0 ? -1 : 1;
	}
	if (h)
		return brink_error_make(err, BRINK_E_UNAUTHORIZED,
					"send the header 'Authorization: Bearer <key>'");
	if (cookie && *cookie) {
		if (!same_origin(rq))
			return brink_error_make(err, BRINK_E_UNAUTHORIZED,
						"the session cookie is not accepted from another origin");
		return api__session_auth(rq->api, cookie, &rq->tenant, err) < 0 ? -1 : 1;
	}
	return 0;
}

/* A key or session token; the session cookie only on GET (a read, or the
 * stream an EventSource opens), which another site's page cannot misuse. */
static bool authenticate(struct api_request *rq)
{
	struct brink_error *err = NULL;
	int rc = api__identify(rq, strcmp(rq->method, "GET") == 0, &err);
	if (rc == 0) {
		api__reply_errorf(rq, 401, "unauthorized",
				  "missing key: send the header 'Authorization: Bearer <key>'");
		return false;
	}
	if (rc < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return false;
	}
	return true;
}

void api__dispatch(struct api_request *rq)
{
	bool path_known = false;
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(routes); i++) {
		const struct route *r = &routes[i];
		if (!match(r->pattern, rq->path, rq->param_buf, sizeof(rq->param_buf)))
			continue;
		path_known = true;
		if (strcmp(r->method, rq->method) != 0)
			continue;
		rq->param = rq->param_buf;
		if (r->auth && !authenticate(rq))
			return;
		r->handler(rq);
		return;
	}
	if (path_known)
		api__reply_errorf(rq, 405, "method_not_allowed", "%s is not allowed on %s",
				  rq->method, rq->path);
	else
		api__reply_errorf(rq, 404, "not_found", "no such resource: %.200s", rq->path);
}
