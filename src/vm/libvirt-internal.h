#ifndef BRINK_RUNTIME_LIBVIRT_INTERNAL_H
#define BRINK_RUNTIME_LIBVIRT_INTERNAL_H

#include <libvirt/libvirt.h>
#include <limits.h>

#include "runtime/libvirt.h"

struct brink_vmrt {
	virConnectPtr conn;
	char uri[256];
	char images_dir[PATH_MAX];
	char vms_dir[PATH_MAX];
	char network[128];
	char virt_type[16];
	brink_id instance;
};

/* libvirt's last error as *err (NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL);
 * returns -1. */
int vmrt__fail(struct brink_error **err, const char *what);
enum brink_vm_state vmrt__map_state(int virt_state);
/* Sets the scheduler parameters among p[0..n) that brink knows for a share
 * of `cores`: cpu_shares (1024 per core), global_period 100 ms and
 * global_quota (QEMU); weight (256 per core: Xen's credit, the test driver). */
void vmrt__fill_sched(void *params, int n, double cores);
void vmrt__seed_path(struct brink_vmrt *rt, const char *id, char *out, size_t len);

/* The plugin's implementations of runtime/libvirt.h (see there), exported to
 * brinkd through brink_vmrt_plugin (plugin.c). */
int vmrt_impl_open(const struct brink_vmrt_config *cfg, struct brink_vmrt **out,
		   struct brink_error **err);
void vmrt_impl_close(struct brink_vmrt *rt);
int vmrt_impl_disks_create(struct brink_vmrt *rt, const char *id, const char *base,
			   const struct brink_vmrt_seed *seed, struct brink_error **err);
void vmrt_impl_disks_remove(struct brink_vmrt *rt, const char *id);
void vmrt_impl_overlay_path(struct brink_vmrt *rt, const char *id, char *out, size_t len);
int vmrt_impl_define(struct brink_vmrt *rt, const struct brink_vmrt_domain *d, char uuid_out[37],
		     struct brink_error **err);
int vmrt_impl_undefine(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
bool vmrt_impl_exists(struct brink_vmrt *rt, const char *uuid);
int vmrt_impl_start(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
int vmrt_impl_shutdown(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
int vmrt_impl_force_off(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
enum brink_vm_state vmrt_impl_state(struct brink_vmrt *rt, const char *uuid);
int vmrt_impl_ip(struct brink_vmrt *rt, const char *uuid, char *ip, size_t len,
		 struct brink_error **err);
int vmrt_impl_set_cpu(struct brink_vmrt *rt, const char *uuid, double cores,
		      struct brink_error **err);
int vmrt_impl_hostdev_live(struct brink_vmrt *rt, const char *uuid,
			   const struct brink_hostdev *dev, bool attach, struct brink_error **err);
int vmrt_impl_list_ids(struct brink_vmrt *rt, void (*cb)(void *ctx, const char *id,
							 const char *uuid),
		       void *ctx, struct brink_error **err);
char *vmrt_impl_domain_xml(const struct brink_vmrt_domain *d, const char *virt_type,
			   const char *overlay, const char *seed, const char *network);
char *vmrt_impl_hostdev_xml(const struct brink_hostdev *dev);
enum brink_vmrt_meta_status vmrt_impl_metadata_parse(const char *xml, size_t len,
						     brink_id id_out, brink_id instance_out);
char *vmrt_impl_user_data(const struct brink_vmrt_seed *seed);
char *vmrt_impl_meta_data(const char *id, const struct brink_vmrt_seed *seed);
int vmrt_impl_password_hash(const char *password, char *out, size_t len,
			    struct brink_error **err);

#endif
