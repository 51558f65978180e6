/* The control plane's VMs (EPFIOT's Vm, Hostdev and things on VMs): a VM is a
 * libvirt domain defined from a qcow2 overlay of a base image, with a
 * cloud-init seed; it is a unit of the CPU allocator like a service. USB host
 * devices are enumerated from sysfs and passed through to VMs.
 *
 * Conventions are those of control.h: every function is thread-safe, returns
 * 0 or -1 with *err set, and takes the caller's tenant id: another tenant's
 * VM, thing or attached device answers BRINK_E_NOT_FOUND exactly like an id
 * that does not exist. Callbacks get borrowed records under the control
 * plane's lock (render them, do not keep them, do not call back into the
 * control plane); a non-zero return from a callback stops the walk and is
 * returned. When the libvirt driver is unavailable (libvirt absent or
 * unreachable) every call that needs it fails with BRINK_E_UNAVAILABLE and
 * the rest of brink is unaffected; reads of stored VMs still work. */
#ifndef BRINK_CONTROL_VM_H
#define BRINK_CONTROL_VM_H

#include "control/control.h"

#define BRINK_VM_DEVS_MAX 16    /* host devices per VM */
#define BRINK_VM_THINGS_MAX 256 /* things named in one VmInput */
#define BRINK_VM_KEYS_MAX 8     /* SSH public keys in a cloud-init seed */
#define BRINK_VM_KEY_MAX 2048   /* one SSH public key line */
#define BRINK_VM_PASSWORD_MAX 256
#define BRINK_VM_VCPU_MAX 64
#define BRINK_VM_MEMORY_MAX (1024 * 1024) /* MB */

/* EPFIOT's states are RUNNING and POWEROFF; brink adds the others. */
enum brink_vm_state {
	BRINK_VM_POWEROFF,
	BRINK_VM_RUNNING,
	BRINK_VM_PAUSED,
	BRINK_VM_SHUTDOWN, /* ACPI shutdown asked, not finished */
	BRINK_VM_CRASHED,
	BRINK_VM_UNKNOWN,  /* the domain is gone or libvirt is unavailable */
};

/* "RUNNING", "POWEROFF", "PAUSED", "SHUTDOWN", "CRASHED", "UNKNOWN". */
const char *brink_vm_state_name(enum brink_vm_state s);

/* A USB device of the host (EPFIOT's Hostdev). `id` is a small number brink
 * gives the device the first time it sees it (keyed by its sysfs port path)
 * and keeps. bus and device are the kernel's decimal numbers as text. */
struct brink_hostdev {
	int id;
	char port[32];   /* sysfs name, e.g. "1-1.2" */
	char bus[8];     /* "1"; "" when gone */
	char device[8];  /* "5" */
	char vendor[5];  /* idVendor, 4 hex digits */
	char product[5]; /* idProduct */
	char info[256];  /* "vendor:product manufacturer product", printable ASCII */
	bool present;    /* seen in sysfs at the last scan */
	brink_id vm_id;  /* the VM it is attached to, "" when free */
};

/* A VM as readers see it (EPFIOT's Vm plus brink's fields). */
struct brink_vm {
	brink_id id;
	brink_id tenant_id; /* the owner */
	char name[BRINK_NAME_MAX + 1];
	char base[BRINK_IMAGE_MAX + 1]; /* base image name under vm.images_dir */
	int vcpu;
	int memory_mb;
	char ip[64];       /* first IPv4 (else IPv6) address libvirt reports, "" if none */
	enum brink_vm_state state;
	char reason[256];  /* why the last operation failed, "" if none */
	char user[BRINK_NAME_MAX + 1]; /* cloud-init user, "" when none */
	double cpu_min, cpu_max;
	double assigned;   /* cores now; 0 when not running */
	char uuid[37];     /* libvirt's domain uuid */
	int64_t created;   /* unix seconds */
	size_t ndevs;
	int devs[BRINK_VM_DEVS_MAX]; /* host device ids attached */
	size_t nthings;    /* things attached (list them with brink_control_vm_thing_list) */
};

/* VmInput (+ brink's extensions). Strings are borrowed for the call; the
 * password is hashed (yescrypt/sha512crypt with a random salt) and never stored. */
struct brink_vm_spec {
	const char *name;     /* required: brink_name_valid() */
	const char *base;     /* required: a file name under vm.images_dir (no '/', no "..") */
	int vcpu;             /* 0: 1 */
	int memory_mb;        /* 0: 256 */
	const char *user;     /* cloud-init user, NULL or "": none */
	const char *password; /* NULL: no password (login by SSH key only) */
	size_t nkeys;
	const char *const *ssh_keys; /* "ssh-ed25519 AAAA... comment" lines */
	double cpu_min;       /* default 0 */
	double cpu_max;       /* 0: vcpu */
	size_t ndevs;
	const int *devs;      /* host device ids to attach */
	size_t nthings;
	const char *const *things; /* thing ids (the caller's) to attach */
};

/* updateVm: 0 / false means "keep". Devices, when set_devs, become exactly
 * `devs` (attached and detached as needed). vcpu and memory of a running VM
 * take effect at its next power on when libvirt cannot change them live. */
struct brink_vm_update {
	int vcpu;
	int memory_mb;
	bool set_devs;
	size_t ndevs;
	const int *devs;
};

/* One page of vmsConnection (creation order). The cursor of a VM is its id. */
struct brink_vm_page {
	int64_t total;      /* totalCount: all the tenant's VMs */
	bool has_next, has_prev;
	brink_id start, end; /* "" when the page is empty */
};

typedef int (*brink_vm_cb)(void *ctx, const struct brink_vm *vm);
typedef int (*brink_hostdev_cb)(void *ctx, const struct brink_hostdev *d);

