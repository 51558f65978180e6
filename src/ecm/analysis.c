/* Analysis (ECM port 5005): after the request, ECM's handshake: brink sends
 * the raw bytes "model", the client streams its .h5 file in 1024-byte writes
 * with no length and no end marker and waits. ECM took a read shorter than
 * 1024 bytes as the end (wrong whenever TCP splits or joins writes, or the
 * file is a multiple of 1024 bytes long); brink reads the file's length
 * from its HDF5 superblock and waits for exactly that many bytes (at most
 * ecm.max_model_bytes, each read within ecm.timeout_ms). Then an analyze
 * service with that model, the request's column order and mode, reading the
 * tenant's ECM thing, goes behind the tenant's listening port. */
#include <stdio.h>
#include <string.h>

#include "brink/log.h"
#include "ecm/services.h"

void ecm__verb_analysis(struct ecm_conn *c)
{
	struct brink_tenant t;
	struct brink_ecm_tenant e;
	struct ecm_service cur;
	bool exists;
	if (ecm__auth(c, c->req.id, &t, &e) < 0 || ecm__data_port_check(c, &e, &cur, &exists) < 0)
		return;
	memcpy(c->tenant_id, t.id, sizeof(brink_id));
	c->model_phase = true;
	ecm__send_raw(c, "model", 5);
}

/* The model is in: the analyze service. */
static void create(struct ecm_conn *c)
{
	log_info("ecm: tenant %s sent a %zu-byte model", c->tenant_id, c->model_len);
	/* brink's models come from the model store of the analyze services,
	 * which this gateway does not have yet */
	ecm__reply(c, false, "Servicio no disponible en este gateway: the analysis service needs "
			     "brink's model store, which this build does not have");
}

void ecm__analysis_model_in(struct ecm_conn *c)
{
	if (c->model_size == 0) {
		enum ecm_parse st = brink_ecm_h5_size(c->model, c->model_len, &c->model_size);
		if (st == ECM_PARSE_AGAIN)
			return;
		if (st != ECM_PARSE_OK) {
			ecm__reply(c, false, "Has de proveer un fichero valido: the model is not an "
					     "HDF5 (.h5) file");
			return;
		}
		if (c->model_size > (uint64_t)c->ecm->cfg.ecm_max_model_bytes) {
			ecm__reply(c, false, "El modelo es demasiado grande (maximo %d bytes)",
				   c->ecm->cfg.ecm_max_model_bytes);
			return;
		}
	}
	if (c->model_len < c->model_size)
		return;
	c->model_len = (size_t)c->model_size; /* anything after the file is not the model */
	create(c);
}
