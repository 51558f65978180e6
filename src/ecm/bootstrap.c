/* Bootstrap (ECM port 3000): a raw key in, a port out. A tenant key gets
 * the tenant's ECM device port, as in ECM; a brink thing key gets brink's
 * TCP ingest port, as brink's own bootstrap answers (the same protocol, so
 * one port serves both when ECM's front end takes 3000). */
#include <stdio.h>

#include "ecm/ecm-internal.h"

void ecm__verb_bootstrap(struct ecm_conn *c, const char *key)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_thing thing;
	struct brink_error *err = NULL;
	if (brink_control_ecm_auth(c->ecm->ctl, key, &t, &e, &err) == 0 &&
	    ecm__tenant_open(c->ecm, &e, &err) == 0) {
		ecm__reply(c, true, "%d", e.base_port);
		return;
	}
	brink_error_free(&err);
	if (brink_control_thing_auth(c->ecm->ctl, key, &thing, &err) == 0) {
		ecm__reply(c, true, "%d", c->ecm->cfg.ingest_tcp_port);
		return;
	}
	brink_error_free(&err);
	ecm__reply(c, false, "ERROR: No existe compania con el ID proporcionado");
}
