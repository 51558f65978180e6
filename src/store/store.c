#include <stdio.h>
#include <string.h>

#include "brink/log.h"
#include "store/store-internal.h"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_TENANT_INSERT] = "INSERT INTO tenants(id, name, pw_hash, created) VALUES (?1, ?2, ?3, ?4)",
	[ST_KEY_INSERT] = "INSERT INTO tenant_keys(hash, tenant_id, created) VALUES (?1, ?2, ?3)",
	[ST_KEY_DELETE_TENANT] = "DELETE FROM tenant_keys WHERE tenant_id = ?1",
	[ST_TENANT_GET] = "SELECT id, name, pw_hash, created FROM tenants WHERE id = ?1",
	[ST_TENANT_BY_KEY] = "SELECT t.id, t.name, t.pw_hash, t.created FROM tenant_keys k"
			     " JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ?1",
	[ST_TENANT_DELETE] = "DELETE FROM tenants WHERE id = ?1",
	[ST_TENANT_COUNT] = "SELECT count(*) FROM tenants",
	[ST_TENANT_BY_NAME] = "SELECT id, name, pw_hash, created FROM tenants WHERE name = ?1",
	[ST_TENANT_LIST] = "SELECT id, name, pw_hash, created FROM tenants ORDER BY created, name",
	[ST_THING_INSERT] = "INSERT INTO things(id, tenant_id, name, info, key_hash, created, seq)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_THING_GET] = "SELECT id, tenant_id, name, info, created, last_seen FROM things"
			 " WHERE tenant_id = ?1 AND id = ?2",
	[ST_THING_BY_KEY] = "SELECT id, tenant_id, name, info, created, last_seen FROM things"
			    " WHERE key_hash = ?1",
	[ST_THING_LIST] = "SELECT id, tenant_id, name, info, created, last_seen FROM things"
			  " WHERE tenant_id = ?1 ORDER BY seq",
	[ST_THING_DELETE] = "DELETE FROM things WHERE tenant_id = ?1 AND id = ?2",
	[ST_SERVICE_INSERT] =
		"INSERT INTO services(id, tenant_id, kind, name, runtime, cpu_min, cpu_max,"
		" memory_mb, all_things, things, model, columns, mode, batch, image,"
		" container_ports, desired, state, reason, created, seq, ports, analysis, restart)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
		" ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
	[ST_SERVICE_SET_STATE] = "UPDATE services SET desired = ?2, state = ?3, reason = ?4"
				 " WHERE id = ?1",
	[ST_SERVICE_DELETE] = "DELETE FROM services WHERE id = ?1",
	[ST_SERVICE_LOAD] =
		"SELECT id, tenant_id, kind, name, runtime, cpu_min, cpu_max, memory_mb,"
		" all_things, things, model, columns, mode, batch, image, container_ports,"
		" desired, state, reason, created, ports, analysis, restart FROM services ORDER BY seq",
	[ST_MODEL_INSERT] = "INSERT INTO models(id, tenant_id, name, format, size, inputs, outputs,"
			    " summary, data, created, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
			    " ?9, ?10, ?11)",
	[ST_MODEL_GET] = "SELECT id, tenant_id, name, format, size, inputs, outputs, summary, created,"
			 " image IS NOT NULL FROM models WHERE tenant_id = ?1 AND id = ?2",
	[ST_MODEL_DATA] = "SELECT data FROM models WHERE tenant_id = ?1 AND id = ?2",
	[ST_MODEL_LIST] = "SELECT id, tenant_id, name, format, size, inputs, outputs, summary, created,"
			  " image IS NOT NULL FROM models WHERE tenant_id = ?1 ORDER BY seq",
	[ST_MODEL_DELETE] = "DELETE FROM models WHERE tenant_id = ?1 AND id = ?2",
	[ST_ECM_INSERT] = "INSERT INTO ecm_tenants(tenant_id, base_port, thing_id) VALUES (?1, ?2, ?3)",
	[ST_ECM_GET] = "SELECT tenant_id, base_port, thing_id, data_service FROM ecm_tenants"
		       " WHERE tenant_id = ?1",
	[ST_ECM_LIST] = "SELECT tenant_id, base_port, thing_id, data_service FROM ecm_tenants"
			" ORDER BY base_port",
	[ST_ECM_SET_SERVICE] = "UPDATE ecm_tenants SET data_service = ?2 WHERE tenant_id = ?1",
	[ST_ECM_PORT_TAKEN] = "SELECT 1 FROM ecm_tenants WHERE base_port <= ?1 AND base_port > ?1 - "
			      "10",
	/* thing keys sealed for DTLS (thing_key.c) */
	[ST_THING_SET_SEALED] = "UPDATE things SET key_sealed = ?2 WHERE id = ?1",
	[ST_THING_REKEY] = "UPDATE things SET key_hash = ?3, key_sealed = ?4"
			   " WHERE tenant_id = ?1 AND id = ?2",
	[ST_THING_BY_NAMES] = "SELECT th.id, th.tenant_id, th.name, th.info, th.created,"
			      " th.last_seen, th.key_sealed FROM things th"
			      " JOIN tenants te ON te.id = th.tenant_id"
			      " WHERE te.name = ?1 AND th.name = ?2",
	/* compiled model images (model.c) */
	[ST_MODEL_SET_IMAGE] = "UPDATE models SET image = ?3 WHERE tenant_id = ?1 AND id = ?2",
	[ST_MODEL_START_DATA] = "SELECT coalesce(image, data), image IS NOT NULL FROM models"
				" WHERE tenant_id = ?1 AND id = ?2",
};

