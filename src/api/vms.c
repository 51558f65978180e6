/* REST view of VMs and USB devices, for scripts and the CLI (GraphQL is the
 * main API for them): /v1/vms, /v1/vms/{id}[/start|/stop|/off|/things|
 * /attach-thing], /v1/usb, /v1/usb/{id}/attach|detach. */
#include <stdlib.h>
#include <string.h>

#include "api/api-internal.h"
#include "api/vm-body.h"
#include "control/vm.h"

static void reply_failure(struct api_request *rq, struct brink_error *err)
{
	api__reply_error(rq, err);
	brink_error_free(&err);
}

static void reply_bad_body(struct api_request *rq, const char *msg)
{
	api__reply_errorf(rq, 400, "invalid_request", "%s", msg);
}


static json_t *vm_json(const struct brink_vm *vm)
{
	json_t *devs = json_array();
	for (size_t i = 0; i < vm->ndevs; i++)
		json_array_append_new(devs, json_integer(vm->devs[i]));
	return json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:{s:f,s:f,s:f},s:s,s:I,s:o,s:I,s:s}",
			 "id", vm->id, "name", vm->name, "base", vm->base, "vcpu", vm->vcpu,
			 "memory", vm->memory_mb, "ip", vm->ip, "state",
			 brink_vm_state_name(vm->state), "user", vm->user, "cpu", "min",
			 vm->cpu_min, "max", vm->cpu_max, "assigned", vm->assigned, "uuid",
			 vm->uuid, "created", (json_int_t)vm->created, "devices", devs, "things",
			 (json_int_t)vm->nthings, "reason", vm->reason);
}

static json_t *hostdev_json(const struct brink_hostdev *d)
{
	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s?}", "id", d->id, "port", d->port,
			 "bus", d->bus, "device", d->device, "vendor", d->vendor, "product",
			 d->product, "info", d->info, "present", d->present, "vm",
			 d->vm_id[0] ? d->vm_id : NULL);
}

void api__vm_create(struct api_request *rq)
{
	struct brink_vm_body *b = NULL;
	struct brink_vm_spec sp;
	struct brink_vm vm;
	struct brink_error *err = NULL;
	char msg[256];
	if (brink_body_vm(rq->body, rq->body_len, &b, msg, sizeof(msg)) != BRINK_BODY_OK)
		return reply_bad_body(rq, msg);
	brink_vm_body_spec(b, &sp);
	int rc = brink_control_vm_create(rq->api->ctl, rq->tenant.id, &sp, &vm, &err);
	explicit_bzero(b->password, sizeof(b->password));
	free(b);
	if (rc < 0)
		return reply_failure(rq, err);
	api__reply_json(rq, 201, vm_json(&vm));
}

static int append_vm(void *ctx, const struct brink_vm *vm)
{
	return json_array_append_new(ctx, vm_json(vm));
}

void api__vm_list(struct api_request *rq)
{
	struct brink_error *err = NULL;
	json_t *arr = json_array();
	if (brink_control_vm_list(rq->api->ctl, rq->tenant.id, append_vm, arr, &err) < 0) {
		json_decref(arr);
		return reply_failure(rq, err);
	}
	api__reply_json(rq, 200, json_pack("{s:o}", "vms", arr));
}

static void reply_vm(struct api_request *rq, int rc, const struct brink_vm *vm,
		     struct brink_error *err)
{
	if (rc < 0)
		return reply_failure(rq, err);
	api__reply_json(rq, 200, vm_json(vm));
}

void api__vm_get(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_vm vm;
	int rc = brink_control_vm_get(rq->api->ctl, rq->tenant.id, rq->param, &vm, &err);
	reply_vm(rq, rc, &vm, err);
}

void api__vm_update(struct api_request *rq)
{
	struct brink_vm_update_body b;
	struct brink_error *err = NULL;
	struct brink_vm vm;
	char msg[256];
	if (brink_body_vm_update(rq->body, rq->body_len, &b, msg, sizeof(msg)) != BRINK_BODY_OK)
		return reply_bad_body(rq, msg);
	int rc = brink_control_vm_update(rq->api->ctl, rq->tenant.id, rq->param, &b.up, &vm, &err);
	reply_vm(rq, rc, &vm, err);
}

void api__vm_delete(struct api_request *rq)
{
	struct brink_error *err = NULL;
	const char *force = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "force");
	bool forced = force && !strcmp(force, "true");
	if (brink_control_vm_destroy(rq->api->ctl, rq->tenant.id, rq->param, forced, &err) < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}

