/* Unsubscribe (ECM port 10001): brink's unsubscribe (every service, thing
 * and key of the tenant), and the tenant's ECM ports close. */
#include "ecm/ecm-internal.h"

void ecm__verb_unsubscribe(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	if (ecm__auth(c, c->req.id, &t, &e) < 0)
		return;
	if (brink_control_unsubscribe(c->ecm->ctl, t.id, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	ecm__tenant_close(c->ecm, t.id);
	ecm__reply(c, true, "Tu cuenta ha sido existosamente eliminada");
}
