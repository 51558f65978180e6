/* cgroup v1 and v2 file logic of the sandbox driver, against temporary
 * directories laid out like each kind of mount. (This machine mounts cgroup
 * v1 controllers and a v2 hierarchy without controllers, so v2 can only be
 * exercised this way here; test_sandbox runs v1 for real.)
 *
 * A temporary directory differs from cgroupfs in two ways the tests make up
 * for: mkdir does not populate control files (the tests pre-create, in the
 * parent, the optional ones the code looks for, and read what the code
 * wrote), and rmdir needs an empty folder (the tests delete the files the
 * kernel would drop itself). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/cgroup-internal.h"

struct fixture {
	char root[64];
};

static void put(const char *dir, const char *name, const char *value)
{
	assert_int_equal(cgroup__write(dir, name, value), 0);
}

static void expect_file(const char *dir, const char *name, const char *want)
{
	char buf[256];
	assert_true(cgroup__read(dir, name, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void mkdirs(const char *path)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

/* Deletes the regular files in dir (what rmdir does on cgroupfs). */
static void drop_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			unlink(p);
	}
	closedir(d);
}

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int setup_v1(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/brink-cgv1-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	char d[256];
	const char *ctl[][2] = {{"cpu", "cpu.cfs_quota_us"},
				{"cpuacct", "cpuacct.usage"},
				{"memory", "memory.limit_in_bytes"}};
	for (size_t i = 0; i < 3; i++) {
		snprintf(d, sizeof(d), "%s/%s", fx->root, ctl[i][0]);
		mkdirs(d);
		put(d, ctl[i][1], "-1\n");
	}
	*state = fx;
	return 0;
}

static int setup_v2(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	snprintf(fx->root, sizeof(fx->root), "/tmp/brink-cgv2-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	put(fx->root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	rm_rf(fx->root);
	free(fx);
	return 0;
}

static void test_v1_detect(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_null(err);
	assert_int_equal(l.version, CGROUP_V1);
	assert_int_equal(l.n, 3);
	char want[256];
	char real[256];
	assert_non_null(realpath(fx->root, real));
	snprintf(want, sizeof(want), "%s/memory/brink/inst", real);
	assert_string_equal(l.h[2].base, want);
	assert_int_equal(l.h[2].ctl, CG_MEMORY);
}

static void test_v1_comounted(void **state)
{
	struct fixture *fx = *state;
	char d[256], link[256];
	/* cpu,cpuacct mounted together, with cpu and cpuacct as symlinks to it. */
	snprintf(d, sizeof(d), "%s/cpu", fx->root);
	rm_rf(d);
	snprintf(d, sizeof(d), "%s/cpuacct", fx->root);
	rm_rf(d);
	snprintf(d, sizeof(d), "%s/cpu,cpuacct", fx->root);
	mkdirs(d);
	put(d, "cpu.cfs_quota_us", "-1\n");
	put(d, "cpuacct.usage", "0\n");
	snprintf(link, sizeof(link), "%s/cpu", fx->root);
	assert_int_equal(symlink("cpu,cpuacct", link), 0);
	snprintf(link, sizeof(link), "%s/cpuacct", fx->root);
	assert_int_equal(symlink("cpu,cpuacct", link), 0);
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.h[0].ctl, CG_CPU | CG_CPUACCT);
	assert_non_null(strstr(l.h[0].base, "/cpu,cpuacct/brink/inst"));
}

static void test_v1_missing_controller(void **state)
{
	struct fixture *fx = *state;
	char d[256];
	snprintf(d, sizeof(d), "%s/memory", fx->root);
	rm_rf(d);
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "memory"));
	brink_error_free(&err);
}

