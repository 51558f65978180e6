/* The tenant's services as the ECM verbs see them, through the control plane. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecm/services.h"

const char *ecm__type_name(enum brink_kind k)
{
	return k == BRINK_KIND_FORWARD ? "listening" : k == BRINK_KIND_ANALYZE ? "analisis" : "custom";
}

static void copy_view(void *ctx, const struct brink_service_view *v)
{
	struct ecm_service *s = ctx;
	memcpy(s->id, v->rec->id, sizeof(s->id));
	s->kind = v->rec->spec.kind;
	s->state = v->rec->state;
	s->assigned = v->assigned;
	s->nports = v->rec->nports;
	memcpy(s->ports, v->rec->ports, sizeof(s->ports));
	snprintf(s->reason, sizeof(s->reason), "%s", v->rec->reason);
	snprintf(s->model, sizeof(s->model), "%s", v->rec->spec.model);
}

bool ecm__service_get(struct brink_ecm *ecm, const char *tenant_id, const char *id,
		      struct ecm_service *out)
{
	struct brink_error *err = NULL;
	if (!brink_id_valid(id))
		return false;
	if (brink_control_service_get(ecm->ctl, tenant_id, id, copy_view, out, &err) < 0) {
		brink_error_free(&err);
		return false;
	}
	return true;
}

struct by_number {
	int64_t n;
	bool found;
	struct ecm_service *out;
};

static void match_number(void *ctx, const struct brink_service_view *v)
{
	struct by_number *b = ctx;
	if (!b->found && ecm__number(v->rec->id) == b->n) {
		copy_view(b->out, v);
		b->found = true;
	}
}

bool ecm__service_by_number(struct brink_ecm *ecm, const char *tenant_id, int64_t n,
			    struct ecm_service *out)
{
	struct by_number b = {.n = n, .out = out};
	struct brink_error *err = NULL;
	if (brink_control_service_list(ecm->ctl, tenant_id, match_number, &b, &err) < 0)
		brink_error_free(&err);
	return b.found;
}

int ecm__service_create(struct ecm_conn *c, const char *tenant_id, struct brink_spec *spec,
			struct ecm_service *out)
{
	struct brink_error *err = NULL;
	if (brink_control_service_create(c->ecm->ctl, tenant_id, spec, copy_view, out, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return -1;
	}
	if (out->state == BRINK_STATE_RUNNING)
		return 0;
	if (out->state == BRINK_STATE_PENDING)
		return 1; /* its runtime is preparing it (an image to pull) */
	/* nothing half-made: a service that could not start goes away again */
	if (brink_control_service_delete(c->ecm->ctl, tenant_id, out->id, &err) < 0)
		brink_error_free(&err);
	ecm__reply(c, false, "No se pudo arrancar el servicio: %s", out->reason);
	return -1;
}

int ecm__data_port_check(struct ecm_conn *c, const struct brink_ecm_tenant *e,
			 struct ecm_service *cur, bool *exists)
{
	*exists = ecm__service_get(c->ecm, e->tenant_id, e->data_service, cur);
	if (*exists && (cur->state == BRINK_STATE_RUNNING || cur->state == BRINK_STATE_PENDING)) {
		ecm__reply(c, false, "No hay puertos disponibles para acceder al contenedor "
				     "(el servicio %lld los usa)",
			   (long long)ecm__number(cur->id));
		return -1;
	}
	return 0;
}

void ecm__data_port_reply(struct ecm_conn *c, const struct brink_ecm_tenant *e,
			  const struct ecm_service *svc)
{
	struct brink_error *err = NULL;
	if (brink_control_ecm_set_service(c->ecm->ctl, e->tenant_id, svc->id, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	ecm__reply(c, true, "Puedes conectarte al contenedor a traves del puerto %d. El ID del "
			    "servicio es %lld.",
		   e->base_port + 1, (long long)ecm__number(svc->id));
}

int ecm__data_spec(const struct ecm_request *r, const struct brink_ecm_tenant *e,
		   enum brink_kind kind, struct brink_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->kind = kind;
	snprintf(spec->name, sizeof(spec->name), "ecm-%s", ecm__type_name(kind));
	spec->cpu_min = r->cpu_min;
	spec->cpu_max = r->cpu_max;
	spec->things = calloc(1, sizeof(brink_id));
	if (!spec->things)
		return -1;
	memcpy(spec->things[0], e->thing_id, sizeof(brink_id));
	spec->nthings = 1;
	return 0;
}

/* While the runtime prepares the service: ECM answered after its docker
 * pull and run, so the client waits for the reply; so does this connection. */
static void on_pending(uv_timer_t *t)
{
	struct ecm_conn *c = t->data;
	struct ecm_service svc;
	struct brink_error *err = NULL;
	bool found = ecm__service_get(c->ecm, c->tenant_id, c->pending, &svc);
	if (found && svc.state == BRINK_STATE_RUNNING) {
		c->ready(c, &svc);
		return;
	}
	if (found && svc.state == BRINK_STATE_PENDING &&
	    uv_now(c->ecm->loop) - c->pending_since < ECM_PENDING_MAX_MS)
		return;
	if (found && brink_control_service_delete(c->ecm->ctl, c->tenant_id, svc.id, &err) < 0)
		brink_error_free(&err); /* nothing half-made */
	if (brink_id_valid(c->model_id) &&
	    brink_control_model_delete(c->ecm->ctl, c->tenant_id, c->model_id, &err) < 0)
		brink_error_free(&err);
	ecm__reply(c, false, "No se pudo arrancar el servicio: %s",
		   !found ? "it was deleted"
		   : svc.state == BRINK_STATE_PENDING ? "it was not ready in time"
						      : svc.reason);
}

void ecm__await(struct ecm_conn *c, const char *tenant_id, const struct ecm_service *svc,
		void (*ready)(struct ecm_conn *c, const void *svc))
{
	snprintf(c->tenant_id, sizeof(c->tenant_id), "%s", tenant_id);
	memcpy(c->pending, svc->id, sizeof(brink_id));
	c->pending_since = uv_now(c->ecm->loop);
	c->ready = ready;
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, on_pending, ECM_PENDING_POLL_MS, ECM_PENDING_POLL_MS);
}

void ecm__data_port_ready(struct ecm_conn *c, const void *svc)
{
	struct brink_ecm_tenant e;
	struct brink_error *err = NULL;
	if (brink_control_ecm_get(c->ecm->ctl, c->tenant_id, &e, &err) < 0) {
		ecm__reply_error(c, err);
		brink_error_free(&err);
		return;
	}
	ecm__data_port_reply(c, &e, svc);
}
