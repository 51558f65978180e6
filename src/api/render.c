#include "api/api-internal.h"

json_t *api__tenant_json(const struct brink_tenant *t)
{
	return json_pack("{s:s,s:s,s:I,s:b}", "id", t->id, "name", t->name, "created",
			 (json_int_t)t->created, "has_password", t->pw_hash[0] != '\0');
}

json_t *api__thing_json(const struct brink_thing *t)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I}", "id", t->id, "name", t->name, "info", t->info,
			 "created", (json_int_t)t->created, "last_seen", (json_int_t)t->last_seen);
}

static json_t *string_array(const char *base, size_t n, size_t stride)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(base + i * stride));
	return a;
}

static void add_kind_fields(json_t *o, const struct brink_spec *sp)
{
	if (sp->kind == BRINK_KIND_ANALYZE) {
		json_object_set_new(o, "model", json_string(sp->model));
		json_object_set_new(o, "columns", string_array((const char *)sp->columns,
							       sp->ncolumns, sizeof(*sp->columns)));
		json_object_set_new(o, "mode", json_string(brink_mode_name(sp->mode)));
		json_object_set_new(o, "batch", json_integer(sp->batch));
	} else if (sp->kind == BRINK_KIND_CUSTOM) {
		json_t *ports = json_array();
		for (size_t i = 0; i < sp->nports; i++)
			json_array_append_new(ports, json_integer(sp->container_ports[i]));
		json_object_set_new(o, "image", json_string(sp->image));
		json_object_set_new(o, "container_ports", ports);
	}
}

json_t *api__service_json(const struct brink_service_view *v)
{
	const struct brink_service_rec *r = v->rec;
	const struct brink_spec *sp = &r->spec;
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:f,s:f,s:f},s:i,s:[],s:o,s:b,s:I}", "id",
			      r->id, "name", sp->name, "kind", brink_kind_name(sp->kind), "state",
			      brink_state_name(r->state), "reason", r->reason, "runtime",
			      sp->runtime, "cpu", "min", sp->cpu_min, "max", sp->cpu_max,
			      "assigned", v->assigned, "memory_mb", sp->memory_mb, "ports",
			      "things",
			      string_array((const char *)sp->things, sp->nthings, sizeof(*sp->things)),
			      "all_things", sp->all_things, "created", (json_int_t)r->created);
	if (o)
		add_kind_fields(o, sp);
	if (o && v->pid)
		json_object_set_new(o, "worker", json_pack("{s:i,s:f}", "pid", v->pid, "cpu",
							   v->worker_cpu));
	return o;
}

void api__service_append(void *ctx, const struct brink_service_view *v)
{
	json_array_append_new(ctx, api__service_json(v));
}

void api__service_set(void *ctx, const struct brink_service_view *v)
{
	*(json_t **)ctx = api__service_json(v);
}
