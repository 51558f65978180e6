/* Resolvers for EPFIOT's VMs, host devices and things on VMs. */
#include <stdio.h>
#include <stdlib.h>

#include "control/vm.h"
#include "control/users.h"
#include "graphql/resolve-internal.h"

static int vm_add(void *ctx, const struct brink_vm *vm)
{
	return obj_list_add(ctx, vm);
}

static int hostdev_add(void *ctx, const struct brink_hostdev *d)
{
	return obj_list_add(ctx, d);
}

int brink_gql_get_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_vm vm;
	(void)p;
	(void)d;
	if (brink_control_vm_get(c->ctl, c->tenant.id, arg_str(a, "id"), &vm, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &vm, sizeof(vm));
}

static int list_vms(struct gql_exec *ex, const char *tenant_id, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_vm)};
	if (brink_control_vm_list(c->ctl, tenant_id, vm_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

int brink_gql_get_vms(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)p;
	(void)a;
	(void)d;
	return list_vms(ex, caller(ex)->tenant.id, o);
}

int brink_gql_user_vms(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_tenant *u = p;
	(void)a;
	(void)d;
	return list_vms(ex, u->id, o);
}

/* A connection object: the page, then its VMs (the edges). */
struct conn {
	struct brink_vm_page page;
	struct gql_val edges;
};

int brink_gql_user_vms_connection(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
				  struct gql_val *o)
{
	const struct brink_tenant *u = p;
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_vm)};
	struct conn *cn = gql_exec_alloc(ex, sizeof(*cn));
	json_t *first = json_object_get(a, "first");
	(void)d;
	if (!cn)
		return gql_exec_fail(ex, "out of memory");
	int n = json_is_integer(first) ? (int)json_integer_value(first) : -1;
	if (json_is_integer(first) && n < 0)
		return gql_exec_fail(ex, "first must be 0 or more");
	if (brink_control_vm_page(c->ctl, u->id, n, arg_str(a, "after"), vm_add, &l, &cn->page, &err) < 0)
		return fail_with(ex, &err);
	if (obj_list_finish(&l, &cn->edges) < 0)
		return -1;
	o->t = GQLV_OBJECT;
	o->u.obj = cn;
	return 0;
}

/* edges (d 0) or pageInfo (d 1) of a connection */
int brink_gql_conn_edges(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct conn *cn = p;
	(void)ex;
	(void)a;
	if (d == 1) {
		o->t = GQLV_OBJECT;
		o->u.obj = &cn->page;
		return 0;
	}
	*o = cn->edges; /* an edge is the VM: cursor is its id, node the VM itself */
	return 0;
}

int brink_gql_edge_node(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	(void)ex;
	(void)a;
	(void)d;
	o->t = GQLV_OBJECT;
	o->u.obj = p;
	return 0;
}

int brink_gql_vm_owner(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_vm *vm = p;
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_tenant t;
	(void)a;
	(void)d;
	if (strcmp(vm->tenant_id, c->tenant.id) == 0)
		return object_copy(ex, o, &c->tenant, sizeof(c->tenant));
	if (brink_control_tenant_get(c->ctl, vm->tenant_id, &t, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &t, sizeof(t));
}

int brink_gql_vm_state(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_vm *vm = p;
	(void)ex;
	(void)a;
	(void)d;
	o->t = GQLV_STRING;
	o->u.s = brink_vm_state_name(vm->state);
	return 0;
}

int brink_gql_vm_dev(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_vm *vm = p;
	struct brink_gql_caller *c = caller(ex);
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_hostdev)};
	(void)a;
	(void)d;
	for (size_t i = 0; i < vm->ndevs && i < BRINK_VM_DEVS_MAX; i++) {
		struct brink_hostdev dev;
		struct brink_error *err = NULL;
		if (brink_control_usb_get(c->ctl, vm->tenant_id, c->admin, vm->devs[i], &dev, &err) < 0) {
			brink_error_free(&err); /* gone since: not listed */
			continue;
		}
		obj_list_add(&l, &dev);
	}
	return obj_list_finish(&l, o);
}

static int thing_add(void *ctx, const struct brink_thing *t)
{
	struct brink_gql_thing gt = {.t = *t};
	return obj_list_add(ctx, &gt);
}

