/* The libvirt runtime: VMs as libvirt domains, their disks (a qcow2 overlay
 * of a base image, made by qemu-img) and their cloud-init NoCloud seed ISO
 * (made by genisoimage), USB host devices passed through. Domains are named
 * "brink-<vm id>" and carry brink's metadata, so a new brinkd finds them
 * again by uuid or name.
 *
 * Functions return 0 or -1 with *err set; BRINK_E_UNAVAILABLE when libvirt
 * cannot be reached. Thread-safe (a libvirt connection is).
 *
 * The code that uses libvirt, libxml2 and crypt(3) (src/vm/) is a plugin,
 * brink-libvirt.so, which brinkd loads (dlopen) the first time one of these
 * functions is called: linked in, libvirt and its dependencies would add
 * ~12 MB to the RSS of every brinkd, VMs or not. brinkd is linked with
 * -rdynamic so the plugin uses brinkd's own errors and logging. When the
 * plugin cannot be loaded, brink_vmrt_open fails with UNAVAILABLE. */
#ifndef BRINK_RUNTIME_LIBVIRT_H
#define BRINK_RUNTIME_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>

#include "brink/error.h"
#include "control/vm.h"

#define BRINK_VMRT_XMLNS "https://brink.invalid/xmlns/vm/1"

struct brink_vmrt;

struct brink_vmrt_config {
	const char *uri;        /* "qemu:///system", "test:///default" */
	const char *images_dir; /* base images */
	const char *vms_dir;    /* overlays and seeds (created) */
	const char *network;    /* libvirt network name, "" for none */
	const char *virt_type;  /* domain type; "" = test for test:, kvm with /dev/kvm, else qemu */
	const char *instance;   /* names this brinkd (16 hex digits) in each domain's metadata */
};

/* Everything needed to write a VM's domain XML. Strings borrowed. */
struct brink_vmrt_domain {
	const char *id;     /* brink's VM id: the domain is "brink-<id>" */
	const char *tenant;
	const char *name;   /* the tenant's name for the VM (title) */
	const char *uuid;   /* "" or NULL: libvirt picks one */
	const char *instance; /* the brinkd that owns it (brink_vmrt_config.instance) */
	int vcpu;
	int memory_mb;
	size_t ndevs;
	const struct brink_hostdev *devs;
};

/* The cloud-init seed: user (NULL: none), crypt(3) password hash (NULL:
 * none), SSH keys. */
struct brink_vmrt_seed {
	const char *hostname;
	const char *user;
	const char *password_hash;
	size_t nkeys;
	const char *const *ssh_keys;
};

/* Opens the connection; UNAVAILABLE (with libvirt's reason) when it fails. */
int brink_vmrt_open(const struct brink_vmrt_config *cfg, struct brink_vmrt **out,
		    struct brink_error **err);
void brink_vmrt_close(struct brink_vmrt *rt);

/* A base image name is a plain file name: 1-255 bytes of [A-Za-z0-9._-+],
 * not starting with '.', no '/', no "..". */
bool brink_vmrt_base_valid(const char *base);

/* Creates <vms_dir>/<id>.qcow2 backed by <images_dir>/<base> (qemu-img,
 * NOT_FOUND when the base is missing) and <vms_dir>/<id>-seed.iso. */
int brink_vmrt_disks_create(struct brink_vmrt *rt, const char *id, const char *base,
			    const struct brink_vmrt_seed *seed, struct brink_error **err);
/* Removes both files (missing ones are fine). */
void brink_vmrt_disks_remove(struct brink_vmrt *rt, const char *id);
/* The overlay's path (for tests and info). */
void brink_vmrt_overlay_path(struct brink_vmrt *rt, const char *id, char *out, size_t len);

/* Defines (or redefines: same uuid) the persistent domain; uuid_out gets its uuid. */
int brink_vmrt_define(struct brink_vmrt *rt, const struct brink_vmrt_domain *d,
		      char uuid_out[37], struct brink_error **err);
