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
	jsonw_lit(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			jsonw_lit(w, ",");
		jsonw_str(w, base + i * stride);
	}
	jsonw_lit(w, "]");
}

/* An analyze service's labels (none: the defaults), threshold and alerts
 * (null: the default). */
static void write_classes(struct jsonw *w, const struct brink_spec *sp)
{
	jsonw_key(w, "labels", false);
	write_strings(w, (const char *)sp->labels, sp->nlabels, sizeof(sp->labels[0]));
	jsonw_key(w, "threshold", false);
	jsonw_real(w, sp->threshold);
	jsonw_key(w, "alerts", false);
	if (sp->alerts < 0) {
		jsonw_lit(w, "null");
		return;
	}
	jsonw_lit(w, "[");
	for (size_t i = 0, n = 0; i < sp->nlabels; i++)
		if (sp->alerts >> i & 1) {
			if (n++)
				jsonw_lit(w, ",");
			jsonw_str(w, sp->labels[i]);
		}
	jsonw_lit(w, "]");
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
		write_classes(w, sp);
	} else if (sp->kind == BRINK_KIND_CUSTOM) {
		jsonw_key(w, "image", false);
		jsonw_str(w, sp->image);
		if (sp->restart[0]) {
			jsonw_key(w, "restart", false);
			jsonw_str(w, sp->restart);
		}
		jsonw_key(w, "container_ports", false);
		jsonw_lit(w, "[");
		for (size_t i = 0; i < sp->nports; i++) {
			if (i)
				jsonw_lit(w, ",");
			jsonw_int(w, sp->container_ports[i]);
		}
		jsonw_lit(w, "]");
	}
}

/* For values brink itself made and that need no escaping: ids (hex digits)
 * and enum names. */
#define write_plain(w, prefix, value)                                                              \
	do {                                                                                       \
		jsonw_lit(w, prefix);                                                              \
		jsonw_raw(w, value);                                                               \
		jsonw_lit(w, "\"");                                                                \
	} while (0)

/* The part of a service that never changes after creation. */
static void write_spec(struct jsonw *w, const struct brink_service_rec *r)
{
	const struct brink_spec *sp = &r->spec;
	write_plain(w, "\"id\":\"", r->id);
	jsonw_lit(w, ",\"name\":");
	jsonw_str(w, sp->name);
	write_plain(w, ",\"kind\":\"", brink_kind_name(sp->kind));
	jsonw_lit(w, ",\"runtime\":");
	jsonw_str(w, sp->runtime);
	jsonw_lit(w, ",\"memory_mb\":");
	jsonw_int(w, sp->memory_mb);
	jsonw_lit(w, ",\"ports\":[");
	for (size_t i = 0; i < r->nports; i++) {
		if (i)
			jsonw_lit(w, ",");
		jsonw_int(w, r->ports[i]);
	}
	jsonw_lit(w, "],\"things\":");
	write_strings(w, (const char *)sp->things, sp->nthings, sizeof(*sp->things));
	if (sp->all_things)
		jsonw_lit(w, ",\"all_things\":true,\"created\":");
	else
		jsonw_lit(w, ",\"all_things\":false,\"created\":");
	jsonw_int(w, r->created);
	write_kind_fields(w, sp);
	jsonw_lit(w, ",\"cpu\":{\"min\":");
	jsonw_real(w, sp->cpu_min);
	jsonw_lit(w, ",\"max\":");
	jsonw_real(w, sp->cpu_max);
}

/* Writes the spec part from the service's cache, filling the cache first. */
static void write_cached_spec(struct jsonw *w, const struct brink_service_view *v)
{
	if (!v->cache->text) {
		struct jsonw spec = {0};
		write_spec(&spec, v->rec);
		v->cache->text = jsonw_take(&spec, &v->cache->len);
	}
	if (v->cache->text)
		jsonw_mem(w, v->cache->text, v->cache->len);
	else
		write_spec(w, v->rec);
}

void api__service_write(struct jsonw *w, const struct brink_service_view *v)
{
	const struct brink_service_rec *r = v->rec;
	write_cached_spec(w, v);
	jsonw_lit(w, ",\"assigned\":");
	jsonw_real(w, v->assigned);
	write_plain(w, "},\"state\":\"", brink_state_name(r->state));
	jsonw_lit(w, ",\"reason\":");
	jsonw_str(w, r->reason);
	if (v->progress && v->progress[0]) {
		jsonw_lit(w, ",\"progress\":");
		jsonw_str(w, v->progress);
		jsonw_lit(w, ",\"progress_seq\":");
		jsonw_int(w, v->progress_seq);
	}
	if (v->has_usage) {
		jsonw_lit(w, ",\"usage\":{\"cpu_ns\":");
		jsonw_int(w, (int64_t)v->cpu_usage_ns);
		jsonw_lit(w, ",\"memory_bytes\":");
		jsonw_int(w, (int64_t)v->memory_bytes);
		jsonw_lit(w, ",\"net_rx_bytes\":");
		jsonw_int(w, (int64_t)v->net_rx_bytes);
		jsonw_lit(w, ",\"net_tx_bytes\":");
		jsonw_int(w, (int64_t)v->net_tx_bytes);
		jsonw_lit(w, "}");
	}
	if (v->pid) {
		jsonw_lit(w, ",\"worker\":{\"pid\":");
		jsonw_int(w, v->pid);
		jsonw_lit(w, ",\"cpu\":");
		if (v->worker_cpu >= 0)
			jsonw_real(w, v->worker_cpu);
		else
			jsonw_lit(w, "null"); /* not acknowledged yet */
		jsonw_lit(w, ",\"cpu_seconds\":");
		jsonw_real(w, (double)v->cpu_usage_ns / 1e9);
		jsonw_lit(w, "}");
	}
	if (v->has_stats) {
		jsonw_lit(w, ",\"analysis\":{\"readings\":");
		jsonw_int(w, (int64_t)v->readings);
		jsonw_lit(w, ",\"results\":");
		jsonw_int(w, (int64_t)v->results);
		jsonw_lit(w, ",\"skipped_missing\":");
		jsonw_int(w, (int64_t)v->skipped_missing);
		jsonw_lit(w, ",\"skipped_bad\":");
		jsonw_int(w, (int64_t)v->skipped_bad);
		jsonw_lit(w, "}");
	}
}

void api__service_append(void *ctx, const struct brink_service_view *v)
{
	struct api_service_list *list = ctx;
	jsonw_raw(&list->w, list->n++ ? ",{" : "{");
	api__service_write(&list->w, v);
	jsonw_lit(&list->w, "}");
}

void api__service_set(void *ctx, const struct brink_service_view *v)
{
	struct jsonw *w = ctx;
	jsonw_lit(w, "{");
	api__service_write(w, v);
	jsonw_lit(w, "}");
}
