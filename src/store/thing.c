#include <stdio.h>

#include "store/store-internal.h"

static void read_thing(sqlite3_stmt *s, struct brink_thing *t)
{
	const char *info = (const char *)sqlite3_column_text(s, 3);
	snprintf(t->id, sizeof(t->id), "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(t->tenant_id, sizeof(t->tenant_id), "%s", (const char *)sqlite3_column_text(s, 1));
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(s, 2));
	snprintf(t->info, sizeof(t->info), "%s", info ? info : "");
	t->created = sqlite3_column_int64(s, 4);
	t->last_seen = sqlite3_column_int64(s, 5);
}

int brink_store_thing_insert(struct brink_store *st, const struct brink_thing *t,
			     const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_INSERT];
	sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, t->info, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, key_hash, BRINK_KEY_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, t->created);
	sqlite3_bind_int64(s, 7, st->seq + 1);
	if (store__exec(st, ST_THING_INSERT, err, "thing") < 0)
		return -1;
	st->seq++;
	return 0;
}

int brink_store_thing_get(struct brink_store *st, const char *tenant_id, const char *id,
			  struct brink_thing *out, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_GET];
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW)
		read_thing(s, out);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %s", id);
	else
		ret = store__error(st, err, "reading a thing");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int brink_store_thing_by_key(struct brink_store *st, const uint8_t key_hash[BRINK_KEY_HASH_LEN],
			     struct brink_thing *out, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_BY_KEY];
	sqlite3_bind_blob(s, 1, key_hash, BRINK_KEY_HASH_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW)
		read_thing(s, out);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with that key");
	else
		ret = store__error(st, err, "reading a thing");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int brink_store_thing_list(struct brink_store *st, const char *tenant_id,
			   int (*cb)(void *ctx, const struct brink_thing *t), void *ctx,
			   struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_LIST];
	struct brink_thing t;
	int rc, ret = 0;
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_thing(s, &t);
		if ((ret = cb(ctx, &t)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "listing things");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int brink_store_thing_delete(struct brink_store *st, const char *tenant_id, const char *id,
			     struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_DELETE];
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (store__exec(st, ST_THING_DELETE, err, "thing") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %s", id);
	return 0;
}