int store__error(struct brink_store *st, struct brink_error **err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return brink_error_make(err, BRINK_E_CONFLICT, "%s: already exists", what);
	return brink_error_make(err, BRINK_E_INTERNAL, "%s: %s", what, sqlite3_errmsg(st->db));
}

int store__exec(struct brink_store *st, enum store_stmt which, struct brink_error **err,
		const char *what)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc = sqlite3_step(s);
	int ret = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store__error(st, err, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int exec_sql(struct brink_store *st, const char *sql, struct brink_error **err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	brink_error_make(err, BRINK_E_INTERNAL, "%s", msg ? msg : "sqlite error");
	sqlite3_free(msg);
	return -1;
}

static int read_int(struct brink_store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	*out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

static int migrate(struct brink_store *st, struct brink_error **err)
{
	int64_t v;
	if (read_int(st, "PRAGMA user_version", &v) < 0)
		return store__error(st, err, "reading the schema version");
	int n = 0;
	while (store__migrations[n])
		n++;
	if (v > n)
		return brink_error_make(err, BRINK_E_INTERNAL,
					"the database has schema %lld, newer than this brinkd (%d)",
					(long long)v, n);
	for (; v < n; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %lld", (long long)v + 1);
		if (exec_sql(st, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		if (exec_sql(st, store__migrations[v], err) < 0 || exec_sql(st, bump, err) < 0) {
			exec_sql(st, "ROLLBACK", NULL);
			return brink_error_wrap(err, "migration %lld", (long long)v + 1);
		}
		if (exec_sql(st, "COMMIT", err) < 0)
			return -1;
		log_info("store: migrated to schema %lld", (long long)v + 1);
	}
	st->version = n;
	return 0;
}

static int prepare_all(struct brink_store *st, struct brink_error **err)
{
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK)
			return store__error(st, err, stmt_sql[i]);
	}
	return 0;
}

int brink_store_open(const char *path, struct brink_store **out, struct brink_error **err)
{
	struct brink_store *st = calloc(1, sizeof(*st));
	if (!st)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		brink_error_make(err, BRINK_E_INTERNAL, "opening %s: %s", path,
				 st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* synchronous=FULL: a change is on disk before we acknowledge it. */
	if (exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 " PRAGMA foreign_keys=ON;", err) < 0 ||
	    migrate(st, err) < 0 || prepare_all(st, err) < 0)
		goto fail;
	int64_t seq = 0;
	read_int(st, "SELECT max(s) FROM (SELECT max(seq) s FROM things UNION ALL"
		     " SELECT max(seq) FROM services UNION ALL SELECT max(seq) FROM models)", &seq);
	st->seq = seq;
	*out = st;
	return 0;
fail:
	brink_error_wrap(err, "store %s", path);
	brink_store_close(st);
	return -1;
}

void brink_store_close(struct brink_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	store__vm_close(st);
	sqlite3_close(st->db);
	free(st);
}

int brink_store_version(struct brink_store *st)
{
	return st->version;
}

int brink_store_begin(struct brink_store *st, struct brink_error **err)
{
	return store__exec(st, ST_BEGIN, err, "begin");
}

int brink_store_commit(struct brink_store *st, struct brink_error **err)
{
	return store__exec(st, ST_COMMIT, err, "commit");
}

void brink_store_rollback(struct brink_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store__exec(st, ST_ROLLBACK, NULL, "rollback");
}

void brink_store_release_memory(struct brink_store *st)
{
	if (st)
		sqlite3_db_release_memory(st->db);
}
