/* The store's VMs, host devices and things on VMs (conventions of store.h:
 * 0 or -1 with *err; NOT_FOUND, CONFLICT, INTERNAL; not thread-safe). */
#ifndef BRINK_STORE_VM_H
#define BRINK_STORE_VM_H

#include "control/vm.h"
#include "store/store.h"

/* A VM row: the record (state, ip, assigned, devs and nthings are not
 * stored) and whether it should run. */
int brink_store_vm_insert(struct brink_store *st, const struct brink_vm *vm, bool desired,
			  struct brink_error **err);
/* Rewrites vcpu, memory, uuid, desired and reason. */
int brink_store_vm_update(struct brink_store *st, const struct brink_vm *vm, bool desired,
			  struct brink_error **err);
/* Deletes the row: its devices become free, its things detached. */
int brink_store_vm_delete(struct brink_store *st, const char *id, struct brink_error **err);
/* Every VM (all tenants) in creation order. */
int brink_store_vm_load(struct brink_store *st,
			int (*cb)(void *ctx, const struct brink_vm *vm, bool desired), void *ctx,
			struct brink_error **err);

/* Inserts or refreshes the device at d->port (bus, device, ids, info) and
 * sets d->id and d->vm_id from the row. */
int brink_store_hostdev_upsert(struct brink_store *st, struct brink_hostdev *d,
			       struct brink_error **err);
int brink_store_hostdev_get(struct brink_store *st, int id, struct brink_hostdev *out,
			    struct brink_error **err);
/* Every device ever seen, by id (present is false: the caller knows). */
int brink_store_hostdev_list(struct brink_store *st,
			     int (*cb)(void *ctx, const struct brink_hostdev *d), void *ctx,
			     struct brink_error **err);
/* vm_id "" frees the device. */
int brink_store_hostdev_set_vm(struct brink_store *st, int id, const char *vm_id,
			       struct brink_error **err);

/* Attaches (or moves) a thing to a VM. */
int brink_store_thing_vm_set(struct brink_store *st, const char *thing_id, const char *vm_id,
			     struct brink_error **err);
/* The VM a thing is attached to; NOT_FOUND when none. */
int brink_store_thing_vm_get(struct brink_store *st, const char *thing_id, brink_id vm_id_out,
			     struct brink_error **err);
/* The tenant's things attached to the VM, in creation order. */
int brink_store_vm_things(struct brink_store *st, const char *tenant_id, const char *vm_id,
			  int (*cb)(void *ctx, const struct brink_thing *t), void *ctx,
			  struct brink_error **err);
/* How many things each VM has (only VMs with at least one). */
int brink_store_vm_thing_counts(struct brink_store *st,
				void (*cb)(void *ctx, const char *vm_id, int64_t n), void *ctx,
				struct brink_error **err);

#endif