static void test_v1_unit_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct cgroup_unit u;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0); /* idempotent */
	/* Swap accounting is on: the base has memsw, so units get it too. */
	put(l.h[2].base, "memory.memsw.limit_in_bytes", "-1");
	assert_int_equal(cgroup__create(&l, 7, 1.5, 64 << 20, &u, &err), 0);
	assert_null(err);
	const char *cpu = cgroup__dir(&u, CG_CPU), *mem = cgroup__dir(&u, CG_MEMORY);
	assert_non_null(strstr(cpu, "/cpu/brink/inst/unit-7"));
	assert_non_null(strstr(mem, "/memory/brink/inst/unit-7"));
	assert_non_null(strstr(cgroup__dir(&u, CG_CPUACCT), "/cpuacct/brink/inst/unit-7"));
	expect_file(cpu, "cpu.cfs_period_us", "100000");
	expect_file(cpu, "cpu.cfs_quota_us", "150000");
	expect_file(mem, "memory.limit_in_bytes", "67108864");
	expect_file(mem, "memory.memsw.limit_in_bytes", "67108864");

	double cores = 0;
	assert_int_equal(cgroup__set_cpu(&u, 0.25, &err), 0);
	expect_file(cpu, "cpu.cfs_quota_us", "25000");
	assert_int_equal(cgroup__cpu_quota(&u, &cores, &err), 0);
	assert_true(cores > 0.2499 && cores < 0.2501);
	/* Below the kernel's 1 ms minimum: clamped. */
	assert_int_equal(cgroup__set_cpu(&u, 0.001, &err), 0);
	expect_file(cpu, "cpu.cfs_quota_us", "1000");
	assert_int_equal(cgroup__set_cpu(&u, 0, &err), -1);
	assert_int_equal(err->code, BRINK_E_INVALID);
	brink_error_free(&err);

	put(cgroup__dir(&u, CG_CPUACCT), "cpuacct.usage", "123456789\n");
	put(mem, "memory.usage_in_bytes", "4096\n");
	put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	uint64_t ns = 0, bytes = 0;
	assert_int_equal(cgroup__usage(&u, &ns, &bytes, &err), 0);
	assert_int_equal(ns, 123456789);
	assert_int_equal(bytes, 4096);
	assert_int_equal(cgroup__oom_kills(&u), 2);

	assert_int_equal(cgroup__attach(&u, 4242, &err), 0);
	expect_file(cpu, "cgroup.procs", "4242");
	expect_file(mem, "cgroup.procs", "4242");
	expect_file(cgroup__dir(&u, CG_CPUACCT), "cgroup.procs", "4242");

	for (int i = 0; i < l.n; i++)
		drop_files(u.dir[i]);
	assert_int_equal(cgroup__remove(&u, 10, &err), 0);
	assert_int_equal(access(cpu, F_OK), -1);
	assert_int_equal(access(mem, F_OK), -1);
	/* Removing again is fine. */
	assert_int_equal(cgroup__remove(&u, 10, &err), 0);
}

static void test_v1_no_memory_limit(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct cgroup_unit u;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	assert_int_equal(cgroup__create(&l, 8, 2, 0, &u, &err), 0);
	expect_file(cgroup__dir(&u, CG_MEMORY), "memory.limit_in_bytes", "-1");
	expect_file(cgroup__dir(&u, CG_CPU), "cpu.cfs_quota_us", "200000");
	/* No memsw in the base: none written. */
	char p[400];
	snprintf(p, sizeof(p), "%s/memory.memsw.limit_in_bytes", cgroup__dir(&u, CG_MEMORY));
	assert_int_equal(access(p, F_OK), -1);
}

static void test_v1_create_failure_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct cgroup_unit u;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	/* A busy leftover of the same id in the memory hierarchy (not empty). */
	char busy[300];
	snprintf(busy, sizeof(busy), "%s/unit-9", l.h[2].base);
	mkdirs(busy);
	put(busy, "cgroup.procs", "1\n");
	assert_int_equal(cgroup__create(&l, 9, 1, 1 << 20, &u, &err), -1);
	assert_int_equal(err->code, BRINK_E_CONFLICT);
	assert_non_null(strstr(err->msg, "unit 9"));
	brink_error_free(&err);
	char other[300];
	snprintf(other, sizeof(other), "%s/unit-9", l.h[0].base);
	assert_int_equal(access(other, F_OK), -1);
	/* An empty leftover is simply replaced. */
	drop_files(busy);
	assert_int_equal(cgroup__create(&l, 9, 1, 1 << 20, &u, &err), 0);
}

static int keep44(void *ctx, uint64_t id)
{
	(void)ctx;
	return id == 44;
}

