/* Rows of the ECM front end: each ECM tenant's port block and ECM thing. */
#include <stdio.h>

#include "store/store-internal.h"

static void read_row(sqlite3_stmt *s, struct brink_ecm_tenant *e)
{
	const char *svc = (const char *)sqlite3_column_text(s, 3);
	snprintf(e->tenant_id, sizeof(e->tenant_id), "%s", (const char *)sqlite3_column_text(s, 0));
	e->base_port = sqlite3_column_int(s, 1);
	snprintf(e->thing_id, sizeof(e->thing_id), "%s", (const char *)sqlite3_column_text(s, 2));
	snprintf(e->data_service, sizeof(e->data_service), "%s", svc ? svc : "");
}

int brink_store_ecm_insert(struct brink_store *st, const struct brink_ecm_tenant *e,
			   struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_ECM_INSERT];
	sqlite3_bind_text(s, 1, e->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, e->base_port);
	sqlite3_bind_text(s, 3, e->thing_id, -1, SQLITE_STATIC);
	return store__exec(st, ST_ECM_INSERT, err, "ecm tenant");
}

int brink_store_ecm_get(struct brink_store *st, const char *tenant_id,
			struct brink_ecm_tenant *out, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_ECM_GET];
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		read_row(s, out);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "the tenant has no ECM ports");
	else
		ret = store__error(st, err, "reading an ecm tenant");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int brink_store_ecm_list(struct brink_store *st,
			 int (*cb)(void *ctx, const struct brink_ecm_tenant *e), void *ctx,
			 struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_ECM_LIST];
	struct brink_ecm_tenant e;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &e);
		if ((ret = cb(ctx, &e)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "listing ecm tenants");
	sqlite3_reset(s);
	return ret;
}

int brink_store_ecm_set_service(struct brink_store *st, const char *tenant_id,
				const char *service_id, struct brink_error **err)
{
	sqlite3_stmt *s = st->stmt[ST_ECM_SET_SERVICE];
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, service_id, -1, SQLITE_STATIC);
	return store__exec(st, ST_ECM_SET_SERVICE, err, "ecm data service");
}

bool brink_store_ecm_port_taken(struct brink_store *st, int port)
{
	sqlite3_stmt *s = st->stmt[ST_ECM_PORT_TAKEN];
	sqlite3_bind_int(s, 1, port);
	bool taken = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return taken;
}
