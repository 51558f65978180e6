#include <stdio.h>
#include <string.h>

#include "store/store-internal.h"

static void read_row(sqlite3_stmt *s, struct brink_tenant *t)
{
	const char *cols[3];
	for (int i = 0; i < 3; i++)
		cols[i] = (const char *)sqlite3_column_text(s, i);
	snprintf(t->id, sizeof(t->id), "%s", cols[0] ? cols[0] : "");
	snprintf(t->name, sizeof(t->name), "%s", cols[1] ? cols[1] : "");
	snprintf(t->pw_hash, sizeof(t->pw_hash), "%s", cols[2] ? cols[2] : "");
	t->created = sqlite3_column_int64(s, 3);
}

int brink_store_tenant_by_name(struct brink_store *st, const char *name, struct brink_tenant *out,
			       struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_TENANT_BY_NAME];
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		read_row(s, out);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no such tenant");
	else
		ret = store__error(st, err, "reading a tenant");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int brink_store_tenant_list(struct brink_store *st,
			    int (*cb)(void *ctx, const struct brink_tenant *t), void *ctx,
			    struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_TENANT_LIST];
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct brink_tenant t = {0};
		read_row(s, &t);
		if ((ret = cb(ctx, &t)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "listing tenants");
	sqlite3_reset(s);
	return ret;
}