/* createVm: defines the VM (state POWEROFF): overlay, seed ISO, domain. *out
 * gets the record. INVALID for a bad name/base/vcpu/memory, NOT_FOUND for an
 * unknown base image, thing or device, CONFLICT when the name is taken (per
 * tenant) or a device belongs to another VM, CAPACITY when cpu_min does not
 * fit, UNAVAILABLE without libvirt. On failure nothing is left behind. */
int brink_control_vm_create(struct brink_control *ctl, const char *tenant_id,
			    const struct brink_vm_spec *spec, struct brink_vm *out,
			    struct brink_error **err);
int brink_control_vm_get(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			 struct brink_vm *out, struct brink_error **err);
/* The tenant's VM with this name (ThingInput.server names a VM). */
int brink_control_vm_get_by_name(struct brink_control *ctl, const char *tenant_id,
				 const char *name, struct brink_vm *out, struct brink_error **err);
/* getVms: every VM of the tenant in creation order. */
int brink_control_vm_list(struct brink_control *ctl, const char *tenant_id, brink_vm_cb cb,
			  void *ctx, struct brink_error **err);
/* vmsConnection(first, after): up to `first` VMs (first < 0: all) after the
 * VM whose id is `after` (NULL or "": from the start; an unknown cursor is
 * INVALID). cb may be NULL (counts only). */
int brink_control_vm_page(struct brink_control *ctl, const char *tenant_id, int first,
			  const char *after, brink_vm_cb cb, void *ctx, struct brink_vm_page *out,
			  struct brink_error **err);
int brink_control_vm_update(struct brink_control *ctl, const char *tenant_id, const char *vm_id,
			    const struct brink_vm_update *up, struct brink_vm *out,
			    struct brink_error **err);

/* powerON: starts the domain (state RUNNING) and applies its CPU share. */
int brink_control_vm_power_on(struct brink_control *ctl, const char *tenant_id,
			      const char *vm_id, struct brink_vm *out, struct brink_error **err);
/* powerOFF: ACPI shutdown; returns at once with the state libvirt reports
 * (SHUTDOWN until the guest complies, POWEROFF after). */
int brink_control_vm_power_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_vm *out, struct brink_error **err);
/* forceOFF: pulls the plug (virDomainDestroy); the VM stays defined. */
int brink_control_vm_force_off(struct brink_control *ctl, const char *tenant_id,
			       const char *vm_id, struct brink_error **err);
/* destroyVM / forceDestroyVM: removes the VM (domain, overlay, seed, record;
 * its devices are released and its things detached). Without `force` a VM
 * that is not off is refused with CONFLICT. */
int brink_control_vm_destroy(struct brink_control *ctl, const char *tenant_id,
			     const char *vm_id, bool force, struct brink_error **err);
/* deleteVm(userID, vmID): an admin removes any user's VM (forced).
 * UNAUTHORIZED unless `admin`; NOT_FOUND unless owner_id owns vm_id. */
int brink_control_vm_admin_delete(struct brink_control *ctl, bool admin, const char *owner_id,
				  const char *vm_id, struct brink_error **err);

/* getUsb: rescans sysfs and lists the host's USB devices that are free or
 * attached to the caller's VMs (an admin sees all). */
int brink_control_usb_list(struct brink_control *ctl, const char *tenant_id, bool admin,
			   brink_hostdev_cb cb, void *ctx, struct brink_error **err);
/* getDev: NOT_FOUND when unknown or attached to another tenant's VM. */
int brink_control_usb_get(struct brink_control *ctl, const char *tenant_id, bool admin, int dev_id,
			  struct brink_hostdev *out, struct brink_error **err);
/* attachDevice: a managed USB hostdev (live too when the VM runs). CONFLICT
 * when the device belongs to another VM; attaching it twice to the same VM
 * succeeds. NOT_FOUND when the device is not present. */
int brink_control_usb_attach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err);
/* detachDevice: NOT_FOUND when the device is not attached to that VM. */
int brink_control_usb_detach(struct brink_control *ctl, const char *tenant_id, int dev_id,
			     const char *vm_id, struct brink_error **err);

/* createThingVm: a new thing of the tenant attached to the VM (key_out gets
 * its key, shown once). CONFLICT when the name is taken. */
int brink_control_vm_thing_create(struct brink_control *ctl, const char *tenant_id,
				  const char *vm_id, const char *name, const char *info,
				  struct brink_thing *out, brink_key key_out,
				  struct brink_error **err);
/* attachThing: attaches (or moves) the tenant's thing to the VM. */
int brink_control_vm_thing_attach(struct brink_control *ctl, const char *tenant_id,
				  const char *thing_id, const char *vm_id, struct brink_error **err);
/* Things attached to the VM, in creation order. */
int brink_control_vm_thing_list(struct brink_control *ctl, const char *tenant_id,
				const char *vm_id, brink_thing_cb cb, void *ctx,
				struct brink_error **err);
/* The LwM2M bootstrap target of a thing attached to a VM: the VM's id and
 * the server URI "coap://<vm-ip>:5683" ("" while the VM has no address).
 * NOT_FOUND when the thing is unknown or attached to no VM. */
int brink_control_thing_vm(struct brink_control *ctl, const char *tenant_id, const char *thing_id,
			   brink_id vm_id_out, char *server_uri, size_t server_uri_len,
			   struct brink_error **err);

/* Whether VMs can be run, and why not ("" when they can). libvirt is
 * connected on the first VM request (or at start when VMs are stored), not
 * before, so an idle brinkd does not load it: this call connects if need be
 * (a failed attempt is retried after 5 s at the earliest). */
bool brink_control_vm_available(struct brink_control *ctl, char *reason, size_t reason_len);

#endif