int brink_gql_vm_things(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_vm *vm = p;
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_gql_thing)};
	(void)a;
	(void)d;
	if (brink_control_vm_thing_list(c->ctl, vm->tenant_id, vm->id, thing_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

/* ---- host devices ---- */

static int dev_id(struct gql_exec *ex, const char *s, int *out)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : -1;
	if (!s || *end || v < 0 || v > 1000000) {
		/* an unknown id and a malformed one read the same */
		gql_exec_fail(ex, "no such device");
		return -1;
	}
	*out = (int)v;
	return 0;
}

int brink_gql_get_dev(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_hostdev dev;
	int id;
	(void)p;
	(void)d;
	if (dev_id(ex, arg_str(a, "id"), &id) < 0)
		return -1;
	if (brink_control_usb_get(c->ctl, c->tenant.id, c->admin, id, &dev, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &dev, sizeof(dev));
}

int brink_gql_get_usb(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct obj_list l = {.ex = ex, .size = sizeof(struct brink_hostdev)};
	(void)p;
	(void)a;
	(void)d;
	if (brink_control_usb_list(c->ctl, c->tenant.id, c->admin, hostdev_add, &l, &err) < 0)
		return fail_with(ex, &err);
	return obj_list_finish(&l, o);
}

int brink_gql_hostdev_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_hostdev *dev = p;
	(void)ex;
	(void)a;
	(void)d;
	o->t = dev->vm_id[0] ? GQLV_STRING : GQLV_NULL;
	o->u.s = dev->vm_id;
	return 0;
}

/* ---- mutations ---- */

/* The int list field of a VmInput (devIDs) into request memory. */
static int int_list(struct gql_exec *ex, json_t *arr, size_t max, const int **out, size_t *n)
{
	size_t len = json_array_size(arr);
	*n = 0;
	*out = NULL;
	if (len > max)
		return gql_exec_fail(ex, "at most %zu devices", max);
	int *v = gql_exec_alloc(ex, (len + 1) * sizeof(int));
	if (!v)
		return gql_exec_fail(ex, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_t *x = json_array_get(arr, i);
		if (!json_is_integer(x))
			return gql_exec_fail(ex, "devIDs must not hold null");
		v[(*n)++] = (int)json_integer_value(x);
	}
	*out = v;
	return 0;
}

static int str_list(struct gql_exec *ex, json_t *arr, size_t max, const char *what,
		    const char *const **out, size_t *n)
{
	size_t len = json_array_size(arr);
	*n = 0;
	*out = NULL;
	if (len > max)
		return gql_exec_fail(ex, "at most %zu %s", max, what);
	const char **v = gql_exec_alloc(ex, (len + 1) * sizeof(char *));
	if (!v)
		return gql_exec_fail(ex, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (!s)
			return gql_exec_fail(ex, "%s must not hold null", what);
		v[(*n)++] = s;
	}
	*out = v;
	return 0;
}

static int vm_spec(struct gql_exec *ex, json_t *in, struct brink_vm_spec *sp)
{
	json_t *cfg = json_object_get(in, "config");
	memset(sp, 0, sizeof(*sp));
	if (json_array_size(json_object_get(in, "thingIDs")))
		return gql_exec_fail(ex, "brink's thing ids are strings: attach things with 'things' "
				     "(or attachThing)");
	sp->name = arg_str(in, "name");
	sp->base = arg_str(in, "base");
	sp->vcpu = (int)json_integer_value(json_object_get(in, "vcpu"));
	sp->memory_mb = (int)json_integer_value(json_object_get(in, "memory"));
	sp->user = arg_str(cfg, "user");
	sp->password = arg_str(cfg, "password");
	sp->cpu_min = json_number_value(json_object_get(in, "cpuMin"));
	sp->cpu_max = json_number_value(json_object_get(in, "cpuMax"));
	if (int_list(ex, json_object_get(in, "devIDs"), BRINK_VM_DEVS_MAX, &sp->devs, &sp->ndevs) < 0 ||
	    str_list(ex, json_object_get(in, "things"), BRINK_VM_THINGS_MAX, "things", &sp->things,
		     &sp->nthings) < 0 ||
	    str_list(ex, json_object_get(cfg, "sshKeys"), BRINK_VM_KEYS_MAX, "sshKeys", &sp->ssh_keys,
		     &sp->nkeys) < 0)
		return -1;
	return 0;
}

int brink_gql_create_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_vm_spec sp;
	struct brink_vm vm;
	(void)p;
	(void)d;
	if (vm_spec(ex, json_object_get(a, "vm"), &sp) < 0)
		return -1;
	if (brink_control_vm_create(c->ctl, c->tenant.id, &sp, &vm, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &vm, sizeof(vm));
}

int brink_gql_update_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	json_t *in = json_object_get(a, "vm");
	json_t *devs = json_object_get(in, "devIDs");
	struct brink_vm_update up = {
		.vcpu = (int)json_integer_value(json_object_get(in, "vcpu")),
		.memory_mb = (int)json_integer_value(json_object_get(in, "memory")),
		.set_devs = json_is_array(devs),
	};
	struct brink_vm vm;
	const char *id = arg_str(in, "id");
	(void)p;
	(void)d;
	if (!id)
		return gql_exec_fail(ex, "updateVm needs vm.id");
	if (int_list(ex, devs, BRINK_VM_DEVS_MAX, &up.devs, &up.ndevs) < 0)
		return -1;
	if (brink_control_vm_update(c->ctl, c->tenant.id, id, &up, &vm, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &vm, sizeof(vm));
}

int brink_gql_delete_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	(void)p;
	(void)d;
	if (!c->admin)
		return gql_exec_fail(ex, "deleteVm is for the admin only");
	if (brink_control_vm_admin_delete(c->ctl, c->admin, arg_str(a, "userID"), arg_str(a, "vmID"),
					  &err) < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

int brink_gql_vm_power(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_vm vm;
	const char *id = arg_str(a, "vmID");
	int rc;
	(void)p;
	if (d == 2) { /* forceOFF */
		if (brink_control_vm_force_off(c->ctl, c->tenant.id, id, &err) < 0)
			return fail_with(ex, &err);
		return boolean_true(o);
	}
	rc = d == 0 ? brink_control_vm_power_on(c->ctl, c->tenant.id, id, &vm, &err)
		    : brink_control_vm_power_off(c->ctl, c->tenant.id, id, &vm, &err);
	if (rc < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &vm, sizeof(vm));
}

int brink_gql_vm_remove(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	(void)p;
	if (brink_control_vm_destroy(c->ctl, c->tenant.id, arg_str(a, "vmID"), d == 1, &err) < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

int brink_gql_attach_thing(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			   struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	(void)p;
	(void)d;
	if (brink_control_vm_thing_attach(c->ctl, c->tenant.id, arg_str(a, "thingID"),
					  arg_str(a, "vmID"), &err) < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

static int device_op(struct gql_exec *ex, json_t *a, bool attach, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	int id;
	if (dev_id(ex, arg_str(a, "devID"), &id) < 0)
		return -1;
	int rc = attach ? brink_control_usb_attach(c->ctl, c->tenant.id, id, arg_str(a, "vmID"), &err)
			: brink_control_usb_detach(c->ctl, c->tenant.id, id, arg_str(a, "vmID"), &err);
	if (rc < 0)
		return fail_with(ex, &err);
	return boolean_true(o);
}

int brink_gql_attach_device(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			    struct gql_val *o)
{
	(void)p;
	(void)d;
	return device_op(ex, a, true, o);
}

int brink_gql_detach_device(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			    struct gql_val *o)
{
	(void)p;
	(void)d;
	return device_op(ex, a, false, o);
}

static int new_thing(struct gql_exec *ex, json_t *in, const char *vm_id, struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	struct brink_gql_thing gt = {0};
	brink_key key;
	const char *name = arg_str(in, "name"), *info = arg_str(in, "info");
	int rc = vm_id ? brink_control_vm_thing_create(c->ctl, c->tenant.id, vm_id, name, info, &gt.t,
						       key, &err)
		       : brink_control_thing_create(c->ctl, c->tenant.id, name, info, &gt.t, key, &err);
	if (rc < 0)
		return fail_with(ex, &err);
	snprintf(gt.key, sizeof(gt.key), "%s", key);
	return object_copy(ex, o, &gt, sizeof(gt));
}

int brink_gql_create_thing(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			   struct gql_val *o)
{
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	json_t *in = json_object_get(a, "thing");
	const char *server = arg_str(in, "server");
	struct brink_vm vm;
	(void)p;
	(void)d;
	if (!server || !server[0])
		return new_thing(ex, in, NULL, o);
	if (brink_control_vm_get_by_name(c->ctl, c->tenant.id, server, &vm, &err) < 0)
		return fail_with(ex, &err);
	return new_thing(ex, in, vm.id, o);
}

int brink_gql_create_thing_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d,
			      struct gql_val *o)
{
	(void)p;
	(void)d;
	return new_thing(ex, json_object_get(a, "thing"), arg_str(a, "vmID"), o);
}

int brink_gql_thing_vm(struct gql_exec *ex, const void *p, json_t *a, uintptr_t d, struct gql_val *o)
{
	const struct brink_gql_thing *gt = p;
	struct brink_gql_caller *c = caller(ex);
	struct brink_error *err = NULL;
	brink_id vm_id;
	char uri[128];
	struct brink_vm vm;
	(void)a;
	(void)d;
	if (brink_control_thing_vm(c->ctl, gt->t.tenant_id, gt->t.id, vm_id, uri, sizeof(uri), &err) < 0) {
		bool none = err->code == BRINK_E_NOT_FOUND || err->code == BRINK_E_UNAVAILABLE;
		if (none) {
			brink_error_free(&err);
			o->t = GQLV_NULL;
			return 0;
		}
		return fail_with(ex, &err);
	}
	if (brink_control_vm_get(c->ctl, gt->t.tenant_id, vm_id, &vm, &err) < 0)
		return fail_with(ex, &err);
	return object_copy(ex, o, &vm, sizeof(vm));
}
