/* Custom (ECM port 10002): a brink custom service (runtime docker) of the
 * tenant's image, its container ports (lports) published on host ports the
 * control plane hands out. Image references are checked by the control
 * plane and the docker driver; nothing reaches a shell. A service whose
 * image is still being pulled is pending: the reply waits for it. */
#include <stdio.h>
#include <string.h>

#include "ecm/services.h"

static void reply_ports(struct ecm_conn *c, const struct ecm_service *svc)
{
	char ports[BRINK_PORTS_MAX * 10 + 8] = "";
	size_t n = 0;
	/* Python's str() of a list of strings: ['5052', '5053'] */
	for (size_t i = 0; i < svc->nports; i++)
		n += (size_t)snprintf(ports + n, sizeof(ports) - n, "%s'%d'", i ? ", " : "",
				      svc->ports[i]);
	ecm__reply(c, true, "Puedes conectarte al servicio a traves de los puertos [%s]. El ID del "
			    "servicio es %lld",
		   ports, (long long)ecm__number(svc->id));
}

/* While the image is prepared: ECM answered after its docker pull and run,
 * so the client waits for the reply; so does this connection. */
static void on_pending(uv_timer_t *t)
{
	struct ecm_conn *c = t->data;
	struct ecm_service svc;
	struct brink_error *err = NULL;
	bool found = ecm__service_get(c->ecm, c->tenant_id, c->pending, &svc);
	if (found && svc.state == BRINK_STATE_RUNNING) {
		reply_ports(c, &svc);
		return;
	}
	if (found && svc.state == BRINK_STATE_PENDING &&
	    uv_now(c->ecm->loop) - c->pending_since < ECM_PENDING_MAX_MS)
		return;
	if (found && brink_control_service_delete(c->ecm->ctl, c->tenant_id, svc.id, &err) < 0)
		brink_error_free(&err); /* nothing half-made */
	ecm__reply(c, false, "No se pudo arrancar el servicio: %s",
		   !found ? "it was deleted"
		   : svc.state == BRINK_STATE_PENDING ? "its image was not ready in time"
						      : svc.reason);
}

void ecm__verb_custom(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_spec spec = {.kind = BRINK_KIND_CUSTOM};
	struct ecm_service svc;
	if (ecm__auth(c, c->req.id, &t, &e) < 0)
		return;
	snprintf(spec.name, sizeof(spec.name), "ecm-custom");
	snprintf(spec.runtime, sizeof(spec.runtime), "docker");
	snprintf(spec.image, sizeof(spec.image), "%s", c->req.image);
	spec.cpu_min = c->req.cpu_min;
	spec.cpu_max = c->req.cpu_max;
	spec.all_things = true;
	spec.nports = c->req.nlports;
	memcpy(spec.container_ports, c->req.lports, sizeof(spec.container_ports));
	int rc = ecm__service_create(c, t.id, &spec, &svc);
	if (rc == 0) {
		reply_ports(c, &svc);
	} else if (rc == 1) {
		memcpy(c->tenant_id, t.id, sizeof(brink_id));
		memcpy(c->pending, svc.id, sizeof(brink_id));
		c->pending_since = uv_now(c->ecm->loop);
		uv_timer_stop(&c->timer);
		uv_timer_start(&c->timer, on_pending, ECM_PENDING_POLL_MS, ECM_PENDING_POLL_MS);
	}
}
