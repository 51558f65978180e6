/* What every tenant verb shares: the key check, ECM's service numbers and
 * the error replies. */
#include <stdio.h>
#include <string.h>

#include "ecm/ecm-internal.h"

#define UNKNOWN_KEY "El ID provisto no corresponde con ningun cliente registrado"

int ecm__auth(struct ecm_conn *c, const char *key, struct brink_tenant *t,
	      struct brink_ecm_tenant *e)
{
	struct brink_error *err = NULL;
	if (brink_control_ecm_auth(c->ecm->ctl, key, t, e, &err) < 0) {
		if (err->code == BRINK_E_UNAUTHORIZED)
			ecm__reply(c, false, UNKNOWN_KEY);
		else
			ecm__reply_error(c, err);
		brink_error_free(&err);
		return -1;
	}
	if (ecm__tenant_open(c->ecm, e, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return -1;
	}
	return 0;
}

/* brink's ids are 64 random bits; ECM's numbers were ints its clients parse
 * with Python's int(): 63 of the bits, so they stay positive in every JSON
 * library. Lookups are by tenant, so a collision could only be within one. */
int64_t ecm__number(const char *service_id)
{
	return (int64_t)(brink_id_to_u64(service_id) & INT64_MAX);
}

void ecm__reply_error(struct ecm_conn *c, const struct brink_error *err)
{
	switch (err->code) {
	case BRINK_E_CAPACITY:
		ecm__reply(c, false, "No hay espacio suficiente para ejecutar el servicio (%s)",
			   err->msg);
		break;
	case BRINK_E_UNAVAILABLE:
		ecm__reply(c, false, "Servicio no disponible en este gateway: %s", err->msg);
		break;
	case BRINK_E_INVALID:
	case BRINK_E_TOO_LARGE:
		ecm__reply(c, false, "Los datos proporcionados no son validos: %s", err->msg);
		break;
	default:
		ecm__reply(c, false, "Error no controlado: %s", err->msg);
	}
}
