/* The sandbox driver for real: needs root, cgroups (v1 on this machine) and
 * $BUILD/brink-worker (BUILD defaults to "build"). Every check looks at the
 * kernel's view (/proc, cgroupfs), not at what the driver says. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "brink/wire.h"
#include "runtime/runtime.h"
#include "runtime/seccomp-internal.h"

static const struct brink_runtime_ops *ops;

/* What on_exit() reported. */
static pthread_mutex_t ex_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ex_cond = PTHREAD_COND_INITIALIZER;
static int ex_calls;
static uint64_t ex_id;
static char ex_reason[200];

/* Stands for the control plane's lock, which its on_exit() takes and which
 * it holds while it calls start() and stop(). */
static pthread_mutex_t cp_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*exit_hook)(uint64_t id); /* run by on_exit() under cp_lock */

static void on_exit_cb(void *ctx, uint64_t id, const char *reason)
{
	if (ctx != &ex_calls)
		abort();
	pthread_mutex_lock(&cp_lock);
	if (exit_hook)
		exit_hook(id);
	pthread_mutex_unlock(&cp_lock);
	pthread_mutex_lock(&ex_lock);
	ex_calls++;
	ex_id = id;
	snprintf(ex_reason, sizeof(ex_reason), "%s", reason);
	pthread_cond_broadcast(&ex_cond);
	pthread_mutex_unlock(&ex_lock);
}

struct fixture {
	char dir[64];
	char worker[PATH_MAX];
	struct brink_runtime_config cfg;
	struct brink_runtime *rt;
};

static struct fixture fx;

static int group_setup(void **state)
{
	(void)state;
	ops = brink_runtime_find("sandbox");
	if (!ops)
		return -1;
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/brink-worker", build);
	if (!realpath(rel, fx.worker)) {
		fprintf(stderr, "test_sandbox: no %s (build it first)\n", rel);
		return -1;
	}
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/brink-sbx-XXXXXX");
	if (!mkdtemp(fx.dir) || chmod(fx.dir, 0755) < 0)
		return -1;
	fx.cfg = (struct brink_runtime_config){
		.data_dir = fx.dir,
		.worker_path = fx.worker,
		.cgroup_root = "",
		.start_timeout_ms = 3000,
		.on_exit = on_exit_cb,
		.ctx = &ex_calls,
	};
	struct brink_error *err = NULL;
	if (ops->init(&fx.cfg, &fx.rt, &err) < 0) {
		fprintf(stderr, "test_sandbox: init: %s\n", err->msg);
		brink_error_free(&err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ops->fini(fx.rt);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

static struct brink_unit *start_unit(uint64_t id, double cpu, uint64_t mem)
{
	struct brink_unit_spec spec = {.id = id, .tenant = "t1", .kind = "forward",
					       .cpu = cpu, .model_fd = -1, .memory_bytes = mem};
	struct brink_unit *u = NULL;
	struct brink_error *err = NULL;
	int rc = ops->start(fx.rt, &spec, &u, &err);
	if (rc < 0)
		fprintf(stderr, "start: %s\n", err->msg);
	assert_int_equal(rc, 0);
	assert_non_null(u);
	return u;
}

static void stop_unit(struct brink_unit *u)
{
	struct brink_error *err = NULL;
	int rc = ops->stop(fx.rt, u, &err);
	if (rc < 0)
		fprintf(stderr, "stop: %s\n", err->msg);
	assert_int_equal(rc, 0);
}

static struct brink_unit_info info_of(struct brink_unit *u)
{
	struct brink_unit_info in;
	struct brink_error *err = NULL;
	assert_int_equal(ops->info(fx.rt, u, &in, &err), 0);
	return in;
}

static long read_long(const char *dir, const char *name)
{
	char path[512], buf[64] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	return strtol(buf, NULL, 10);
}

/* The value of "Key:" in /proc/<pid>/status (or limits' line prefix). */
static void proc_line(int pid, const char *file, const char *key, char *out, size_t size)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			snprintf(out, size, "%s", line + strlen(key));
	fclose(f);
	assert_true(out[0] != '\0');
}

/* The unit's folder in a v1 hierarchy, from /proc/<pid>/cgroup. */
static void cgroup_dir(int pid, const char *ctl, char *out, size_t size)
{
	char key[32], rel[256];
	snprintf(key, sizeof(key), ":%s:", ctl);
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	rel[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);
		if (p) {
			snprintf(rel, sizeof(rel), "%s", p + strlen(key));
			rel[strcspn(rel, "\n")] = '\0';
		}
	}
	fclose(f);
	snprintf(out, size, "/sys/fs/cgroup/%s%s", ctl, rel);
}

static int wait_exit_call(int calls_before, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ex_lock);
	while (ex_calls == calls_before)
		if (pthread_cond_timedwait(&ex_cond, &ex_lock, &ts) != 0)
			break;
	int n = ex_calls;
	pthread_mutex_unlock(&ex_lock);
	return n;
}

