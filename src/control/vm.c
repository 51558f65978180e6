/* Stubs until the implementation lands: every call answers UNAVAILABLE. */
#include <stdio.h>
#include "control/vm.h"

const char *brink_vm_state_name(enum brink_vm_state s)
{
	static const char *const n[] = {"POWEROFF", "RUNNING", "PAUSED", "SHUTDOWN", "CRASHED", "UNKNOWN"};
	return (unsigned)s <= BRINK_VM_UNKNOWN ? n[s] : "UNKNOWN";
}

int brink_control_vm_create(struct brink_control *ctl, const char *tenant_id,
			    const struct brink_vm_spec *spec, struct brink_vm *out,
			    struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)spec;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_get(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			 struct brink_vm *out, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_get_by_name(struct brink_control *ctl, const char *tenant_id,
				 const char *name, struct brink_vm *out, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)name;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_list(struct brink_control *ctl, const char *tenant_id, brink_vm_cb cb,
			  void *ctx, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)cb;
	(void)ctx;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_page(struct brink_control *ctl, const char *tenant_id, int first,
			  const char *after, brink_vm_cb cb, void *ctx, struct brink_vm_page *out,
			  struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)first;
	(void)after;
	(void)cb;
	(void)ctx;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_update(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			    const struct brink_vm_update *up, struct brink_vm *out,
			    struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)up;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_power_on(struct brink_control *ctl, const char *tenant_id,
			      const char *vm_id, struct brink_vm *out, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_power_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_vm *out, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_force_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_destroy(struct brink_control *ctl, const char *tenant_id,
			     const char *vm_id, bool force, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)force;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_admin_delete(struct brink_control *ctl, bool admin, const char *owner_id,
				  const char *vm_id, struct brink_error **err)
{
	(void)ctl;
	(void)admin;
	(void)owner_id;
	(void)vm_id;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_usb_list(struct brink_control *ctl, const char *tenant_id, bool admin,
			   brink_hostdev_cb cb, void *ctx, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)admin;
	(void)cb;
	(void)ctx;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_usb_get(struct brink_control *ctl, const char *tenant_id, bool admin, int dev_id,
			  struct brink_hostdev *out, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)admin;
	(void)dev_id;
	(void)out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_usb_attach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)dev_id;
	(void)vm_id;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_usb_detach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)dev_id;
	(void)vm_id;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_thing_create(struct brink_control *ctl, const char *tenant_id,
				  const char *vm_id, const char *name, const char *info,
				  struct brink_thing *out, brink_key key_out,
				  struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)name;
	(void)info;
	(void)out;
	(void)key_out;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_thing_attach(struct brink_control *ctl, const char *tenant_id,
				  const char *thing_id, const char *vm_id, struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)thing_id;
	(void)vm_id;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_vm_thing_list(struct brink_control *ctl, const char *tenant_id,
				const char *vm_id, brink_thing_cb cb, void *ctx,
				struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)vm_id;
	(void)cb;
	(void)ctx;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

int brink_control_thing_vm(struct brink_control *ctl, const char *tenant_id, const char *thing_id,
			   brink_id vm_id_out, char *server_uri, size_t server_uri_len,
			   struct brink_error **err)
{
	(void)ctl;
	(void)tenant_id;
	(void)thing_id;
	(void)vm_id_out;
	(void)server_uri;
	(void)server_uri_len;
	return brink_error_make(err, BRINK_E_UNAVAILABLE, "VMs are not implemented yet");
}

bool brink_control_vm_available(struct brink_control *ctl, char *reason, size_t reason_len)
{
	(void)ctl;
	snprintf(reason, reason_len, "not implemented yet");
	return false;
}