static void test_v1_reap(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	char d[300];
	/* unit-42 everywhere, unit-43 only in memory, a stranger folder, unit-44 kept. */
	for (int i = 0; i < l.n; i++) {
		snprintf(d, sizeof(d), "%s/unit-42", l.h[i].base);
		mkdirs(d);
		snprintf(d, sizeof(d), "%s/unit-44", l.h[i].base);
		mkdirs(d);
	}
	snprintf(d, sizeof(d), "%s/unit-43", l.h[2].base);
	mkdirs(d);
	snprintf(d, sizeof(d), "%s/not-a-unit", l.h[0].base);
	mkdirs(d);
	assert_int_equal(cgroup__reap(&l, keep44, NULL, &err), 2);
	assert_null(err);
	snprintf(d, sizeof(d), "%s/unit-42", l.h[1].base);
	assert_int_equal(access(d, F_OK), -1);
	snprintf(d, sizeof(d), "%s/unit-43", l.h[2].base);
	assert_int_equal(access(d, F_OK), -1);
	snprintf(d, sizeof(d), "%s/unit-44", l.h[2].base);
	assert_int_equal(access(d, F_OK), 0);
	snprintf(d, sizeof(d), "%s/not-a-unit", l.h[0].base);
	assert_int_equal(access(d, F_OK), 0);
	assert_int_equal(cgroup__reap(&l, keep44, NULL, &err), 0);
}

static void test_v2_detect_and_prepare(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(l.version, CGROUP_V2);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.h[0].ctl, CG_CPU | CG_CPUACCT | CG_MEMORY);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	char top[256];
	snprintf(top, sizeof(top), "%s/brink", fx->root);
	/* Controllers handed down at every level to the units. */
	expect_file(fx->root, "cgroup.subtree_control", "+cpu +memory");
	expect_file(top, "cgroup.subtree_control", "+cpu +memory");
	expect_file(l.h[0].base, "cgroup.subtree_control", "+cpu +memory");
}

static void test_v2_without_controllers(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct brink_error *err = NULL;
	/* Like this machine's /sys/fs/cgroup/unified: a v2 mount with nothing enabled. */
	put(fx->root, "cgroup.controllers", "\n");
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), -1);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "v2"));
	brink_error_free(&err);
	put(fx->root, "cgroup.controllers", "cpuset memory pids\n"); /* no cpu */
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), -1);
	brink_error_free(&err);
}

static void test_v2_unit_lifecycle(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct cgroup_unit u;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	put(l.h[0].base, "memory.swap.max", "max");
	put(l.h[0].base, "memory.oom.group", "0");
	assert_int_equal(cgroup__create(&l, 5, 0.5, 32 << 20, &u, &err), 0);
	const char *dir = cgroup__dir(&u, CG_MEMORY);
	assert_string_equal(dir, cgroup__dir(&u, CG_CPU));
	expect_file(dir, "cpu.max", "50000 100000");
	expect_file(dir, "memory.max", "33554432");
	expect_file(dir, "memory.swap.max", "0");
	expect_file(dir, "memory.oom.group", "1");
	char p[400];
	snprintf(p, sizeof(p), "%s/cpu.cfs_quota_us", dir);
	assert_int_equal(access(p, F_OK), -1);

	double cores;
	assert_int_equal(cgroup__set_cpu(&u, 3, &err), 0);
	expect_file(dir, "cpu.max", "300000 100000");
	assert_int_equal(cgroup__cpu_quota(&u, &cores, &err), 0);
	assert_true(cores > 2.999 && cores < 3.001);
	put(dir, "cpu.max", "max 100000");
	assert_int_equal(cgroup__cpu_quota(&u, &cores, &err), 0);
	assert_true(cores == 0);

	put(dir, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
	put(dir, "memory.current", "8192\n");
	put(dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	uint64_t ns, bytes;
	assert_int_equal(cgroup__usage(&u, &ns, &bytes, &err), 0);
	assert_int_equal(ns, 2500000);
	assert_int_equal(bytes, 8192);
	assert_int_equal(cgroup__oom_kills(&u), 1);

	/* cgroup.kill is used where the kernel has it. */
	put(dir, "cgroup.kill", "0");
	assert_int_equal(cgroup__kill(&u), 1);
	expect_file(dir, "cgroup.kill", "1");

	drop_files(dir);
	assert_int_equal(cgroup__remove(&u, 10, &err), 0);
	assert_int_equal(access(dir, F_OK), -1);
}

static void test_v2_no_memory_limit(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_layout l;
	struct cgroup_unit u;
	struct brink_error *err = NULL;
	assert_int_equal(cgroup__detect(fx->root, "inst", &l, &err), 0);
	assert_int_equal(cgroup__prepare(&l, &err), 0);
	assert_int_equal(cgroup__create(&l, 6, 1, 0, &u, &err), 0);
	expect_file(u.dir[0], "memory.max", "max");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_detect, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_comounted, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_missing_controller, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_unit_lifecycle, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_no_memory_limit, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_create_failure_leaves_nothing, setup_v1,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1_reap, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v2_detect_and_prepare, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_v2_without_controllers, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_v2_unit_lifecycle, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_v2_no_memory_limit, setup_v2, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
