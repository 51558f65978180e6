/* Analysis (ECM port 5005): after the request, ECM's handshake: brink sends
 * the raw bytes "model", the client streams its .h5 file in 1024-byte writes
 * with no length and no end marker and waits. ECM took a read shorter than
 * 1024 bytes as the end (wrong whenever TCP splits or joins writes, or the
 * file is a multiple of 1024 bytes long); brink reads the file's length
 * from its HDF5 superblock and waits for exactly that many bytes (at most
 * ecm.max_model_bytes, each read within ecm.timeout_ms). Then an analyze
 * service with that model, the request's column order and mode, reading the
 * tenant's ECM thing, goes behind the tenant's listening port. The model is
 * checked and stored by brink's model store (a sandboxed brink-worker reads
 * it), on the I/O thread: tens of milliseconds, once per ECM request. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The tenant's model, stored (and checked in the sandbox) by brink's model
 * store under a fresh name. */
static int add_model(struct ecm_conn *c, struct brink_model_rec *m, struct brink_error **err)
{
	char name[32];
	for (int tries = 0;; tries++) {
		snprintf(name, sizeof(name), "ecm-%016" PRIx64, (uint64_t)uv_hrtime() ^ (uint64_t)c);
		if (brink_control_model_add(c->ecm->ctl, c->tenant_id, name, "h5", c->model,
					    c->model_len, m, err) == 0)
			return 0;
		if ((*err)->code != BRINK_E_CONFLICT || tries == 2)
			return -1;
		brink_error_free(err);
	}
}

static int analyze_spec(struct ecm_conn *c, const struct brink_ecm_tenant *e,
			const struct brink_model_rec *m, struct brink_spec *spec)
{
	const struct ecm_request *r = &c->req;
	if (ecm__data_spec(r, e, BRINK_KIND_ANALYZE, spec) < 0 ||
	    !(spec->columns = calloc(r->ncolumns, sizeof(*spec->columns))))
		return -1;
	snprintf(spec->model, sizeof(spec->model), "%s", m->id);
	memcpy(spec->columns, r->columns, r->ncolumns * sizeof(*spec->columns));
	spec->ncolumns = r->ncolumns;
	spec->mode = r->batch ? BRINK_MODE_BATCH : BRINK_MODE_DATUM;
	spec->batch = r->batch ? r->number_values : 1;
	spec->threshold = 0.5; /* the defaults of brink's analyze services */
	spec->alerts = -1;
	return 0;
}

/* The model is in: it goes to brink's model store, then an analyze service
 * with it goes behind the tenant's listening port. */
static void create(struct ecm_conn *c)
{
	struct brink_ecm_tenant e;
	struct brink_model_rec m;
	struct brink_spec spec;
	struct ecm_service svc;
	struct brink_error *err = NULL;
	int rc;
	if (brink_control_ecm_get(c->ecm->ctl, c->tenant_id, &e, &err) < 0 ||
	    add_model(c, &m, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	free(c->model); /* stored: the upload's copy is not needed any more */
	c->model = NULL;
	if (analyze_spec(c, &e, &m, &spec) < 0) {
		brink_spec_free(&spec);
		ecm__reply(c, false, "Error no controlado: out of memory");
	} else if ((rc = ecm__service_create(c, c->tenant_id, &spec, &svc)) == 0) {
		ecm__data_port_reply(c, &e, &svc);
		return;
	} else if (rc == 1) {
		memcpy(c->model_id, m.id, sizeof(brink_id));
		ecm__await(c, c->tenant_id, &svc, ecm__data_port_ready);
		return;
	}
	if (brink_control_model_delete(c->ecm->ctl, c->tenant_id, m.id, &err) < 0)
		brink_error_free(&err); /* nothing half-made */
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
