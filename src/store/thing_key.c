/* Sealed thing keys (migration 3): what a DTLS server needs in clear at
 * handshake time, kept encrypted; the store only moves the blobs. */
#include <stdio.h>
#include <string.h>

#include "store/store-internal.h"

int brink_store_thing_set_sealed(struct brink_store *st, const char *id, const uint8_t *sealed,
				 size_t len, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_SET_SEALED];
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, sealed, (int)len, SQLITE_STATIC);
	if (store__exec(st, ST_THING_SET_SEALED, err, "thing key") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %s", id);
	return 0;
}

int brink_store_thing_rekey(struct brink_store *st, const char *tenant_id, const char *id,
			    const uint8_t key_hash[BRINK_KEY_HASH_LEN], const uint8_t *sealed,
			    size_t len, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_REKEY];
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, key_hash, BRINK_KEY_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, sealed, (int)len, SQLITE_STATIC);
	if (store__exec(st, ST_THING_REKEY, err, "thing key") < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return brink_error_make(err, BRINK_E_NOT_FOUND, "no thing with id %s", id);
	return 0;
}

static void read_row(sqlite3_stmt *s, struct brink_thing *t, uint8_t *sealed, size_t *len)
{
	const char *info = (const char *)sqlite3_column_text(s, 3);
	snprintf(t->id, sizeof(t->id), "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(t->tenant_id, sizeof(t->tenant_id), "%s", (const char *)sqlite3_column_text(s, 1));
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(s, 2));
	snprintf(t->info, sizeof(t->info), "%s", info ? info : "");
	t->created = sqlite3_column_int64(s, 4);
	t->last_seen = sqlite3_column_int64(s, 5);
	const void *blob = sqlite3_column_blob(s, 6);
	size_t n = (size_t)sqlite3_column_bytes(s, 6);
	*len = blob && n <= BRINK_SEALED_MAX ? n : 0;
	if (*len)
		memcpy(sealed, blob, *len);
}

int brink_store_thing_by_names(struct brink_store *st, const char *tenant_name,
			       const char *thing_name, struct brink_thing *out,
			       uint8_t sealed[BRINK_SEALED_MAX], size_t *len,
			       struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_THING_BY_NAMES];
	sqlite3_bind_text(s, 1, tenant_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, thing_name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc == SQLITE_ROW)
		read_row(s, out, sealed, len);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no such thing");
	else
		ret = store__error(st, err, "reading a thing");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}
