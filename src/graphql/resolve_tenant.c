/* Resolvers for users (tenants), things, services, the system and login. */
#include <stdio.h>
#include <stdlib.h>

#include "api/body.h"
#include "control/users.h"
#include "control/vm.h"
#include "graphql/resolve-internal.h"

/* ---- users ---- */

int brink_gql_me(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	(void)p;
	(void)a;
	(void)d;
	return object_copy(ex, o, &c->tenant, sizeof(c->tenant));
}

int brink_gql_get_user(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_tenant t;
	const char *id = arg_str(a, "id");
	(void)p;
	(void)d;
	if (strcmp(id, c->tenant.id) == 0)
		return object_copy(ex, o, &c->tenant, sizeof(c->tenant));
	if (!c->admin) /* someone else: as if it did not exist */
		return gql_exec_fail(ex, "no such user");
	if (brink_control_tenant_get(c->ctl, id, &t, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &t, sizeof(t));
}

static int tenant_add(void *ctx, const struct brink_tenant *t)
{
	return obj_list_add(ctx, t);
}

int brink_gql_get_users(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_tenant)};
	(void)p;
	(void)a;
	(void)d;
	if (!c->admin)
		return gql_exec_fail(ex, "getUsers is for the admin only");
	if (brink_control_tenant_list(c->ctl, tenant_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

int brink_gql_user_admin(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_tenant *u = p;
	struct brink_gql_caller *c = caller(ex);
	(void)a;
	(void)d;
	o->t = GQLV_BOOL;
	o->u.b = c->admin && strcmp(u->id, c->tenant.id) == 0;
	return 0;
}

/* ---- things ---- */

static int thing_add(void *ctx, const struct brink_thing *t)
{
	struct brink_gql_thing gt = {.t = *t};
	return obj_list_add(ctx, &gt);
}

int brink_gql_things(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_thing)};
	(void)p;
	(void)a;
	(void)d;
	if (brink_control_thing_list(c->ctl, c->tenant.id, thing_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

int brink_gql_get_thing(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_gql_thing gt = {0};
	(void)p;
	(void)d;
	if (brink_control_thing_get(c->ctl, c->tenant.id, arg_str(a, "id"), &gt.t, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &gt, sizeof(gt));
}

int brink_gql_delete_thing(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			   struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	(void)p;
	(void)d;
	if (brink_control_thing_delete(c->ctl, c->tenant.id, arg_str(a, "id"), &err) < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

/* ---- services ---- */

struct svc_collect {
	struct obj_list l;
};

/* Copies what a reader sees of a service (under the control plane's lock). */
static void service_copy(struct gql_exec *ex, const struct brink_service_view *v,
			 struct brink_gql_service *s)
{
	const struct brink_service_rec *r = v->rec;
	memset(s, 0, sizeof(*s));
	memcpy(s->id, r->id, sizeof(s->id));
	snprintf(s->name, sizeof(s->name), "%s", r->spec.name);
	s->kind = brink_kind_name(r->spec.kind);
	s->state = brink_state_name(r->state);
	snprintf(s->runtime, sizeof(s->runtime), "%s", r->spec.runtime);
	snprintf(s->reason, sizeof(s->reason), "%s", r->reason);
	s->cpu_min = r->spec.cpu_min;
	s->cpu_max = r->spec.cpu_max;
	s->assigned = v->assigned;
	s->memory_mb = r->spec.memory_mb;
	s->created = r->created;
	s->nports = r->nports;
	memcpy(s->ports, r->ports, sizeof(s->ports));
	s->all_things = r->spec.all_things;
	if (!s->all_things && r->spec.nthings) {
		s->things = gql_exec_alloc(ex, r->spec.nthings * sizeof(brink_id));
		if (s->things) {
			memcpy(s->things, r->spec.things, r->spec.nthings * sizeof(brink_id));
			s->nthings = r->spec.nthings;
		}
	}
	if (r->spec.kind == BRINK_KIND_CUSTOM)
		s->image = gql_exec_strdup(ex, r->spec.image);
	if (r->spec.kind == BRINK_KIND_ANALYZE)
		s->model = gql_exec_strdup(ex, r->spec.model);
}

static void service_add(void *ctx, const struct brink_service_view *v)
{
	struct obj_list *l = ctx;
	struct brink_gql_service s;
	service_copy(l->ex, v, &s);
	obj_list_add(l, &s);
}

int brink_gql_services(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_service)};
	(void)p;
	(void)a;
	(void)d;
	if (brink_control_service_list(c->ctl, c->tenant.id, service_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

/* One service: the lists hold at most one. */
static int one_service(struct gql_exec *ex, struct obj_list *l, struct gql_val *o)
{
	if (l->oom || l->n != 1)
		return gql_exec_fail(ex, "out of memory");
	o->t = GQLV_OBJECT;
	o->u.obj = l->items;
	return 0;
}

int brink_gql_service(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_service)};
	(void)p;
	(void)d;
	if (brink_control_service_get(c->ctl, c->tenant.id, arg_str(a, "id"), service_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return one_service(ex, &l, o);
}

int brink_gql_service_action(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			     struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_service)};
	const char *id = arg_str(a, "id");
	(void)p;
	int rc = d == 0 ? brink_control_service_start(c->ctl, c->tenant.id, id, service_add, &l, &err)
			: brink_control_service_stop(c->ctl, c->tenant.id, id, service_add, &l, &err);
	if (rc < 0)
		return fail_with(ex, &err);
	return one_service(ex, &l, o);
}

int brink_gql_delete_service(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			     struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	(void)p;
	(void)d;
	if (brink_control_service_delete(c->ctl, c->tenant.id, arg_str(a, "id"), &err) < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

/* ServiceInput is the REST body under GraphQL names: it goes through the
 * same parser (api/body.c), so both refuse the same things. */
static json_t *service_body(json_t *in)
{
	static const char *const names[][2] = {
		{"kind", "kind"}, {"name", "name"}, {"memoryMb", "memory_mb"}, {"runtime", "runtime"},
		{"things", "things"}, {"model", "model"}, {"columns", "columns"}, {"mode", "mode"},
		{"batch", "batch"}, {"image", "image"}, {"containerPorts", "container_ports"},
	};
	json_t *body = json_pack("{s:{s:O,s:O}}", "cpu", "min", json_object_get(in, "cpuMin"), "max",
				 json_object_get(in, "cpuMax"));
	for (size_t i = 0; body && i < BRINK_ARRAY_SIZE(names); i++) {
		json_t *v = json_object_get(in, names[i][0]);
		if (v && !json_is_null(v))
			json_object_set(body, names[i][1], v);
	}
	return body;
}

int brink_gql_create_service(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			     struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_service)};
	struct brink_spec spec;
	char msg[256];
	(void)p;
	(void)d;
	json_t *body = service_body(json_object_get(a, "service"));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return gql_exec_fail(ex, "out of memory");
	enum brink_body_status st = brink_body_service(text, strlen(text), &spec, msg, sizeof(msg));
	free(text);
	if (st != BRINK_BODY_OK)
		return gql_exec_fail(ex, "%s", msg);
	if (brink_control_service_create(c->ctl, c->tenant.id, &spec, service_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return one_service(ex, &l, o);
}

int brink_gql_service_ports(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			    struct gql_val *o)
{
	const struct brink_gql_service *s = p;
	(void)a;
	(void)d;
	struct gql_val *items = gql_exec_list(ex, o, s->nports);
	for (size_t i = 0; items && i < s->nports; i++) {
		items[i].t = GQLV_INT;
		items[i].u.i = s->ports[i];
	}
	return 0;
}

int brink_gql_service_ids(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			  struct gql_val *o)
{
	const struct brink_gql_service *s = p;
	(void)a;
	(void)d;
	if (s->all_things) {
		o->t = GQLV_NULL;
		return 0;
	}
	struct gql_val *items = gql_exec_list(ex, o, s->nthings);
	for (size_t i = 0; items && i < s->nthings; i++) {
		items[i].t = GQLV_STRING;
		items[i].u.s = s->things[i];
	}
	return 0;
}

int brink_gql_system(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_system sys;
	struct brink_gql_system out = {0};
	(void)p;
	(void)a;
	(void)d;
	if (brink_control_system(c->ctl, &sys, &err) < 0)
		return fail_with(ex, &err);
	out.capacity = sys.capacity;
	out.assigned = sys.assigned;
	out.sum_min = sys.sum_min;
	out.tenants = c->admin ? sys.tenants : 1;
	out.services = (int64_t)sys.services;
	out.vms_available = brink_control_vm_available(c->ctl, out.vms_reason, sizeof(out.vms_reason));
	return object_copy(ex, o, &out, sizeof(out));
}

/* ---- login ---- */

int brink_gql_login(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_gql_session *s = gql_exec_alloc(ex, sizeof(*s));
	char token[BRINK_SESSION_TOKEN_MAX + 1];
	(void)p;
	(void)d;
	if (!s)
		return gql_exec_fail(ex, "out of memory");
	if (!c->open_session)
		return gql_exec_fail(ex, "sessions are not available here");
	if (brink_control_login(c->ctl, arg_str(a, "name"), arg_str(a, "password"), &s->user, &err) < 0)
		return fail_with(ex, &err);
	if (c->open_session(c->session_ctx, &s->user, token, sizeof(token)) < 0)
		return gql_exec_fail(ex, "cannot open a session (too many?)");
	s->token = gql_exec_strdup(ex, token);
	o->t = GQLV_OBJECT;
	o->u.obj = s;
	return 0;
}
