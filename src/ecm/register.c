/* Register (ECM port 10000): {"company": NAME} -> a tenant with an ECM key,
 * its ECM thing and its block of ports, whose device and listening ports
 * listen before the reply goes out. */
#include "brink/log.h"
#include "ecm/ecm-internal.h"

void ecm__verb_register(struct ecm_conn *c)
{
	struct brink_ecm *ecm = c->ecm;
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	brink_ecm_key key;
	if (brink_control_ecm_register(ecm->ctl, c->req.company, key, &e, &err) < 0) {
		if (err->code == BRINK_E_CONFLICT)
			ecm__reply(c, false, "Los datos proporcionados no son validos (nombre repetido).");
		else if (err->code == BRINK_E_CAPACITY)
			ecm__reply(c, false, "No hay puertos disponibles para nuevos clientes (%s)",
				   err->msg);
		else
			ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	if (ecm__tenant_open(ecm, &e, &err) < 0) {
		struct brink_error *undo = NULL;
		if (brink_control_unsubscribe(ecm->ctl, e.tenant_id, &undo) < 0)
			brink_error_free(&undo);
		ecm__reply(c, false, "No hay puertos disponibles para acceder al contenedor (%s)",
			   err->msg);
		brink_error_free(&err);
		return;
	}
	log_info("ecm: registered %s (tenant %s, ports %d-%d)", c->req.company, e.tenant_id,
		 e.base_port, e.base_port + BRINK_ECM_BLOCK - 1);
	ecm__reply(c, true, "Perfil de cliente registrado con exito. ID de identificacion: '%s'.",
		   key);
}
