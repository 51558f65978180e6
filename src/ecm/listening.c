/* Listening (ECM port 5006): a forward service reading the tenant's ECM
 * thing, whose output the tenant's listening port serves. As in ECM there
 * is one such service behind the port at a time: asking again while it runs
 * is refused, while it is stopped starts it again (same number). */
#include "ecm/services.h"

void ecm__verb_listening(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct ecm_service cur, svc;
	struct brink_spec spec;
	struct brink_error *err = NULL;
	bool exists;
	if (ecm__auth(c, c->req.id, &t, &e) < 0 || ecm__data_port_check(c, &e, &cur, &exists) < 0)
		return;
	if (exists && cur.kind == BRINK_KIND_FORWARD) {
		if (brink_control_service_start(c->ecm->ctl, t.id, cur.id, NULL, NULL, &err) < 0 ||
		    !ecm__service_get(c->ecm, t.id, cur.id, &svc) || svc.state != BRINK_STATE_RUNNING) {
			if (err)
				ecm__reply_error(c, err);
			else
				ecm__reply(c, false, "No se pudo arrancar el servicio");
			brink_error_free(&err);
			return;
		}
		ecm__data_port_reply(c, &e, &svc);
		return;
	}
	if (ecm__data_spec(&c->req, &e, BRINK_KIND_FORWARD, &spec) < 0) {
		ecm__reply(c, false, "Error no controlado: out of memory");
		return;
	}
	int rc = ecm__service_create(c, t.id, &spec, &svc);
	if (rc == 0)
		ecm__data_port_reply(c, &e, &svc);
	else if (rc == 1) /* runtime docker: brink's worker image being prepared */
		ecm__await(c, t.id, &svc, ecm__data_port_ready);
}
