#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brink/log.h"
#include "vm/libvirt-internal.h"

#define DOMAIN_PREFIX "brink-"

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

/* libvirt prints every error to stderr by default; brink reports them itself. */
static void quiet_errors(void *ctx, virErrorPtr e)
{
	(void)ctx;
	(void)e;
}

static void quiet_init(void)
{
	virSetErrorFunc(NULL, quiet_errors);
}

int vmrt__fail(struct brink_error **err, const char *what)
{
	const virError *e = virGetLastError();
	enum brink_errc code = BRINK_E_INTERNAL;
	if (e && (e->code == VIR_ERR_NO_DOMAIN))
		code = BRINK_E_NOT_FOUND;
	else if (e && (e->code == VIR_ERR_OPERATION_INVALID))
		code = BRINK_E_CONFLICT;
	else if (e && (e->code == VIR_ERR_SYSTEM_ERROR || e->code == VIR_ERR_NO_CONNECT ||
		       e->code == VIR_ERR_RPC))
		code = BRINK_E_UNAVAILABLE;
	return brink_error_make(err, code, "%s: %s", what,
				e && e->message ? e->message : "libvirt failed");
}

/* kvm when QEMU, running as its own user, can open /dev/kvm (group or other
 * read-write, as udev sets it up); else qemu (TCG). */
static const char *auto_virt_type(const char *uri)
{
	struct stat sb;
	if (strncmp(uri, "test:", 5) == 0)
		return "test";
	if (stat("/dev/kvm", &sb) == 0 && S_ISCHR(sb.st_mode) &&
	    ((sb.st_mode & 0060) == 0060 || (sb.st_mode & 0006) == 0006))
		return "kvm";
	return "qemu";
}

