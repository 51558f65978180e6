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

static void write_strings(struct jsonw *w, const char *base, size_t n, size_t stride)
{
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			jsonw_raw(w, ",");
		jsonw_str(w, base + i * stride);
	}
	jsonw_raw(w, "]");
}

static void write_kind_fields(struct jsonw *w, const struct brink_spec *sp)
{
	if (sp->kind == BRINK_KIND_ANALYZE) {
		jsonw_key(w, "model", false);
		jsonw_str(w, sp->model);
		jsonw_key(w, "columns", false);
		write_strings(w, (const char *)sp->columns, sp->ncolumns, sizeof(*sp->columns));
		jsonw_key(w, "mode", false);
		jsonw_str(w, brink_mode_name(sp->mode));
		jsonw_key(w, "batch", false);
		jsonw_int(w, sp->batch);
	} else if (sp->kind == BRINK_KIND_CUSTOM) {
		jsonw_key(w, "image", false);
		jsonw_str(w, sp->image);
		jsonw_key(w, "container_ports", false);
		jsonw_raw(w, "[");
		for (size_t i = 0; i < sp->nports; i++) {
			if (i)
				jsonw_raw(w, ",");
			jsonw_int(w, sp->container_ports[i]);
		}
		jsonw_raw(w, "]");
	}
}

static void write_str_field(struct jsonw *w, const char *key, const char *value, bool first)
{
	jsonw_key(w, key, first);
	jsonw_str(w, value);
}

void api__service_write(struct jsonw *w, const struct brink_service_view *v)
{
	const struct brink_service_rec *r = v->rec;
	const struct brink_spec *sp = &r->spec;
	write_str_field(w, "id", r->id, true);
	write_str_field(w, "name", sp->name, false);
	write_str_field(w, "kind", brink_kind_name(sp->kind), false);
	write_str_field(w, "state", brink_state_name(r->state), false);
	write_str_field(w, "reason", r->reason, false);
	write_str_field(w, "runtime", sp->runtime, false);
	jsonw_key(w, "cpu", false);
	jsonw_raw(w, "{\"min\":");
	jsonw_real(w, sp->cpu_min);
	jsonw_raw(w, ",\"max\":");
	jsonw_real(w, sp->cpu_max);
	jsonw_raw(w, ",\"assigned\":");
	jsonw_real(w, v->assigned);
	jsonw_raw(w, "},\"memory_mb\":");
	jsonw_int(w, sp->memory_mb);
	jsonw_raw(w, ",\"ports\":[],\"things\":");
	write_strings(w, (const char *)sp->things, sp->nthings, sizeof(*sp->things));
	jsonw_key(w, "all_things", false);
	jsonw_bool(w, sp->all_things);
	jsonw_key(w, "created", false);
	jsonw_int(w, r->created);
	write_kind_fields(w, sp);
	if (v->pid) {
		jsonw_raw(w, ",\"worker\":{\"pid\":");
		jsonw_int(w, v->pid);
		jsonw_raw(w, ",\"cpu\":");
		jsonw_real(w, v->worker_cpu);
		jsonw_raw(w, "}");
	}
}

void api__service_append(void *ctx, const struct brink_service_view *v)
{
	struct api_service_list *list = ctx;
	jsonw_raw(&list->w, list->n++ ? ",{" : "{");
	api__service_write(&list->w, v);
	jsonw_raw(&list->w, "}");
}

void api__service_set(void *ctx, const struct brink_service_view *v)
{
	struct jsonw *w = ctx;
	jsonw_raw(w, "{");
	api__service_write(w, v);
	jsonw_raw(w, "}");
}
