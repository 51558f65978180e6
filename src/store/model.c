#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

static const char *col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

/* Reads a row of ST_MODEL_GET / ST_MODEL_LIST; -1 when corrupt. */
static int read_model(sqlite3_stmt *s, struct brink_model_rec *m)
{
	snprintf(m->id, sizeof(m->id), "%s", col_text(s, 0));
	snprintf(m->tenant_id, sizeof(m->tenant_id), "%s", col_text(s, 1));
	snprintf(m->name, sizeof(m->name), "%s", col_text(s, 2));
	if (brink_model_format_parse(col_text(s, 3), &m->format) < 0)
		return -1;
	m->size = (uint64_t)sqlite3_column_int64(s, 4);
	m->inputs = (uint32_t)sqlite3_column_int64(s, 5);
	m->outputs = (uint32_t)sqlite3_column_int64(s, 6);
	snprintf(m->summary, sizeof(m->summary), "%s", col_text(s, 7));
	m->created = sqlite3_column_int64(s, 8);
	m->compiled = sqlite3_column_int(s, 9) != 0;
	return 0;
}

static void bind_scope(sqlite3_stmt *s, const char *tenant_id, const char *id)
{
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int brink_store_model_insert(struct brink_store *st, const struct brink_model_rec *m,
			     const void *data, size_t len, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_MODEL_INSERT];
	sqlite3_bind_text(s, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, m->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, brink_model_format_name(m->format), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)len);
	sqlite3_bind_int64(s, 6, m->inputs);
	sqlite3_bind_int64(s, 7, m->outputs);
	sqlite3_bind_text(s, 8, m->summary, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 9, data, len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, m->created);
	sqlite3_bind_int64(s, 11, st->seq + 1);
	if (store__exec(st, ST_MODEL_INSERT, err, "model") < 0) {
		if (err && *err && (*err)->code == BRINK_E_CONFLICT)
			brink_error_make(err, BRINK_E_CONFLICT,
						 "a model named '%s' exists already", m->name);
		return -1;
	}
	st->seq++;
	return 0;
}

int brink_store_model_get(struct brink_store *st, const char *tenant_id, const char *id,
			  struct brink_model_rec *out, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_MODEL_GET];
	bind_scope(s, tenant_id, id);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW && read_model(s, out) < 0)
		ret = brink_error_make(err, BRINK_E_INTERNAL, "model %s: corrupt row", id);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %s", id);
	else if (rc != SQLITE_ROW)
		ret = store__error(st, err, "reading a model");
	done(s);
	return ret;
}

/* Copies column 0 of the row `which` finds for (tenant_id, id) into *out. */
static int read_blob(struct brink_store *st, enum store_stmt which, const char *tenant_id,
		     const char *id, void **out, size_t *len, bool *flag, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[which];
	bind_scope(s, tenant_id, id);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW && flag)
		*flag = sqlite3_column_int(s, 1) != 0;
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		const void *p = sqlite3_column_blob(s, 0);
		void *copy = malloc(n ? n : 1);
		if (!copy)
			ret = brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
		else {
			if (n)
				memcpy(copy, p, n);
			*out = copy;
			*len = n;
		}
	} else if (rc == SQLITE_DONE) {
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %s", id);
	} else {
		ret = store__error(st, err, "reading a model");
	}
	done(s);
	return ret;
}

int brink_store_model_data(struct brink_store *st, const char *tenant_id, const char *id,
			   void **out, size_t *len, struct brink_error **err)
{
	return read_blob(st, ST_MODEL_DATA, tenant_id, id, out, len, NULL, err);
}

int brink_store_model_start_data(struct brink_store *st, const char *tenant_id, const char *id,
				 void **out, size_t *len, bool *compiled, struct brink_error **err)
{
	*compiled = false;
	return read_blob(st, ST_MODEL_START_DATA, tenant_id, id, out, len, compiled, err);
}

int brink_store_model_set_image(struct brink_store *st, const char *tenant_id, const char *id,
				const void *image, size_t len, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_MODEL_SET_IMAGE];
	bind_scope(s, tenant_id, id);
	sqlite3_bind_blob64(s, 3, image, len, SQLITE_STATIC);
	if (store__exec(st, ST_MODEL_SET_IMAGE, err, "model image") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %s", id);
	return 0;
}

int brink_store_model_list(struct brink_store *st, const char *tenant_id,
			   int (*cb)(void *ctx, const struct brink_model_rec *m), void *ctx,
			   struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_MODEL_LIST];
	struct brink_model_rec *m = calloc(1, sizeof(*m));
	int rc, ret = 0;
	if (!m)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_model(s, m) < 0) {
			ret = brink_error_make(err, BRINK_E_INTERNAL, "model %s: corrupt row",
					       col_text(s, 0));
			break;
		}
		if ((ret = cb(ctx, m)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store__error(st, err, "listing models");
	done(s);
	free(m);
	return ret;
}

int brink_store_model_delete(struct brink_store *st, const char *tenant_id, const char *id,
			     struct brink_error **err)
{
	bind_scope(st->stmt[ST_MODEL_DELETE], tenant_id, id);
	if (store__exec(st, ST_MODEL_DELETE, err, "model") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no model with id %s", id);
	return 0;
}
