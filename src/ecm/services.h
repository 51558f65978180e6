/* What the ECM verbs need to know of a tenant's services (services.c). */
#ifndef BRINK_ECM_SERVICES_H
#define BRINK_ECM_SERVICES_H

#include "ecm/ecm-internal.h"

struct ecm_service {
	brink_id id;
	enum brink_kind kind;
	enum brink_state state;
	double assigned;
	size_t nports;
	int ports[BRINK_PORTS_MAX];
	char reason[256];
	char model[BRINK_NAME_MAX + 1]; /* analyze: the model's id */
};

/* ECM's word for a kind: listening, analisis, custom. */
const char *ecm__type_name(enum brink_kind k);
/* The tenant's service `id` into *out; false when there is none. */
bool ecm__service_get(struct brink_ecm *ecm, const char *tenant_id, const char *id,
		      struct ecm_service *out);
/* The tenant's service whose ECM number is n; false when there is none. */
bool ecm__service_by_number(struct brink_ecm *ecm, const char *tenant_id, int64_t n,
			    struct ecm_service *out);
/* Creates the service; on success (0) *out is it, running; 1: still
 * pending (its runtime prepares it: an image to pull; see ecm__await). On failure (including a
 * service that was created but did not start, which is then deleted) it
 * replies ECM's error and returns -1. */
int ecm__service_create(struct ecm_conn *c, const char *tenant_id, struct brink_spec *spec,
			struct ecm_service *out);

/* The service behind the tenant's listening port (e->data_service): -1
 * after replying ECM's error when it runs (in ECM its ports were taken);
 * else 0, *exists telling whether there is a stopped one in *cur. */
int ecm__data_port_check(struct ecm_conn *c, const struct brink_ecm_tenant *e,
			 struct ecm_service *cur, bool *exists);
/* Puts svc behind the tenant's listening port and replies ECM's OK. */
void ecm__data_port_reply(struct ecm_conn *c, const struct brink_ecm_tenant *e,
			  const struct ecm_service *svc);
/* A spec with the request's CPU bounds, reading the tenant's ECM thing. */
int ecm__data_spec(const struct ecm_request *r, const struct brink_ecm_tenant *e,
		   enum brink_kind kind, struct brink_spec *spec);

/* Waits (polling, on the loop) until the pending service runs, then calls
 * ready(c, svc) with it (a const struct ecm_service *), which replies; if it
 * fails or takes over ECM_PENDING_MAX_MS it is deleted (with c->model_id's
 * model, if set) and ECM's error goes out. */
void ecm__await(struct ecm_conn *c, const char *tenant_id, const struct ecm_service *svc,
		void (*ready)(struct ecm_conn *c, const void *svc));
/* A ready() for the services behind the listening port. */
void ecm__data_port_ready(struct ecm_conn *c, const void *svc);

#endif
