/* brink-libvirt.so: the table brinkd's loader (src/runtime/libvirt-loader.c)
 * looks up after dlopen. */
#include "vm/libvirt-internal.h"

extern const struct brink_vmrt_api brink_vmrt_plugin;
const struct brink_vmrt_api brink_vmrt_plugin = {
	.open = vmrt_impl_open,
	.close = vmrt_impl_close,
	.disks_create = vmrt_impl_disks_create,
	.disks_remove = vmrt_impl_disks_remove,
	.overlay_path = vmrt_impl_overlay_path,
	.define = vmrt_impl_define,
	.undefine = vmrt_impl_undefine,
	.exists = vmrt_impl_exists,
	.start = vmrt_impl_start,
	.shutdown = vmrt_impl_shutdown,
	.force_off = vmrt_impl_force_off,
	.state = vmrt_impl_state,
	.ip = vmrt_impl_ip,
	.set_cpu = vmrt_impl_set_cpu,
	.hostdev_live = vmrt_impl_hostdev_live,
	.list_ids = vmrt_impl_list_ids,
	.domain_xml = vmrt_impl_domain_xml,
	.hostdev_xml = vmrt_impl_hostdev_xml,
	.metadata_parse = vmrt_impl_metadata_parse,
	.user_data = vmrt_impl_user_data,
	.meta_data = vmrt_impl_meta_data,
	.password_hash = vmrt_impl_password_hash,
	.map_state = vmrt__map_state,
	.fill_sched = vmrt__fill_sched,
};