void api__vm_start(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_vm vm;
	int rc = brink_control_vm_power_on(rq->api->ctl, rq->tenant.id, rq->param, &vm, &err);
	reply_vm(rq, rc, &vm, err);
}

void api__vm_stop(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_vm vm;
	int rc = brink_control_vm_power_off(rq->api->ctl, rq->tenant.id, rq->param, &vm, &err);
	reply_vm(rq, rc, &vm, err);
}

void api__vm_off(struct api_request *rq)
{
	struct brink_error *err = NULL;
	struct brink_vm vm;
	int rc = brink_control_vm_force_off(rq->api->ctl, rq->tenant.id, rq->param, &err);
	if (rc == 0)
		rc = brink_control_vm_get(rq->api->ctl, rq->tenant.id, rq->param, &vm, &err);
	reply_vm(rq, rc, &vm, err);
}

static int append_thing(void *ctx, const struct brink_thing *t)
{
	return json_array_append_new(ctx, api__thing_json(t));
}

void api__vm_things(struct api_request *rq)
{
	struct brink_error *err = NULL;
	json_t *arr = json_array();
	if (brink_control_vm_thing_list(rq->api->ctl, rq->tenant.id, rq->param, append_thing, arr,
					&err) < 0) {
		json_decref(arr);
		return reply_failure(rq, err);
	}
	api__reply_json(rq, 200, json_pack("{s:o}", "things", arr));
}

void api__vm_thing_create(struct api_request *rq)
{
	struct brink_thing_body b;
	struct brink_thing t;
	struct brink_error *err = NULL;
	brink_key key;
	char msg[256];
	if (brink_body_thing(rq->body, rq->body_len, &b, msg, sizeof(msg)) != BRINK_BODY_OK)
		return reply_bad_body(rq, msg);
	if (brink_control_vm_thing_create(rq->api->ctl, rq->tenant.id, rq->param, b.name, b.info,
					  &t, key, &err) < 0)
		return reply_failure(rq, err);
	json_t *o = api__thing_json(&t);
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(o, "vm", json_string(rq->param));
	api__reply_json(rq, 201, o);
}

void api__vm_thing_attach(struct api_request *rq)
{
	struct brink_error *err = NULL;
	brink_id thing;
	char msg[256];
	if (brink_body_id(rq->body, rq->body_len, "thing", thing, msg, sizeof(msg)) != BRINK_BODY_OK)
		return reply_bad_body(rq, msg);
	if (brink_control_vm_thing_attach(rq->api->ctl, rq->tenant.id, thing, rq->param, &err) < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}

static int append_dev(void *ctx, const struct brink_hostdev *d)
{
	return json_array_append_new(ctx, hostdev_json(d));
}

void api__usb_list(struct api_request *rq)
{
	struct brink_error *err = NULL;
	json_t *arr = json_array();
	if (brink_control_usb_list(rq->api->ctl, rq->tenant.id, false, append_dev, arr, &err) < 0) {
		json_decref(arr);
		return reply_failure(rq, err);
	}
	api__reply_json(rq, 200, json_pack("{s:o}", "devices", arr));
}

/* {id} of /v1/usb/{id}/...: a positive decimal number. */
static int dev_param(struct api_request *rq)
{
	char *end;
	long v = strtol(rq->param, &end, 10);
	return (*end || end == rq->param || v < 1 || v > 1000000) ? -1 : (int)v;
}

static void usb_change(struct api_request *rq, bool attach)
{
	struct brink_error *err = NULL;
	brink_id vm;
	char msg[256];
	int dev = dev_param(rq);
	if (dev < 0)
		return api__reply_errorf(rq, 404, "not_found", "no USB device with id %.32s",
					 rq->param);
	if (brink_body_id(rq->body, rq->body_len, "vm", vm, msg, sizeof(msg)) != BRINK_BODY_OK)
		return reply_bad_body(rq, msg);
	int rc = attach ? brink_control_usb_attach(rq->api->ctl, rq->tenant.id, dev, vm, &err)
			: brink_control_usb_detach(rq->api->ctl, rq->tenant.id, dev, vm, &err);
	if (rc < 0)
		return reply_failure(rq, err);
	api__reply_no_content(rq);
}

void api__usb_attach(struct api_request *rq)
{
	usb_change(rq, true);
}

void api__usb_detach(struct api_request *rq)
{
	usb_change(rq, false);
}