/* Removes the domain (destroying it first when it runs). NOT_FOUND when absent. */
int brink_vmrt_undefine(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
/* true when a domain with that uuid exists. */
bool brink_vmrt_exists(struct brink_vmrt *rt, const char *uuid);

int brink_vmrt_start(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
/* ACPI shutdown request. */
int brink_vmrt_shutdown(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);
/* Pulls the plug. */
int brink_vmrt_force_off(struct brink_vmrt *rt, const char *uuid, struct brink_error **err);

/* The domain's state mapped to brink's (UNKNOWN when absent). */
enum brink_vm_state brink_vmrt_state(struct brink_vmrt *rt, const char *uuid);
/* Fills ip with the first IPv4 (else IPv6) address, "" when none. */
int brink_vmrt_ip(struct brink_vmrt *rt, const char *uuid, char *ip, size_t len,
		  struct brink_error **err);
/* Applies a CPU share in cores through the scheduler parameters the driver
 * has (cpu_shares + global_period/global_quota for QEMU, weight for test). */
int brink_vmrt_set_cpu(struct brink_vmrt *rt, const char *uuid, double cores,
		       struct brink_error **err);
/* Attaches or detaches a managed USB hostdev on the running domain (live). */
int brink_vmrt_hostdev_live(struct brink_vmrt *rt, const char *uuid,
			    const struct brink_hostdev *dev, bool attach, struct brink_error **err);

/* Calls cb with the id of every domain whose brink metadata names this
 * brinkd instance (for orphans): other brinkds' domains on a shared libvirtd
 * are never touched. */
int brink_vmrt_list_ids(struct brink_vmrt *rt, void (*cb)(void *ctx, const char *id,
							  const char *uuid),
			void *ctx, struct brink_error **err);

/* libvirt-xml.c: the domain XML (malloc'd, NUL-terminated), every string
 * escaped by libxml2's writer; NULL when out of memory. */
char *brink_vmrt_domain_xml(const struct brink_vmrt_domain *d, const char *virt_type,
			    const char *overlay, const char *seed, const char *network);
char *brink_vmrt_hostdev_xml(const struct brink_hostdev *dev);

enum brink_vmrt_meta_status {
	BRINK_VMRT_META_OK,
	BRINK_VMRT_META_TOO_LONG,  /* over 4096 bytes */
	BRINK_VMRT_META_MALFORMED, /* not XML, or not a brink:vm element */
	BRINK_VMRT_META_MISSING,   /* id or instance missing or not 16 hex digits */
};
/* Parses the metadata element libvirt gives back (virDomainGetMetadata):
 * <vm id=".." instance=".." .../> (in brink's namespace or none, as libvirt
 * returns it). On failure the outputs are "". */
enum brink_vmrt_meta_status brink_vmrt_metadata_parse(const char *xml, size_t len,
							brink_id id_out, brink_id instance_out);

/* vm-disk.c: cloud-init documents (malloc'd; NULL when out of memory). */
char *brink_vmrt_user_data(const struct brink_vmrt_seed *seed);
char *brink_vmrt_meta_data(const char *id, const struct brink_vmrt_seed *seed);
/* Hashes a password with crypt(3), yescrypt (sha512crypt where yescrypt is
 * not there) and a random salt. out must hold 128 bytes. */
int brink_vmrt_password_hash(const char *password, char *out, size_t len,
			     struct brink_error **err);

/* For tests: libvirt's virDomainState mapped to brink's, and the scheduler
 * parameters (a virTypedParameterPtr array of n) filled for `cores`:
 * cpu_shares 1024 per core, global_period 100 ms and global_quota (QEMU),
 * weight 256 per core (the test driver). */
enum brink_vm_state brink_vmrt_map_state(int virt_state);
void brink_vmrt_fill_sched(void *params, int n, double cores);

/* The plugin's table (src/vm/plugin.c exports it as BRINK_VMRT_SYMBOL). */
#define BRINK_VMRT_SYMBOL "brink_vmrt_plugin"
struct brink_vmrt_api {
	int (*open)(const struct brink_vmrt_config *, struct brink_vmrt **, struct brink_error **);
	void (*close)(struct brink_vmrt *);
	int (*disks_create)(struct brink_vmrt *, const char *, const char *,
			    const struct brink_vmrt_seed *, struct brink_error **);
	void (*disks_remove)(struct brink_vmrt *, const char *);
	void (*overlay_path)(struct brink_vmrt *, const char *, char *, size_t);
	int (*define)(struct brink_vmrt *, const struct brink_vmrt_domain *, char[37],
		      struct brink_error **);
	int (*undefine)(struct brink_vmrt *, const char *, struct brink_error **);
	bool (*exists)(struct brink_vmrt *, const char *);
	int (*start)(struct brink_vmrt *, const char *, struct brink_error **);
	int (*shutdown)(struct brink_vmrt *, const char *, struct brink_error **);
	int (*force_off)(struct brink_vmrt *, const char *, struct brink_error **);
	enum brink_vm_state (*state)(struct brink_vmrt *, const char *);
	int (*ip)(struct brink_vmrt *, const char *, char *, size_t, struct brink_error **);
	int (*set_cpu)(struct brink_vmrt *, const char *, double, struct brink_error **);
	int (*hostdev_live)(struct brink_vmrt *, const char *, const struct brink_hostdev *, bool,
			    struct brink_error **);
	int (*list_ids)(struct brink_vmrt *, void (*)(void *, const char *, const char *), void *,
			struct brink_error **);
	char *(*domain_xml)(const struct brink_vmrt_domain *, const char *, const char *,
			    const char *, const char *);
	char *(*hostdev_xml)(const struct brink_hostdev *);
	enum brink_vmrt_meta_status (*metadata_parse)(const char *, size_t, brink_id, brink_id);
	char *(*user_data)(const struct brink_vmrt_seed *);
	char *(*meta_data)(const char *, const struct brink_vmrt_seed *);
	int (*password_hash)(const char *, char *, size_t, struct brink_error **);
	enum brink_vm_state (*map_state)(int);
	void (*fill_sched)(void *, int, double);
};

#endif
