/* VM create -> defined, with libvirt's test driver, in one process (the test
 * driver lives inside the process that opens it, so both sides must share
 * it):
 *  - reference: virDomainDefineXML of the same domain XML, directly;
 *  - brink's define step: brink_vmrt_define (XML written by libxml2 + define);
 *  - brink's whole create: brink_control_vm_create (checks, qcow2 overlay by
 *    qemu-img, cloud-init seed ISO by genisoimage, define, SQLite row synced),
 *    without and with a cloud-init password (yescrypt hash).
 * Each is timed N times, interleaved; p50 and p99 and the ratios to the
 * reference are printed. Usage: vm_bench DIR N (DIR holds images/base.qcow2). */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

#include "control/vm.h"
#include "runtime/libvirt.h"

static void die(const char *what, struct brink_error *err)
{
	fprintf(stderr, "vm_bench: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

struct side {
	const char *name;
	double *t;
};

static void report(struct side *s, int n, double ref_p50)
{
	bench_sort(s->t, (size_t)n);
	double p50 = bench_pct(s->t, (size_t)n, 50), p99 = bench_pct(s->t, (size_t)n, 99);
	printf("  %-44s p50 %9.1f us  p99 %9.1f us  ratio(p50) %7.1fx\n", s->name, p50, p99,
	       p50 / ref_p50);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	struct brink_error *err = NULL;
	struct brink_config cfg;
	brink_config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	snprintf(cfg.vm_uri, sizeof(cfg.vm_uri), "test:///default");
	snprintf(cfg.vm_images_dir, sizeof(cfg.vm_images_dir), "%s/images", dir);
	snprintf(cfg.usb_sysfs_root, sizeof(cfg.usb_sysfs_root), "%s/none", dir);
	snprintf(cfg.sandbox_worker, sizeof(cfg.sandbox_worker), "/nonexistent");
	cfg.cpu_capacity = 2;
	snprintf(cfg.log_level, sizeof(cfg.log_level), "error");
	struct brink_store *st;
	struct brink_control *ctl;
	char db[512];
	snprintf(db, sizeof(db), "%s/brink.db", dir);
	if (brink_store_open(db, &st, &err) < 0 || brink_control_new(&cfg, st, &ctl, &err) < 0 ||
	    brink_control_start(ctl, &err) < 0)
		die("setup", err);
	struct brink_tenant tenant;
	brink_key key;
	if (brink_control_register(ctl, "bench", NULL, &tenant, key, &err) < 0)
		die("register", err);
	virConnectPtr conn = virConnectOpen("test:///default");
	struct brink_vmrt *rt;
	char vms_dir[512];
	snprintf(vms_dir, sizeof(vms_dir), "%s/vms", dir);
	struct brink_vmrt_config rc = {.uri = "test:///default", .images_dir = cfg.vm_images_dir,
				       .vms_dir = vms_dir, .network = "default", .virt_type = ""};
	if (!conn || brink_vmrt_open(&rc, &rt, &err) < 0)
		die("connect", err);
	double *t[4];
	for (int k = 0; k < 4; k++)
		t[k] = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		char id[17], name[32], uuid[37];
		snprintf(id, sizeof(id), "%016x", 0x100000 + i);
		snprintf(name, sizeof(name), "bench%d", i);
		struct brink_vmrt_domain d = {.id = id, .tenant = tenant.id, .name = name,
					      .vcpu = 1, .memory_mb = 256};
		char *xml = brink_vmrt_domain_xml(&d, "test", "/x/o.qcow2", "/x/s.iso", "default");
		/* reference: the XML given to libvirt directly */
		double t0 = bench_now_us();
		virDomainPtr dom = virDomainDefineXML(conn, xml);
		t[0][i] = bench_now_us() - t0;
		if (!dom)
			die("virDomainDefineXML", NULL);
		virDomainUndefine(dom);
		virDomainFree(dom);
		free(xml);
		/* brink's define step */
		t0 = bench_now_us();
		if (brink_vmrt_define(rt, &d, uuid, &err) < 0)
			die("define", err);
		t[1][i] = bench_now_us() - t0;
		brink_vmrt_undefine(rt, uuid, &err);
		/* brink's whole create path, without and with a password */
		for (int k = 2; k < 4; k++) {
			struct brink_vm vm;
			struct brink_vm_spec sp = {.name = name, .base = "base.qcow2", .user = "semedi",
						   .password = k == 3 ? "hola" : NULL};
			t0 = bench_now_us();
			if (brink_control_vm_create(ctl, tenant.id, &sp, &vm, &err) < 0)
				die("create", err);
			t[k][i] = bench_now_us() - t0;
			if (brink_control_vm_destroy(ctl, tenant.id, vm.id, true, &err) < 0)
				die("destroy", err);
		}
	}
	bench_sort(t[0], (size_t)n);
	double ref = bench_pct(t[0], (size_t)n, 50);
	struct side sides[] = {
		{"virDomainDefineXML, same XML (reference)", t[0]},
		{"brink define step (XML + define)", t[1]},
		{"brink create, no password", t[2]},
		{"brink create, password (yescrypt)", t[3]},
	};
	printf("VM create -> defined, test:///default, %d each, same process, interleaved\n", n);
	for (size_t k = 0; k < 4; k++)
		report(&sides[k], n, ref);
	virConnectClose(conn);
	brink_vmrt_close(rt);
	brink_control_free(ctl);
	brink_store_close(st);
	return 0;
}