static int exit_calls(void)
{
	pthread_mutex_lock(&ex_lock);
	int n = ex_calls;
	pthread_mutex_unlock(&ex_lock);
	return n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits until the worker acknowledged `cores`; returns what it last acked. */
static double wait_worker_cpu(struct brink_unit *u, double cores)
{
	double end = now_s() + 2, got = -1;
	while (now_s() < end) {
		got = info_of(u).worker_cpu;
		if (got > cores - 1e-6 && got < cores + 1e-6)
			break;
		usleep(1000);
	}
	return got;
}

static int pidfd_open_(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ---- tests ---- */

static void test_namespaces_and_privileges(void **state)
{
	(void)state;
	struct brink_unit *u = start_unit(101, 0.5, 64 << 20);
	struct brink_unit_info in = info_of(u);
	assert_true(in.pid > 1);
	const char *ns[] = {"pid", "net", "ipc", "uts", "mnt"};
	for (size_t i = 0; i < 5; i++) {
		char a[128], b[128], la[64] = "", lb[64] = "";
		snprintf(a, sizeof(a), "/proc/self/ns/%s", ns[i]);
		snprintf(b, sizeof(b), "/proc/%d/ns/%s", in.pid, ns[i]);
		assert_true(readlink(a, la, sizeof(la) - 1) > 0);
		assert_true(readlink(b, lb, sizeof(lb) - 1) > 0);
		assert_string_not_equal(la, lb);
	}
	char v[128];
	proc_line(in.pid, "status", "Uid:", v, sizeof(v));
	assert_true(strtol(v, NULL, 10) != 0);
	assert_null(strstr(v, "\t0\t"));
	proc_line(in.pid, "status", "Gid:", v, sizeof(v));
	assert_true(strtol(v, NULL, 10) != 0);
	proc_line(in.pid, "status", "NoNewPrivs:", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 1);
	proc_line(in.pid, "status", "Seccomp:", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 2);
	const char *caps[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
	for (size_t i = 0; i < 5; i++) {
		proc_line(in.pid, "status", caps[i], v, sizeof(v));
		assert_int_equal(strtoull(v, NULL, 16), 0);
	}
	proc_line(in.pid, "limits", "Max core file size", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 0);
	proc_line(in.pid, "limits", "Max open files", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 64);
	proc_line(in.pid, "limits", "Max processes", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 8);
	proc_line(in.pid, "limits", "Max file size", v, sizeof(v));
	assert_int_equal(strtol(v, NULL, 10), 0);
	/* Its /proc is its own pid namespace's: one process, itself as 1. */
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root/proc", in.pid);
	DIR *d = opendir(root);
	assert_non_null(d);
	int pids = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		pids += e->d_name[0] >= '0' && e->d_name[0] <= '9';
	closedir(d);
	assert_int_equal(pids, 1);
	stop_unit(u);
}

static void test_cgroup_limits(void **state)
{
	(void)state;
	struct brink_unit *u = start_unit(102, 0.5, 64 << 20);
	struct brink_unit_info in = info_of(u);
	char cpu[512], mem[512], acct[512];
	cgroup_dir(in.pid, "cpu", cpu, sizeof(cpu));
	cgroup_dir(in.pid, "memory", mem, sizeof(mem));
	cgroup_dir(in.pid, "cpuacct", acct, sizeof(acct));
	assert_non_null(strstr(cpu, "/brink/"));
	assert_non_null(strstr(cpu, "/unit-102"));
	assert_non_null(strstr(mem, "/unit-102"));
	assert_non_null(strstr(acct, "/unit-102"));
	assert_string_equal(in.cgroup, cpu);
	assert_int_equal(read_long(cpu, "cpu.cfs_quota_us"), 50000);
	assert_int_equal(read_long(cpu, "cpu.cfs_period_us"), 100000);
	assert_int_equal(read_long(mem, "memory.limit_in_bytes"), 64 << 20);
	assert_true(in.cpu_quota > 0.4999 && in.cpu_quota < 0.5001);
	assert_true(in.cpu_usage_ns > 0);
	assert_true(in.memory_bytes > 0);
	stop_unit(u);
	assert_int_equal(access(cpu, F_OK), -1);
	assert_int_equal(access(mem, F_OK), -1);
	assert_int_equal(access(acct, F_OK), -1);
}

static void test_set_cpu(void **state)
{
	(void)state;
	struct brink_unit *u = start_unit(103, 0.5, 64 << 20);
	/* start() tells the worker its first quota. */
	assert_true(wait_worker_cpu(u, 0.5) > 0.4999);
	struct brink_error *err = NULL;
	assert_int_equal(ops->set_cpu(fx.rt, u, 1.25, &err), 0);
	struct brink_unit_info in = info_of(u);
	assert_int_equal(read_long(in.cgroup, "cpu.cfs_quota_us"), 125000);
	assert_true(in.cpu_quota > 1.2499 && in.cpu_quota < 1.2501);
	double acked = wait_worker_cpu(u, 1.25);
	assert_true(acked > 1.2499 && acked < 1.2501);
	assert_int_equal(ops->set_cpu(fx.rt, u, -1, &err), -1);
	assert_int_equal(err->code, BRINK_E_INVALID);
	brink_error_free(&err);
	stop_unit(u);
}

static void test_kill9_reports_exit(void **state)
{
	(void)state;
	struct brink_unit *u = start_unit(104, 0.5, 64 << 20);
	struct brink_unit_info in = info_of(u);
	char cpu[512];
	snprintf(cpu, sizeof(cpu), "%s", in.cgroup);
	int before = exit_calls();
	assert_int_equal(kill(in.pid, SIGKILL), 0);
	assert_int_equal(wait_exit_call(before, 3000), before + 1);
	pthread_mutex_lock(&ex_lock);
	assert_int_equal(ex_id, 104);
	assert_non_null(strstr(ex_reason, "signal 9"));
	pthread_mutex_unlock(&ex_lock);
	/* Reaped already: no zombie, and the handle is still valid. */
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/%d", in.pid);
	assert_int_equal(access(proc, F_OK), -1);
	assert_int_equal(info_of(u).pid, 0);
	struct brink_error *err = NULL;
	assert_int_equal(ops->set_cpu(fx.rt, u, 1, &err), -1);
	assert_int_equal(err->code, BRINK_E_CONFLICT);
	brink_error_free(&err);
	stop_unit(u);
	assert_int_equal(access(cpu, F_OK), -1);
	assert_int_equal(exit_calls(), before + 1);
}

static void test_stop_is_clean(void **state)
{
	(void)state;
	int before = exit_calls();
	struct brink_unit *u = start_unit(105, 0.2, 64 << 20);
	struct brink_unit_info in = info_of(u);
	char mem[512];
	cgroup_dir(in.pid, "memory", mem, sizeof(mem));
	int pfd = pidfd_open_(in.pid);
	assert_true(pfd >= 0);
	double t0 = now_s();
	stop_unit(u);
	/* The worker exits on STOP: well inside the 500 ms grace. */
	assert_true(now_s() - t0 < 0.3);
	struct pollfd p = {pfd, POLLIN, 0};
	assert_int_equal(poll(&p, 1, 0), 1);
	close(pfd);
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/%d", in.pid);
	assert_int_equal(access(proc, F_OK), -1);
	assert_int_equal(access(in.cgroup, F_OK), -1);
	assert_int_equal(access(mem, F_OK), -1);
	usleep(50000);
	assert_int_equal(exit_calls(), before); /* a stop is not an exit */
}

/* stop() racing a natural exit: no double reap, no use after free (run it
 * under ASan), at most one on_exit() per unit, nothing left behind. */
static void test_stop_races_exit(void **state)
{
	(void)state;
	int before = exit_calls();
	for (int i = 0; i < 20; i++) {
		struct brink_unit *u = start_unit(400 + (uint64_t)i, 0.2, 64 << 20);
		struct brink_unit_info in = info_of(u);
		assert_int_equal(kill(in.pid, SIGKILL), 0);
		if (i % 2)
			usleep((useconds_t)(i * 100));
		stop_unit(u);
		assert_int_equal(access(in.cgroup, F_OK), -1);
	}
	usleep(100000);
	assert_true(exit_calls() - before <= 20);
}

static void test_many_units(void **state)
{
	(void)state;
	struct brink_unit *u[8];
	int before = exit_calls();
	for (int i = 0; i < 8; i++)
		u[i] = start_unit(200 + (uint64_t)i, 0.1, 64 << 20);
	for (int i = 0; i < 8; i++)
		assert_true(info_of(u[i]).pid > 0);
	for (int i = 0; i < 8; i++)
		stop_unit(u[i]);
	assert_int_equal(exit_calls(), before);
}

/* What restart_hook() did, on the watcher thread (no cmocka asserts there). */
static struct brink_unit *hook_victim, *hook_started;
static int hook_stop_rc = 1, hook_start_rc = 1;

static void restart_hook(uint64_t id)
{
	struct brink_unit_spec spec = {.id = id + 1000, .tenant = "t1", .kind = "forward",
					       .cpu = 0.3, .model_fd = -1, .memory_bytes = 64 << 20};
	hook_stop_rc = ops->stop(fx.rt, hook_victim, NULL);
	hook_start_rc = ops->start(fx.rt, &spec, &hook_started, NULL);
}

/* The control plane calls start() holding the lock its on_exit() waits for,
 * and calls stop() and start() from inside on_exit(): neither may deadlock. */
static void test_callbacks_do_not_deadlock(void **state)
{
	(void)state;
	alarm(20); /* a deadlock kills the test instead of hanging it */
	hook_victim = start_unit(301, 0.3, 64 << 20);
	int pid = info_of(hook_victim).pid;
	exit_hook = restart_hook;
	int before = exit_calls();
	pthread_mutex_lock(&cp_lock);
	assert_int_equal(kill(pid, SIGKILL), 0);
	usleep(100000); /* the watcher is now inside on_exit(), waiting for cp_lock */
	struct brink_unit *b = start_unit(302, 0.3, 64 << 20);
	pthread_mutex_unlock(&cp_lock);
	assert_int_equal(wait_exit_call(before, 5000), before + 1);
	exit_hook = NULL;
	assert_int_equal(hook_stop_rc, 0);
	assert_int_equal(hook_start_rc, 0);
	assert_true(info_of(hook_started).pid > 0);
	assert_true(info_of(b).pid > 0);
	stop_unit(b);
	stop_unit(hook_started);
	alarm(0);
}

struct starter {
	pthread_t t;
	uint64_t id;
	struct brink_unit *u;
	int rc;
};

static void *starter_main(void *arg)
{
	struct starter *st = arg;
	struct brink_unit_spec spec = {.id = st->id, .tenant = "t1", .kind = "forward",
					       .cpu = 0.2, .model_fd = -1, .memory_bytes = 64 << 20};
	struct brink_error *err = NULL;
	st->rc = ops->start(fx.rt, &spec, &st->u, &err);
	if (err)
		fprintf(stderr, "start %d: %s\n", (int)st->id, err->msg);
	brink_error_free(&err);
	return NULL;
}

/* Starts from several threads at once: more than the namespace pool holds,
 * so some take pooled network namespaces and some make their own. */
static void test_concurrent_starts(void **state)
{
	(void)state;
	struct starter st[8];
	for (int i = 0; i < 8; i++) {
		st[i] = (struct starter){.id = 500 + (uint64_t)i, .rc = -2};
		assert_int_equal(pthread_create(&st[i].t, NULL, starter_main, &st[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_join(st[i].t, NULL), 0);
	char net[8][64];
	for (int i = 0; i < 8; i++) {
		assert_int_equal(st[i].rc, 0);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/net", info_of(st[i].u).pid);
		memset(net[i], 0, sizeof(net[i]));
		assert_true(readlink(path, net[i], sizeof(net[i]) - 1) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(net[i], net[j]); /* each its own */
	}
	for (int i = 0; i < 8; i++)
		stop_unit(st[i].u);
}

static void test_reap_orphans(void **state)
{
	(void)state;
	struct brink_unit *live = start_unit(106, 0.5, 64 << 20);
	struct brink_unit_info in = info_of(live);
	char dirs[3][512], leftover[3][600];
	const char *ctl[] = {"cpu", "cpuacct", "memory"};
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	for (int i = 0; i < 3; i++) {
		cgroup_dir(in.pid, ctl[i], dirs[i], sizeof(dirs[i]));
		*strrchr(dirs[i], '/') = '\0';
		snprintf(leftover[i], sizeof(leftover[i]), "%s/unit-999", dirs[i]);
		assert_int_equal(mkdir(leftover[i], 0755), 0);
		char procs[700];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", leftover[i]);
		FILE *f = fopen(procs, "w");
		assert_non_null(f);
		fprintf(f, "%d\n", (int)child);
		assert_int_equal(fclose(f), 0);
	}
	struct brink_error *err = NULL;
	assert_int_equal(ops->reap_orphans(fx.rt, &err), 1);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(access(leftover[i], F_OK), -1);
	/* The live unit was left alone. */
	assert_int_equal(info_of(live).pid, in.pid);
	assert_int_equal(kill(in.pid, 0), 0);
	stop_unit(live);
	assert_int_equal(ops->reap_orphans(fx.rt, &err), 0);
}

static void test_bad_spec(void **state)
{
	(void)state;
	struct brink_unit_spec spec = {.id = 107, .tenant = "t1", .kind = "forward",
					       .cpu = 0, .model_fd = -1, .memory_bytes = 1 << 20};
	struct brink_unit *u = NULL;
	struct brink_error *err = NULL;
	assert_int_equal(ops->start(fx.rt, &spec, &u, &err), -1);
	assert_int_equal(err->code, BRINK_E_INVALID);
	brink_error_free(&err);
	assert_null(u);
}

/* Starts a driver whose "worker" is a script; returns start()'s error. */
static struct brink_error *start_with_script(const char *script, unsigned timeout_ms)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/fake-worker", fx.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	struct brink_runtime_config cfg = fx.cfg;
	cfg.worker_path = path;
	cfg.start_timeout_ms = timeout_ms;
	struct brink_runtime *rt = NULL;
	struct brink_error *err = NULL;
	assert_int_equal(ops->init(&cfg, &rt, &err), 0);
	struct brink_unit_spec spec = {.id = 108, .tenant = "t1", .kind = "forward",
					       .cpu = 0.5, .model_fd = -1, .memory_bytes = 64 << 20};
	struct brink_unit *u = NULL;
	assert_int_equal(ops->start(rt, &spec, &u, &err), -1);
	assert_null(u);
	/* Nothing left behind: no cgroup for unit 108. */
	assert_int_equal(ops->reap_orphans(rt, NULL), 0);
	ops->fini(rt);
	return err;
}

static void test_start_early_exit(void **state)
{
	(void)state;
	struct brink_error *err =
		start_with_script("#!/bin/sh\necho 'no model here' >&2\nexit 3\n", 3000);
	assert_non_null(strstr(err->msg, "exited with status 3 before READY"));
	assert_non_null(strstr(err->msg, "no model here"));
	assert_non_null(strstr(err->msg, "unit 108"));
	brink_error_free(&err);
}

static void test_start_timeout(void **state)
{
	(void)state;
	double t0 = now_s();
	struct brink_error *err = start_with_script("#!/bin/sh\nexec sleep 30\n", 200);
	assert_true(now_s() - t0 < 2);
	assert_non_null(strstr(err->msg, "not ready after 200 ms"));
	brink_error_free(&err);
}

static void test_init_unavailable(void **state)
{
	(void)state;
	struct brink_runtime_config cfg = fx.cfg;
	struct brink_runtime *rt = NULL;
	struct brink_error *err = NULL;
	cfg.worker_path = "/nonexistent/brink-worker";
	assert_int_equal(ops->init(&cfg, &rt, &err), -1);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "/nonexistent/brink-worker"));
	brink_error_free(&err);
	cfg.worker_path = "build/brink-worker";
	assert_int_equal(ops->init(&cfg, &rt, &err), -1);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	brink_error_free(&err);
	cfg.worker_path = fx.worker;
	cfg.cgroup_root = fx.dir; /* no cgroup there */
	assert_int_equal(ops->init(&cfg, &rt, &err), -1);
	assert_int_equal(err->code, BRINK_E_UNAVAILABLE);
	brink_error_free(&err);
	/* Not root. */
	cfg.cgroup_root = "";
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		int rc = ops->init(&cfg, &rt, &err);
		_exit(rc == -1 && err->code == BRINK_E_UNAVAILABLE && strstr(err->msg, "root") ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Runs the worker outside any sandbox on a fresh socketpair (control fd
 * given in argv, or in BRINK_WORKER_FD when use_env); returns brinkd's end. */
static int run_worker(pid_t *pid, bool use_env)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	*pid = fork();
	if (*pid == 0) {
		dup2(sv[1], 5);
		if (use_env) {
			setenv("BRINK_WORKER_FD", "5", 1);
			execl(fx.worker, fx.worker, (char *)NULL);
		}
		execl(fx.worker, fx.worker, "--fd", "5", "--unit", "9", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	return sv[0];
}

static void expect_frame(int fd, enum brink_wire_type type, struct brink_wire_frame *f,
			 uint8_t *buf, size_t size)
{
	struct pollfd p = {fd, POLLIN, 0};
	assert_int_equal(poll(&p, 1, 3000), 1);
	ssize_t n = recv(fd, buf, size, 0);
	assert_true(n > 0);
	assert_int_equal(brink_wire_parse_msg(buf, (size_t)n, f), BRINK_WIRE_OK);
	assert_int_equal(f->type, type);
}

static int wait_status(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void send_all(int fd, const void *buf, size_t n)
{
	assert_int_equal(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The worker's side of the protocol, without the sandbox. */
static void test_worker_protocol(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct brink_wire_frame f;
	struct brink_wire_ready r;
	struct brink_wire_cpu c = {25000, 100000}, back;
	pid_t pid;
	int fd = run_worker(&pid, false);
	expect_frame(fd, BRINK_WIRE_READY, &f, buf, sizeof(buf));
	assert_int_equal(brink_wire_ready_decode(&f, &r), BRINK_WIRE_OK);
	assert_int_equal(r.features & BRINK_WIRE_F_SECCOMP, 0); /* no filter given */
	assert_int_equal(r.max_frame, BRINK_WIRE_MAX_FRAME);
	size_t n = brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU, &c);
	send_all(fd, buf, n);
	expect_frame(fd, BRINK_WIRE_CPU_ACK, &f, buf, sizeof(buf));
	assert_int_equal(brink_wire_cpu_decode(&f, &back), BRINK_WIRE_OK);
	assert_int_equal(back.quota_us, 25000);
	assert_int_equal(back.period_us, 100000);
	/* A frame it has no use for is ignored; then STOP: exit 0. */
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_RESULTS, "\0\0\0\0", 4);
	send_all(fd, buf, n);
	n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
	send_all(fd, buf, n);
	assert_int_equal(wait_status(pid), 0);
	close(fd);

	/* brinkd goes away: exit 0. */
	fd = run_worker(&pid, true);
	expect_frame(fd, BRINK_WIRE_READY, &f, buf, sizeof(buf));
	close(fd);
	assert_int_equal(wait_status(pid), 0);

	/* A malformed frame: exit 2. */
	fd = run_worker(&pid, false);
	expect_frame(fd, BRINK_WIRE_READY, &f, buf, sizeof(buf));
	send_all(fd, "garbage!", 8);
	assert_int_equal(wait_status(pid), 2);
	close(fd);

	/* No usable control fd: exit 1. */
	pid = fork();
	if (pid == 0) {
		execl(fx.worker, fx.worker, "--fd", "0", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(wait_status(pid), 1);
}

/* The filter itself: loaded in a child, what it lets through. */
static void test_seccomp_filter(void **state)
{
	(void)state;
	struct brink_error *err = NULL;
	int fd = seccomp__worker_filter(&err);
	assert_true(fd >= 0);
	/* Sealed: nobody can change it. */
	assert_int_equal(write(fd, "x", 1), -1);
	pid_t pid = fork();
	if (pid == 0) {
		static struct sock_filter insns[BPF_MAXINSNS];
		ssize_t n = pread(fd, insns, sizeof(insns), 0);
		struct sock_fprog prog = {(unsigned short)(n / 8), insns};
		if (n <= 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(100);
		int bad = 0;
		char *argv[] = {(char *)"/bin/true", NULL};
		if (execve("/bin/true", argv, argv + 1) != -1 || errno != EPERM)
			bad |= 1;
		if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EPERM)
			bad |= 2;
		if (open("/etc/hostname", O_RDONLY) != -1 || errno != EPERM)
			bad |= 4;
		if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
			    MAP_FAILED ||
		    errno != EPERM)
			bad |= 8;
		if (syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM)
			bad |= 16;
		if (syscall(SYS_clone3, NULL, 0) != -1 || errno != EPERM)
			bad |= 32;
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || getpid() <= 0)
			bad |= 64;
		_exit(bad);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(fd);
}

/* A forward worker turns every RECORDS record into a RESULTS line. */
static void test_forward_data_channel(void **state)
{
	(void)state;
	struct brink_unit *u = start_unit(120, 0.5, 64 << 20);
	int fd = ops->data_fd(fx.rt, u);
	assert_true(fd >= 0);
	uint8_t buf[BRINK_WIRE_MAX_FRAME];
	struct brink_wire_batch b;
	const char *recs[] = {"temp-1\n{\"temp\":\"31.2\"}", "hum-2\n{}", "bad record"};
	assert_int_equal(brink_wire_batch_begin(&b, buf, sizeof(buf), BRINK_WIRE_RECORDS), BRINK_WIRE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(brink_wire_batch_add(&b, (uint64_t)i, 1500000000123456789ull, recs[i],
						      (uint32_t)strlen(recs[i])),
				 BRINK_WIRE_OK);
	size_t n = brink_wire_batch_end(&b);
	assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
	ssize_t got = recv(fd, buf, sizeof(buf), 0);
	assert_true(got > 0);
	struct brink_wire_frame f;
	struct brink_wire_record_iter it;
	struct brink_wire_record r;
	assert_int_equal(brink_wire_parse_msg(buf, (size_t)got, &f), BRINK_WIRE_OK);
	assert_int_equal(f.type, BRINK_WIRE_RESULTS);
	assert_int_equal(brink_wire_records_begin(&f, &it), BRINK_WIRE_OK);
	const char *want[] = {
		"{\"thing\":\"temp-1\",\"received\":1500000000.123456,\"temp\":\"31.2\"}",
		"{\"thing\":\"hum-2\",\"received\":1500000000.123456}"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(brink_wire_records_next(&it, &r), BRINK_WIRE_OK);
		assert_int_equal(r.seq, (uint64_t)i);
		assert_int_equal(r.length, strlen(want[i]));
		assert_memory_equal(r.data, want[i], r.length);
	}
	/* the malformed third record is dropped, not echoed */
	assert_int_equal(brink_wire_records_next(&it, &r), BRINK_WIRE_END);
	stop_unit(u);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_sandbox: needs root\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespaces_and_privileges),
		cmocka_unit_test(test_cgroup_limits),
		cmocka_unit_test(test_set_cpu),
		cmocka_unit_test(test_forward_data_channel),
		cmocka_unit_test(test_kill9_reports_exit),
		cmocka_unit_test(test_stop_is_clean),
		cmocka_unit_test(test_stop_races_exit),
		cmocka_unit_test(test_many_units),
		cmocka_unit_test(test_callbacks_do_not_deadlock),
		cmocka_unit_test(test_concurrent_starts),
		cmocka_unit_test(test_reap_orphans),
		cmocka_unit_test(test_bad_spec),
		cmocka_unit_test(test_start_early_exit),
		cmocka_unit_test(test_start_timeout),
		cmocka_unit_test(test_init_unavailable),
		cmocka_unit_test(test_seccomp_filter),
		cmocka_unit_test(test_worker_protocol),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
