/* The HTTP API (REST /v1, /healthz, /metrics) on libmicrohttpd: the only code
 * that speaks HTTP. Requests run on MHD's thread pool (api.threads) and call
 * the control plane. */
#ifndef BRINK_API_H
#define BRINK_API_H

#include "brink/error.h"
#include "control/control.h"
#include "core/config.h"
#include "router/router.h"

struct brink_api;

/* Listens on api.bind:api.port. The control plane and the router (NULL:
 * none) are borrowed and must outlive the API. Fails when the port cannot
 * be bound. */
int brink_api_start(const struct brink_config *cfg, struct brink_control *ctl,
		    struct brink_router *router, struct brink_api **out,
		    struct brink_error **err);

/* Stops listening, waits for requests in flight, frees. Safe on NULL. */
void brink_api_stop(struct brink_api *api);

/* Applies the reloadable keys (api.max_body). */
void brink_api_reload(struct brink_api *api, const struct brink_config *cfg);

#endif
