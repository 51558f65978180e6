/* Custom (ECM port 10002): a brink custom service (runtime docker) of the
 * tenant's image, its container ports (lports) published on host ports the
 * control plane hands out. Image references are checked by the control
 * plane and the docker driver; nothing reaches a shell. A service whose
 * image is still being pulled is pending: the reply waits for it
 * (ecm__await). */
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

static void ready(struct ecm_conn *c, const void *svc)
{
	reply_ports(c, svc);
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
		ecm__await(c, t.id, &svc, ready);
	}
}
