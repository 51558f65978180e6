#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "store/store-internal.h"

/* Arrays (things, columns, ports) are kept as JSON text in their column. */
static char *ids_json(const brink_id *ids, size_t n, size_t stride)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string((const char *)ids + i * stride));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static char *ports_json(const int *ports, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ports[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* An analyze service's classes: {"labels":[...],"threshold":T,"alerts":MASK} */
static char *analysis_json(const struct brink_spec *sp)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < sp->nlabels; i++)
		json_array_append_new(labels, json_string(sp->labels[i]));
	json_t *o = json_pack("{s:o,s:f,s:I}", "labels", labels, "threshold", sp->threshold,
			      "alerts", (json_int_t)sp->alerts);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void read_analysis(const char *text, struct brink_spec *sp)
{
	json_t *o = json_loads(text, 0, NULL);
	json_t *labels = json_object_get(o, "labels");
	size_t n = json_array_size(labels);
	sp->nlabels = 0;
	sp->labels = n ? calloc(n < BRINK_LABELS_MAX ? n : BRINK_LABELS_MAX, sizeof(*sp->labels))
		       : NULL;
	for (size_t i = 0; sp->labels && i < n && i < BRINK_LABELS_MAX; i++)
		snprintf(sp->labels[sp->nlabels++], sizeof(sp->labels[0]), "%s",
			 json_string_value(json_array_get(labels, i)) ?: "");
	json_t *t = json_object_get(o, "threshold");
	sp->threshold = json_is_number(t) ? json_number_value(t) : 0.5;
	json_t *a = json_object_get(o, "alerts");
	sp->alerts = json_is_integer(a) ? (int64_t)json_integer_value(a) : -1;
	json_decref(o);
}

static void bind_text_owned(sqlite3_stmt *s, int i, char *text)
{
	sqlite3_bind_text(s, i, text ? text : "[]", -1, text ? free : SQLITE_STATIC);
}

int store__service_bind(sqlite3_stmt *s, const struct brink_service_rec *rec)
{
	const struct brink_spec *sp = &rec->spec;
	sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rec->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, brink_kind_name(sp->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, sp->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, sp->runtime, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 6, sp->cpu_min);
	sqlite3_bind_double(s, 7, sp->cpu_max);
	sqlite3_bind_int(s, 8, sp->memory_mb);
	sqlite3_bind_int(s, 9, sp->all_things);
	bind_text_owned(s, 10, ids_json(sp->things, sp->nthings, sizeof(*sp->things)));
	sqlite3_bind_text(s, 11, sp->model, -1, SQLITE_STATIC);
	bind_text_owned(s, 12, ids_json((const brink_id *)sp->columns, sp->ncolumns,
					sizeof(*sp->columns)));
	sqlite3_bind_text(s, 13, brink_mode_name(sp->mode), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 14, sp->batch);
	sqlite3_bind_text(s, 15, sp->image, -1, SQLITE_STATIC);
	bind_text_owned(s, 16, ports_json(sp->container_ports, sp->nports));
	bind_text_owned(s, 22, ports_json(rec->ports, rec->nports));
	sqlite3_bind_text(s, 17, rec->desired_running ? "running" : "stopped", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 18, brink_state_name(rec->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 19, rec->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 20, rec->created);
	bind_text_owned(s, 23, analysis_json(sp));
	sqlite3_bind_text(s, 24, sp->restart, -1, SQLITE_STATIC);
	return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

/* Reads a JSON array of strings into `count` slots of `width` bytes. */
static int read_strings(const char *text, void **out, size_t *count, size_t width, size_t max)
{
	json_t *a = json_loads(text, 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	*out = NULL;
	*count = 0;
	if (n > max || (n && !(*out = calloc(n, width)))) {
		json_decref(a);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		snprintf((char *)*out + i * width, width, "%s",
			 json_string_value(json_array_get(a, i)) ?: "");
	*count = n;
	json_decref(a);
	return 0;
}

static size_t read_ports(const char *text, int ports[BRINK_PORTS_MAX])
{
	json_t *a = json_loads(text, 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0, count = 0;
	for (size_t i = 0; i < n && i < BRINK_PORTS_MAX; i++)
		ports[count++] = (int)json_integer_value(json_array_get(a, i));
	json_decref(a);
	return count;
}

int store__service_read(sqlite3_stmt *s, struct brink_service_rec *rec)
{
	struct brink_spec *sp = &rec->spec;
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->id, sizeof(rec->id), "%s", col_text(s, 0));
	snprintf(rec->tenant_id, sizeof(rec->tenant_id), "%s", col_text(s, 1));
	if (brink_kind_parse(col_text(s, 2), &sp->kind) < 0 ||
	    brink_mode_parse(col_text(s, 12), &sp->mode) < 0 ||
	    brink_state_parse(col_text(s, 17), &rec->state) < 0)
		return -1;
	snprintf(sp->name, sizeof(sp->name), "%s", col_text(s, 3));
	snprintf(sp->runtime, sizeof(sp->runtime), "%s", col_text(s, 4));
	sp->cpu_min = sqlite3_column_double(s, 5);
	sp->cpu_max = sqlite3_column_double(s, 6);
	sp->memory_mb = sqlite3_column_int(s, 7);
	sp->all_things = sqlite3_column_int(s, 8);
	snprintf(sp->model, sizeof(sp->model), "%s", col_text(s, 10));
	sp->batch = sqlite3_column_int(s, 13);
	snprintf(sp->image, sizeof(sp->image), "%s", col_text(s, 14));
	sp->nports = read_ports(col_text(s, 15), sp->container_ports);
	rec->nports = read_ports(col_text(s, 20), rec->ports);
	rec->desired_running = strcmp(col_text(s, 16), "running") == 0;
	snprintf(rec->reason, sizeof(rec->reason), "%s", col_text(s, 18));
	rec->created = sqlite3_column_int64(s, 19);
	read_analysis(col_text(s, 21), sp);
	snprintf(sp->restart, sizeof(sp->restart), "%s", col_text(s, 22));
	if (read_strings(col_text(s, 9), (void **)&sp->things, &sp->nthings, sizeof(brink_id),
			 BRINK_SERVICE_THINGS_MAX) < 0 ||
	    read_strings(col_text(s, 11), (void **)&sp->columns, &sp->ncolumns,
			 sizeof(*sp->columns), BRINK_COLUMNS_MAX) < 0) {
		brink_spec_free(sp);
		return -1;
	}
	return 0;
}

int brink_store_service_insert(struct brink_store *st, const struct brink_service_rec *rec,
			       struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_SERVICE_INSERT];
	store__service_bind(s, rec);
	sqlite3_bind_int64(s, 21, st->seq + 1);
	if (store__exec(st, ST_SERVICE_INSERT, err, "service") < 0)
		return -1;
	st->seq++;
	return 0;
}

int brink_store_service_set_state(struct brink_store *st, const char *id, bool desired_running,
				  enum brink_state state, const char *reason,
				  struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_SERVICE_SET_STATE];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, desired_running ? "running" : "stopped", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, brink_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, reason ? reason : "", -1, SQLITE_STATIC);
	return store__exec(st, ST_SERVICE_SET_STATE, err, "service state");
}

int brink_store_service_delete(struct brink_store *st, const char *id, struct brink_error **err)
{
	sqlite3_bind_text(st->stmt[ST_SERVICE_DELETE], 1, id, -1, SQLITE_STATIC);
	if (store__exec(st, ST_SERVICE_DELETE, err, "service") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no service with id %s", id);
	return 0;
}

int brink_store_service_load(struct brink_store *st,
			     int (*cb)(void *ctx, const struct brink_service_rec *s), void *ctx,
			     struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_SERVICE_LOAD];
	struct brink_service_rec rec;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store__service_read(s, &rec) < 0) {
			ret = brink_error_make(err, BRINK_E_INTERNAL, "service %s: corrupt row",
					       col_text(s, 0));
			break;
		}
		ret = cb(ctx, &rec);
		brink_spec_free(&rec.spec);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "loading services");
	sqlite3_reset(s);
	return ret;
}
