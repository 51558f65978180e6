#include "api/api-internal.h"

#ifndef BRINK_VERSION
#define BRINK_VERSION "0.1.0"
#endif

void api__system_get(struct api_request *rq)
{
	struct brink_system sys;
	struct brink_error *err = NULL;
	if (brink_control_system(rq->api->ctl, &sys, &err) < 0) {
		api__reply_error(rq, err);
		brink_error_free(&err);
		return;
	}
	json_t *rt = json_object(), *why = json_object();
	for (size_t i = 0; i < sys.nruntimes; i++) {
		json_object_set_new(rt, sys.runtimes[i].name,
				    json_string(sys.runtimes[i].available ? "available"
									  : "unavailable"));
		if (!sys.runtimes[i].available)
			json_object_set_new(why, sys.runtimes[i].name,
					    json_string(sys.runtimes[i].reason));
	}
	json_t *states = json_object();
	for (int s = BRINK_STATE_PENDING; s <= BRINK_STATE_FAILED; s++)
		json_object_set_new(states, brink_state_name(s), json_integer((json_int_t)sys.by_state[s]));
	api__reply_json(rq, 200,
			json_pack("{s:s,s:f,s:f,s:f,s:I,s:I,s:o,s:o,s:o}", "version", BRINK_VERSION,
				  "capacity", sys.capacity, "assigned", sys.assigned, "sum_min",
				  sys.sum_min, "services", (json_int_t)sys.services, "tenants",
				  (json_int_t)sys.tenants, "services_by_state", states, "runtimes",
				  rt, "runtimes_unavailable", why));
}

void api__healthz(struct api_request *rq)
{
	api__reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
