#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store-internal.h"

static void copy_text(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	snprintf(dst, size, "%s", t ? t : "");
}

static int read_tenant(struct brink_store *st, enum store_stmt which, struct brink_tenant *out,
		       struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW) {
		copy_text(out->id, sizeof(out->id), s, 0);
		copy_text(out->name, sizeof(out->name), s, 1);
		copy_text(out->pw_hash, sizeof(out->pw_hash), s, 2);
		out->created = sqlite3_column_int64(s, 3);
	} else if (rc == SQLITE_DONE) {
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no such tenant");
	} else {
		ret = store__error(st, err, "reading a tenant");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int insert_key(struct brink_store *st, const char *tenant_id, const uint8_t *hash,
		      int64_t now, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_KEY_INSERT];
	sqlite3_bind_blob(s, 1, hash, BRINK_KEY_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return store__exec(st, ST_KEY_INSERT, err, "key");
}

int brink_store_tenant_insert(struct brink_store *st, const struct brink_tenant *t,
			      const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err)
{
	if (brink_store_begin(st, err) < 0)
		return -1;
	sqlite3_stmt *s = st->stmt[ST_TENANT_INSERT];
	sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, t->pw_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, t->created);
	if (store__exec(st, ST_TENANT_INSERT, err, "tenant") < 0 ||
	    insert_key(st, t->id, key_hash, t->created, err) < 0 || brink_store_commit(st, err) < 0) {
		brink_store_rollback(st);
		return -1;
	}
	return 0;
}

int brink_store_tenant_get(struct brink_store *st, const char *id, struct brink_tenant *out,
			   struct brink_error **err)
{
	sqlite3_bind_text(st->stmt[ST_TENANT_GET], 1, id, -1, SQLITE_STATIC);
	return read_tenant(st, ST_TENANT_GET, out, err);
}

int brink_store_tenant_by_key(struct brink_store *st, const uint8_t key_hash[BRINK_KEY_HASH_LEN],
			      struct brink_tenant *out, struct brink_error **err)
{
	sqlite3_bind_blob(st->stmt[ST_TENANT_BY_KEY], 1, key_hash, BRINK_KEY_HASH_LEN,
			  SQLITE_STATIC);
	return read_tenant(st, ST_TENANT_BY_KEY, out, err);
}

int brink_store_tenant_set_key(struct brink_store *st, const char *id,
			       const uint8_t key_hash[BRINK_KEY_HASH_LEN], struct brink_error **err)
{
	if (brink_store_begin(st, err) < 0)
		return -1;
	sqlite3_bind_text(st->stmt[ST_KEY_DELETE_TENANT], 1, id, -1, SQLITE_STATIC);
	if (store__exec(st, ST_KEY_DELETE_TENANT, err, "old keys") < 0 ||
	    insert_key(st, id, key_hash, (int64_t)time(NULL), err) < 0 ||
	    brink_store_commit(st, err) < 0) {
		brink_store_rollback(st);
		return -1;
	}
	return 0;
}

int brink_store_tenant_delete(struct brink_store *st, const char *id, struct brink_error **err)
{
	/* keys, things and services go with it (ON DELETE CASCADE) */
	sqlite3_bind_text(st->stmt[ST_TENANT_DELETE], 1, id, -1, SQLITE_STATIC);
	if (store__exec(st, ST_TENANT_DELETE, err, "tenant") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no such tenant");
	return 0;
}

int brink_store_tenant_count(struct brink_store *st, int64_t *out, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_TENANT_COUNT];
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store__error(st, err, "counting tenants");
}
