#include <stdio.h>
#include <string.h>

#include "store/store-internal.h"
#include "store/store-vm.h"

enum vm_stmt {
	VS_VM_INSERT,
	VS_VM_UPDATE,
	VS_VM_DELETE,
	VS_VM_LOAD,
	VS_DEV_UPSERT,
	VS_DEV_GET,
	VS_DEV_LIST,
	VS_DEV_SET_VM,
	VS_THING_SET,
	VS_THING_GET,
	VS_VM_THINGS,
	VS_THING_COUNTS,
	VS__COUNT,
};

#define DEV_COLS "id, port, bus, device, vendor, product, info, coalesce(vm_id, '')"

static const char *const vm_sql[VS__COUNT] = {
	[VS_VM_INSERT] = "INSERT INTO vms(id, tenant_id, name, base, vcpu, memory_mb, user, cpu_min,"
			 " cpu_max, uuid, desired, reason, created)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[VS_VM_UPDATE] = "UPDATE vms SET vcpu = ?2, memory_mb = ?3, uuid = ?4, desired = ?5,"
			 " reason = ?6 WHERE id = ?1",
	[VS_VM_DELETE] = "DELETE FROM vms WHERE id = ?1",
	[VS_VM_LOAD] = "SELECT id, tenant_id, name, base, vcpu, memory_mb, user, cpu_min, cpu_max,"
		       " uuid, desired, reason, created FROM vms ORDER BY rowid",
	[VS_DEV_UPSERT] = "INSERT INTO hostdevs(port, bus, device, vendor, product, info)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(port) DO UPDATE SET"
			  " bus = ?2, device = ?3, vendor = ?4, product = ?5, info = ?6"
			  " RETURNING id, coalesce(vm_id, '')",
	[VS_DEV_GET] = "SELECT " DEV_COLS " FROM hostdevs WHERE id = ?1",
	[VS_DEV_LIST] = "SELECT " DEV_COLS " FROM hostdevs ORDER BY id",
	[VS_DEV_SET_VM] = "UPDATE hostdevs SET vm_id = nullif(?2, '') WHERE id = ?1",
	[VS_THING_SET] = "INSERT INTO thing_vms(thing_id, vm_id) VALUES (?1, ?2)"
			 " ON CONFLICT(thing_id) DO UPDATE SET vm_id = ?2",
	[VS_THING_GET] = "SELECT vm_id FROM thing_vms WHERE thing_id = ?1",
	[VS_VM_THINGS] = "SELECT t.id, t.tenant_id, t.name, t.info, t.created, t.last_seen"
			 " FROM thing_vms v JOIN things t ON t.id = v.thing_id"
			 " WHERE v.vm_id = ?2 AND t.tenant_id = ?1 ORDER BY t.seq",
	[VS_THING_COUNTS] = "SELECT vm_id, count(*) FROM thing_vms GROUP BY vm_id",
};

/* The statement, prepared on first use (the schema exists by then). */
static sqlite3_stmt *stmt(struct brink_store *st, enum vm_stmt which, struct brink_error **err)
{
	_Static_assert(VS__COUNT <= sizeof(st->vm_stmt) / sizeof(st->vm_stmt[0]), "vm_stmt");
	if (!st->vm_stmt[which] &&
	    sqlite3_prepare_v3(st->db, vm_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
			       &st->vm_stmt[which], NULL) != SQLITE_OK) {
		store__error(st, err, vm_sql[which]);
		return NULL;
	}
	return st->vm_stmt[which];
}

void store__vm_close(struct brink_store *st)
{
	for (size_t i = 0; i < VS__COUNT; i++)
		sqlite3_finalize(st->vm_stmt[i]);
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Steps a statement that returns no rows. */
static int exec(struct brink_store *st, sqlite3_stmt *s, const char *what,
		struct brink_error **err)
{
	int rc = sqlite3_step(s);
	int ret = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : store__error(st, err, what);
	done(s);
	return ret;
}

static const char *col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? t : "";
}

int brink_store_vm_insert(struct brink_store *st, const struct brink_vm *vm, bool desired,
			  struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_VM_INSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, vm->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, vm->tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, vm->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, vm->base, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, vm->vcpu);
	sqlite3_bind_int(s, 6, vm->memory_mb);
	sqlite3_bind_text(s, 7, vm->user, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 8, vm->cpu_min);
	sqlite3_bind_double(s, 9, vm->cpu_max);
	sqlite3_bind_text(s, 10, vm->uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 11, desired);
	sqlite3_bind_text(s, 12, vm->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, vm->created);
	return exec(st, s, "vm", err);
}

int brink_store_vm_update(struct brink_store *st, const struct brink_vm *vm, bool desired,
			  struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_VM_UPDATE, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, vm->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, vm->vcpu);
	sqlite3_bind_int(s, 3, vm->memory_mb);
	sqlite3_bind_text(s, 4, vm->uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, desired);
	sqlite3_bind_text(s, 6, vm->reason, -1, SQLITE_STATIC);
	return exec(st, s, "updating a vm", err);
}

int brink_store_vm_delete(struct brink_store *st, const char *id, struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_VM_DELETE, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	return exec(st, s, "deleting a vm", err);
}

