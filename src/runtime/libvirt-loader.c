/* Loads brink-libvirt.so (src/vm/) on first use and forwards the calls of
 * runtime/libvirt.h to it (see there for why it is a plugin). */
#include <pthread.h>
#include <string.h>

#include "runtime/libvirt.h"
#include "runtime/plugin.h"

#define PLUGIN "brink-libvirt.so"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct brink_vmrt_api *api;
static char load_error[512];

static void load(void)
{
	api = runtime__plugin_load(PLUGIN, BRINK_VMRT_SYMBOL, load_error, sizeof(load_error));
}

static const struct brink_vmrt_api *get(void)
{
	pthread_once(&once, load);
	return api;
}

bool brink_vmrt_base_valid(const char *base)
{
	size_t n = base ? strlen(base) : 0;
	if (n == 0 || n > BRINK_IMAGE_MAX || base[0] == '.' || strstr(base, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-' || c == '+';
		if (!ok)
			return false;
	}
	return true;
}

int brink_vmrt_open(const struct brink_vmrt_config *cfg, struct brink_vmrt **out,
		    struct brink_error **err)
{
	if (!get())
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "loading %s: %s", PLUGIN,
					load_error);
	return api->open(cfg, out, err);
}

/* Below, a handle exists only if open() loaded the plugin. */
void brink_vmrt_close(struct brink_vmrt *rt)
{
	if (rt)
		api->close(rt);
}

int brink_vmrt_disks_create(struct brink_vmrt *rt, const char *id, const char *base,
			    const struct brink_vmrt_seed *seed, struct brink_error **err)
{
	return api->disks_create(rt, id, base, seed, err);
}

void brink_vmrt_disks_remove(struct brink_vmrt *rt, const char *id)
{
	api->disks_remove(rt, id);
}

void brink_vmrt_overlay_path(struct brink_vmrt *rt, const char *id, char *out, size_t len)
{
	api->overlay_path(rt, id, out, len);
}

int brink_vmrt_define(struct brink_vmrt *rt, const struct brink_vmrt_domain *d,
		      char uuid_out[37], struct brink_error **err)
{
	return api->define(rt, d, uuid_out, err);
}

int brink_vmrt_undefine(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return api->undefine(rt, uuid, err);
}

bool brink_vmrt_exists(struct brink_vmrt *rt, const char *uuid)
{
	return api->exists(rt, uuid);
}

int brink_vmrt_start(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return api->start(rt, uuid, err);
}

int brink_vmrt_shutdown(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return api->shutdown(rt, uuid, err);
}

int brink_vmrt_force_off(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return api->force_off(rt, uuid, err);
}

enum brink_vm_state brink_vmrt_state(struct brink_vmrt *rt, const char *uuid)
{
	return api->state(rt, uuid);
}

int brink_vmrt_ip(struct brink_vmrt *rt, const char *uuid, char *ip, size_t len,
		  struct brink_error **err)
{
	return api->ip(rt, uuid, ip, len, err);
}

int brink_vmrt_set_cpu(struct brink_vmrt *rt, const char *uuid, double cores,
		       struct brink_error **err)
{
	return api->set_cpu(rt, uuid, cores, err);
}

int brink_vmrt_hostdev_live(struct brink_vmrt *rt, const char *uuid,
			    const struct brink_hostdev *dev, bool attach, struct brink_error **err)
{
	return api->hostdev_live(rt, uuid, dev, attach, err);
}

int brink_vmrt_list_ids(struct brink_vmrt *rt,
			void (*cb)(void *ctx, const char *id, const char *uuid), void *ctx,
			struct brink_error **err)
{
	return api->list_ids(rt, cb, ctx, err);
}

/* These work without a handle: they load the plugin themselves. */
char *brink_vmrt_domain_xml(const struct brink_vmrt_domain *d, const char *virt_type,
			    const char *overlay, const char *seed, const char *network)
{
	return get() ? api->domain_xml(d, virt_type, overlay, seed, network) : NULL;
}

char *brink_vmrt_hostdev_xml(const struct brink_hostdev *dev)
{
	return get() ? api->hostdev_xml(dev) : NULL;
}

enum brink_vmrt_meta_status brink_vmrt_metadata_parse(const char *xml, size_t len,
							brink_id id_out, brink_id instance_out)
{
	id_out[0] = instance_out[0] = '\0';
	return get() ? api->metadata_parse(xml, len, id_out, instance_out)
		     : BRINK_VMRT_META_MALFORMED;
}

char *brink_vmrt_user_data(const struct brink_vmrt_seed *seed)
{
	return get() ? api->user_data(seed) : NULL;
}

char *brink_vmrt_meta_data(const char *id, const struct brink_vmrt_seed *seed)
{
	return get() ? api->meta_data(id, seed) : NULL;
}

int brink_vmrt_password_hash(const char *password, char *out, size_t len,
			     struct brink_error **err)
{
	if (!get())
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "loading %s: %s", PLUGIN,
					load_error);
	return api->password_hash(password, out, len, err);
}

enum brink_vm_state brink_vmrt_map_state(int virt_state)
{
	return get() ? api->map_state(virt_state) : BRINK_VM_UNKNOWN;
}

void brink_vmrt_fill_sched(void *params, int n, double cores)
{
	if (get())
		api->fill_sched(params, n, cores);
}