int vmrt_impl_open(const struct brink_vmrt_config *cfg, struct brink_vmrt **out,
		    struct brink_error **err)
{
	pthread_once(&quiet_once, quiet_init);
	struct brink_vmrt *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	snprintf(rt->uri, sizeof(rt->uri), "%s", cfg->uri);
	snprintf(rt->images_dir, sizeof(rt->images_dir), "%s", cfg->images_dir);
	snprintf(rt->vms_dir, sizeof(rt->vms_dir), "%s", cfg->vms_dir);
	snprintf(rt->network, sizeof(rt->network), "%s", cfg->network);
	snprintf(rt->instance, sizeof(rt->instance), "%s", cfg->instance ? cfg->instance : "");
	snprintf(rt->virt_type, sizeof(rt->virt_type), "%s",
		 cfg->virt_type && cfg->virt_type[0] ? cfg->virt_type : auto_virt_type(cfg->uri));
	rt->conn = virConnectOpen(rt->uri);
	if (!rt->conn) {
		vmrt__fail(err, "connecting to libvirt");
		(*err)->code = BRINK_E_UNAVAILABLE;
		brink_error_wrap(err, "%s", rt->uri);
		free(rt);
		return -1;
	}
	/* 0711: QEMU runs as its own user and must reach the files libvirt hands it */
	if ((mkdir(rt->vms_dir, 0711) < 0 && errno != EEXIST) || chmod(rt->vms_dir, 0711) < 0) {
		brink_error_sys(err, errno, "creating %s", rt->vms_dir);
		virConnectClose(rt->conn);
		free(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

void vmrt_impl_close(struct brink_vmrt *rt)
{
	if (!rt)
		return;
	virConnectClose(rt->conn);
	free(rt);
}

static virDomainPtr lookup(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	virDomainPtr d = uuid && uuid[0] ? virDomainLookupByUUIDString(rt->conn, uuid) : NULL;
	if (!d) {
		if (err)
			brink_error_make(err, BRINK_E_NOT_FOUND, "no libvirt domain with uuid %s",
					 uuid ? uuid : "");
	}
	return d;
}

void vmrt_impl_overlay_path(struct brink_vmrt *rt, const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.qcow2", rt->vms_dir, id);
}

int vmrt_impl_define(struct brink_vmrt *rt, const struct brink_vmrt_domain *d,
		      char uuid_out[37], struct brink_error **err)
{
	char overlay[PATH_MAX], seed[PATH_MAX];
	vmrt_impl_overlay_path(rt, d->id, overlay, sizeof(overlay));
	vmrt__seed_path(rt, d->id, seed, sizeof(seed));
	struct brink_vmrt_domain mine = *d;
	mine.instance = rt->instance;
	char *xml = vmrt_impl_domain_xml(&mine, rt->virt_type, overlay, seed, rt->network);
	if (!xml)
		return brink_error_make(err, BRINK_E_INTERNAL, "writing the domain XML: out of memory");
	virDomainPtr dom = virDomainDefineXML(rt->conn, xml);
	free(xml);
	if (!dom)
		return vmrt__fail(err, "defining the domain");
	int rc = virDomainGetUUIDString(dom, uuid_out);
	if (rc < 0)
		vmrt__fail(err, "reading the domain's uuid");
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

int vmrt_impl_undefine(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	virDomainPtr dom = lookup(rt, uuid, err);
	if (!dom)
		return -1;
	if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0) {
		vmrt__fail(err, "stopping the domain");
		virDomainFree(dom);
		return -1;
	}
	int rc = virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_NVRAM);
	if (rc < 0)
		rc = virDomainUndefine(dom);
	if (rc < 0)
		vmrt__fail(err, "removing the domain");
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

bool vmrt_impl_exists(struct brink_vmrt *rt, const char *uuid)
{
	virDomainPtr dom = lookup(rt, uuid, NULL);
	if (dom)
		virDomainFree(dom);
	return dom != NULL;
}

static int with_domain(struct brink_vmrt *rt, const char *uuid, int (*op)(virDomainPtr),
		       const char *what, struct brink_error **err)
{
	virDomainPtr dom = lookup(rt, uuid, err);
	if (!dom)
		return -1;
	int rc = op(dom);
	if (rc < 0)
		vmrt__fail(err, what); /* before virDomainFree, which clears the error */
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

int vmrt_impl_start(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return with_domain(rt, uuid, virDomainCreate, "starting the domain", err);
}

int vmrt_impl_shutdown(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return with_domain(rt, uuid, virDomainShutdown, "shutting the domain down (ACPI)", err);
}

int vmrt_impl_force_off(struct brink_vmrt *rt, const char *uuid, struct brink_error **err)
{
	return with_domain(rt, uuid, virDomainDestroy, "turning the domain off", err);
}

enum brink_vm_state vmrt__map_state(int st)
{
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return BRINK_VM_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return BRINK_VM_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return BRINK_VM_SHUTDOWN;
	case VIR_DOMAIN_SHUTOFF:
		return BRINK_VM_POWEROFF;
	case VIR_DOMAIN_CRASHED:
		return BRINK_VM_CRASHED;
	default:
		return BRINK_VM_UNKNOWN;
	}
}

enum brink_vm_state vmrt_impl_state(struct brink_vmrt *rt, const char *uuid)
{
	virDomainPtr dom = lookup(rt, uuid, NULL);
	int st = -1, reason;
	if (!dom)
		return BRINK_VM_UNKNOWN;
	if (virDomainGetState(dom, &st, &reason, 0) < 0)
		st = -1;
	virDomainFree(dom);
	return vmrt__map_state(st);
}

static void pick_address(virDomainInterfacePtr *ifs, int n, char *ip, size_t len)
{
	ip[0] = '\0';
	for (int want = VIR_IP_ADDR_TYPE_IPV4; want <= VIR_IP_ADDR_TYPE_IPV6; want++)
		for (int i = 0; i < n; i++)
			for (unsigned j = 0; j < ifs[i]->naddrs; j++)
				if (ifs[i]->addrs[j].type == want && !ip[0])
					snprintf(ip, len, "%s", ifs[i]->addrs[j].addr);
}

int vmrt_impl_ip(struct brink_vmrt *rt, const char *uuid, char *ip, size_t len,
		  struct brink_error **err)
{
	virDomainPtr dom = lookup(rt, uuid, err);
	virDomainInterfacePtr *ifs = NULL;
	ip[0] = '\0';
	if (!dom)
		return -1;
	int n = virDomainInterfaceAddresses(dom, &ifs, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0);
	if (n < 0) {
		vmrt__fail(err, "reading the domain's addresses");
		virDomainFree(dom);
		return -1;
	}
	pick_address(ifs, n, ip, len);
	for (int i = 0; i < n; i++)
		virDomainInterfaceFree(ifs[i]);
	free(ifs);
	virDomainFree(dom);
	return 0;
}

void vmrt__fill_sched(void *params, int n, double cores)
{
	virTypedParameterPtr p = params;
	const unsigned long long period = 100000; /* µs */
	for (int i = 0; i < n; i++) {
		if (!strcmp(p[i].field, VIR_DOMAIN_SCHEDULER_CPU_SHARES))
			p[i].value.ul = (unsigned long long)(cores * 1024 + 0.5);
		else if (!strcmp(p[i].field, VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD))
			p[i].value.ul = period;
		else if (!strcmp(p[i].field, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA))
			p[i].value.l = (long long)(cores * (double)period + 0.5);
		else if (!strcmp(p[i].field, VIR_DOMAIN_SCHEDULER_WEIGHT))
			p[i].value.ui = (unsigned)(cores * 256 + 0.5);
	}
}

int vmrt_impl_set_cpu(struct brink_vmrt *rt, const char *uuid, double cores,
		       struct brink_error **err)
{
	virDomainPtr dom = lookup(rt, uuid, err);
	int nparams = 0, rc = -1;
	if (!dom)
		return -1;
	char *type = virDomainGetSchedulerType(dom, &nparams);
	free(type);
	virTypedParameterPtr p = nparams > 0 ? calloc((size_t)nparams, sizeof(*p)) : NULL;
	if (!p || virDomainGetSchedulerParameters(dom, p, &nparams) < 0) {
		rc = p ? vmrt__fail(err, "reading scheduler parameters")
		       : brink_error_make(err, BRINK_E_UNAVAILABLE, "the domain has no scheduler"
					  " parameters");
		goto out;
	}
	vmrt__fill_sched(p, nparams, cores);
	rc = virDomainSetSchedulerParameters(dom, p, nparams);
	if (rc < 0)
		vmrt__fail(err, "setting scheduler parameters");
out:
	free(p);
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

int vmrt_impl_hostdev_live(struct brink_vmrt *rt, const char *uuid,
			    const struct brink_hostdev *dev, bool attach, struct brink_error **err)
{
	virDomainPtr dom = lookup(rt, uuid, err);
	if (!dom)
		return -1;
	char *xml = vmrt_impl_hostdev_xml(dev);
	int rc = -1;
	if (!xml)
		rc = brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	else if (attach)
		rc = virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE);
	else
		rc = virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE);
	if (xml && rc < 0)
		vmrt__fail(err, attach ? "attaching the device" : "detaching the device");
	free(xml);
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

/* Whether the domain's brink metadata names this instance; *id gets its VM id. */
static bool ours(struct brink_vmrt *rt, virDomainPtr dom, brink_id id)
{
	brink_id instance;
	char *meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, BRINK_VMRT_XMLNS,
					  VIR_DOMAIN_AFFECT_CONFIG);
	bool yes = meta &&
		   vmrt_impl_metadata_parse(meta, strlen(meta), id, instance) ==
			   BRINK_VMRT_META_OK &&
		   !strcmp(instance, rt->instance);
	free(meta);
	return yes;
}

int vmrt_impl_list_ids(struct brink_vmrt *rt,
			void (*cb)(void *ctx, const char *id, const char *uuid), void *ctx,
			struct brink_error **err)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(rt->conn, &doms, 0);
	if (n < 0)
		return vmrt__fail(err, "listing domains");
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		char uuid[VIR_UUID_STRING_BUFLEN];
		brink_id id;
		if (name && !strncmp(name, DOMAIN_PREFIX, strlen(DOMAIN_PREFIX)) &&
		    ours(rt, doms[i], id) && virDomainGetUUIDString(doms[i], uuid) == 0)
			cb(ctx, id, uuid);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}