static void read_vm(sqlite3_stmt *s, struct brink_vm *vm, bool *desired)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->id, sizeof(vm->id), "%s", col(s, 0));
	snprintf(vm->tenant_id, sizeof(vm->tenant_id), "%s", col(s, 1));
	snprintf(vm->name, sizeof(vm->name), "%s", col(s, 2));
	snprintf(vm->base, sizeof(vm->base), "%s", col(s, 3));
	vm->vcpu = sqlite3_column_int(s, 4);
	vm->memory_mb = sqlite3_column_int(s, 5);
	snprintf(vm->user, sizeof(vm->user), "%s", col(s, 6));
	vm->cpu_min = sqlite3_column_double(s, 7);
	vm->cpu_max = sqlite3_column_double(s, 8);
	snprintf(vm->uuid, sizeof(vm->uuid), "%s", col(s, 9));
	*desired = sqlite3_column_int(s, 10) != 0;
	snprintf(vm->reason, sizeof(vm->reason), "%s", col(s, 11));
	vm->created = sqlite3_column_int64(s, 12);
	vm->state = BRINK_VM_UNKNOWN;
}

int brink_store_vm_load(struct brink_store *st,
			int (*cb)(void *ctx, const struct brink_vm *vm, bool desired), void *ctx,
			struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_VM_LOAD, err);
	int rc, ret = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct brink_vm vm;
		bool desired;
		read_vm(s, &vm, &desired);
		if ((ret = cb(ctx, &vm, desired)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "loading vms");
	done(s);
	return ret;
}

int brink_store_hostdev_upsert(struct brink_store *st, struct brink_hostdev *d,
			       struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_DEV_UPSERT, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, d->port, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, d->bus, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, d->device, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, d->vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, d->product, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, d->info, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		d->id = sqlite3_column_int(s, 0);
		snprintf(d->vm_id, sizeof(d->vm_id), "%s", col(s, 1));
	} else {
		ret = store__error(st, err, "recording a USB device");
	}
	sqlite3_step(s); /* finish the RETURNING statement so it commits */
	done(s);
	return ret;
}

static void read_dev(sqlite3_stmt *s, struct brink_hostdev *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int(s, 0);
	snprintf(d->port, sizeof(d->port), "%s", col(s, 1));
	snprintf(d->bus, sizeof(d->bus), "%s", col(s, 2));
	snprintf(d->device, sizeof(d->device), "%s", col(s, 3));
	snprintf(d->vendor, sizeof(d->vendor), "%s", col(s, 4));
	snprintf(d->product, sizeof(d->product), "%s", col(s, 5));
	snprintf(d->info, sizeof(d->info), "%s", col(s, 6));
	snprintf(d->vm_id, sizeof(d->vm_id), "%s", col(s, 7));
}

int brink_store_hostdev_get(struct brink_store *st, int id, struct brink_hostdev *out,
			    struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_DEV_GET, err);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, id);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		read_dev(s, out);
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "no USB device with id %d", id);
	else
		ret = store__error(st, err, "reading a USB device");
	done(s);
	return ret;
}

int brink_store_hostdev_list(struct brink_store *st,
			     int (*cb)(void *ctx, const struct brink_hostdev *d), void *ctx,
			     struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_DEV_LIST, err);
	int rc, ret = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct brink_hostdev d;
		read_dev(s, &d);
		if ((ret = cb(ctx, &d)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "listing USB devices");
	done(s);
	return ret;
}

int brink_store_hostdev_set_vm(struct brink_store *st, int id, const char *vm_id,
			       struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_DEV_SET_VM, err);
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, id);
	sqlite3_bind_text(s, 2, vm_id, -1, SQLITE_STATIC);
	return exec(st, s, "attaching a USB device", err);
}

int brink_store_thing_vm_set(struct brink_store *st, const char *thing_id, const char *vm_id,
			     struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_THING_SET, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, thing_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, vm_id, -1, SQLITE_STATIC);
	return exec(st, s, "attaching a thing", err);
}

int brink_store_thing_vm_get(struct brink_store *st, const char *thing_id, brink_id vm_id_out,
			     struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_THING_GET, err);
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, thing_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		snprintf(vm_id_out, sizeof(brink_id), "%s", col(s, 0));
	else if (rc == SQLITE_DONE)
		ret = brink_error_make(err, BRINK_E_NOT_FOUND, "thing %s is attached to no VM",
				       thing_id);
	else
		ret = store__error(st, err, "reading a thing's VM");
	done(s);
	return ret;
}

int brink_store_vm_things(struct brink_store *st, const char *tenant_id, const char *vm_id,
			  int (*cb)(void *ctx, const struct brink_thing *t), void *ctx,
			  struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_VM_THINGS, err);
	int rc, ret = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, tenant_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, vm_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct brink_thing t = {0};
		snprintf(t.id, sizeof(t.id), "%s", col(s, 0));
		snprintf(t.tenant_id, sizeof(t.tenant_id), "%s", col(s, 1));
		snprintf(t.name, sizeof(t.name), "%s", col(s, 2));
		snprintf(t.info, sizeof(t.info), "%s", col(s, 3));
		t.created = sqlite3_column_int64(s, 4);
		t.last_seen = sqlite3_column_int64(s, 5);
		if ((ret = cb(ctx, &t)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store__error(st, err, "listing a VM's things");
	done(s);
	return ret;
}

int brink_store_vm_thing_counts(struct brink_store *st,
				void (*cb)(void *ctx, const char *vm_id, int64_t n), void *ctx,
				struct brink_error **err)
{
	sqlite3_stmt *s = stmt(st, VS_THING_COUNTS, err);
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(ctx, col(s, 0), sqlite3_column_int64(s, 1));
	int ret = rc == SQLITE_DONE ? 0 : store__error(st, err, "counting things on VMs");
	done(s);
	return ret;
}
