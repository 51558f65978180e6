/* Stop (ECM port 5013) and remove (ECM port 12000) of one of the caller's
 * services by its ECM number. Unlike ECM, the number is looked up among the
 * caller's own services only: another tenant's is exactly as unknown as one
 * that never existed. */
#include <string.h>

#include "ecm/services.h"

/* The caller's service named by the request; -1 after replying when none. */
static int find(struct ecm_conn *c, struct brink_tenant *t, struct brink_ecm_tenant *e,
		struct ecm_service *s, const char *missing)
{
	if (ecm__auth(c, c->req.id, t, e) < 0)
		return -1;
	if (!ecm__service_by_number(c->ecm, t->id, c->req.serviceid, s)) {
		ecm__reply(c, false, missing, (long long)c->req.serviceid);
		return -1;
	}
	return 0;
}

void ecm__verb_stop(struct ecm_conn *c)
{
	static const char missing[] = "No hay un servicio ejecutandose con ID %lld";
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct ecm_service s;
	struct brink_error *err = NULL;
	if (find(c, &t, &e, &s, missing) < 0)
		return;
	if (s.state != BRINK_STATE_RUNNING) {
		ecm__reply(c, false, missing, (long long)c->req.serviceid);
		return;
	}
	if (brink_control_service_stop(c->ecm->ctl, t.id, s.id, NULL, NULL, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	ecm__reply(c, true, "El servicio %lld ha sido parado correctamente",
		   (long long)c->req.serviceid);
}

/* ECM's analysis container held its model: removing the service removes the
 * model the ECM front end stored for it (not one the tenant uploaded itself). */
static void drop_ecm_model(struct ecm_conn *c, const char *tenant_id, const struct ecm_service *s)
{
	struct brink_model_rec m;
	struct brink_error *err = NULL;
	if (s->kind != BRINK_KIND_ANALYZE ||
	    brink_control_model_get(c->ecm->ctl, tenant_id, s->model, &m, &err) < 0 ||
	    strncmp(m.name, "ecm-", 4) != 0 ||
	    brink_control_model_delete(c->ecm->ctl, tenant_id, m.id, &err) < 0)
		brink_error_free(&err); /* still used by another service, or not ours: kept */
}

void ecm__verb_remove(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct ecm_service s;
	struct brink_error *err = NULL;
	if (find(c, &t, &e, &s, "El ID de servicio no existe (%lld)") < 0)
		return;
	if (brink_control_service_delete(c->ecm->ctl, t.id, s.id, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	drop_ecm_model(c, t.id, &s);
	if (strcmp(e.data_service, s.id) == 0 &&
	    brink_control_ecm_set_service(c->ecm->ctl, t.id, "", &err) < 0)
		brink_error_free(&err); /* a deleted id behind the port finds nothing anyway */
	ecm__reply(c, true, "El servicio %lld ha sido eliminado correctamente",
		   (long long)c->req.serviceid);
}
