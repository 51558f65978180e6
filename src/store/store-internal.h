#ifndef BRINK_STORE_INTERNAL_H
#define BRINK_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/* NULL-terminated; index i migrates from version i to i + 1. */
extern const char *const store__migrations[];

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_TENANT_INSERT,
	ST_KEY_INSERT,
	ST_KEY_DELETE_TENANT,
	ST_TENANT_GET,
	ST_TENANT_BY_KEY,
	ST_TENANT_DELETE,
	ST_TENANT_COUNT,
	ST_THING_INSERT,
	ST_THING_GET,
	ST_THING_BY_KEY,
	ST_THING_LIST,
	ST_THING_DELETE,
	ST_SERVICE_INSERT,
	ST_SERVICE_SET_STATE,
	ST_SERVICE_DELETE,
	ST_SERVICE_LOAD,
	ST_MODEL_INSERT,
	ST_MODEL_GET,
	ST_MODEL_DATA,
	ST_MODEL_LIST,
	ST_MODEL_DELETE,
	/* ecm.c */
	ST_ECM_INSERT,
	ST_ECM_GET,
	ST_ECM_LIST,
	ST_ECM_SET_SERVICE,
	ST_ECM_PORT_TAKEN,
	ST_THING_SET_SEALED,
	ST_THING_REKEY,
	ST_THING_BY_NAMES,
	ST_TENANT_BY_NAME, /* tenant_lookup.c */
	ST_TENANT_LIST,
	ST_MODEL_SET_IMAGE, /* model.c: compiled images */
	ST_MODEL_START_DATA,
	ST__COUNT,
};

struct brink_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	int version;
	int64_t seq; /* creation order for things and services */
	sqlite3_stmt *vm_stmt[16]; /* vm.c's statements, prepared on first use */
};

/* Reports the database's last error as *err (CONFLICT for constraint errors). */
int store__error(struct brink_store *st, struct brink_error **err, const char *what);

/* Runs a prepared statement that returns no rows, then resets it. */
int store__exec(struct brink_store *st, enum store_stmt which, struct brink_error **err,
		const char *what);

/* Service row codec (service.c). */
int store__service_bind(sqlite3_stmt *s, const struct brink_service_rec *rec);
int store__service_read(sqlite3_stmt *s, struct brink_service_rec *rec);

/* vm.c: finalizes its statements (brink_store_close). */
void store__vm_close(struct brink_store *st);

#endif
