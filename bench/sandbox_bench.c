/* Sandbox start latency (DESIGN.md budget: start -> ready <= 5 ms p50).
 *
 *   sandbox_bench WORKER [N]     (PAUSE_MS=k: pause k ms between rounds)
 *
 * Measures, interleaved in one run, N times each:
 *   sandbox  the driver's start() until it returns (worker READY, checked
 *            confined), then stop() (timed separately);
 *   bare     fork + exec of the same worker, no sandbox, until it sends READY;
 * then the parts of a sandboxed start on their own (clone with the
 * namespaces, cgroup create + remove, seccomp compile), to show where the
 * time goes. Exits 1 when the sandbox p50 is over budget. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "brink/wire.h"
#include "runtime/cgroup-internal.h"
#include "runtime/runtime.h"
#include "runtime/seccomp-internal.h"

#define BUDGET_P50_MS 5.0

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	int i = (n * p + 99) / 100 - 1;
	return v[i < 0 ? 0 : i];
}

static void report(const char *what, double *v, int n)
{
	double p50 = pct(v, n, 50), p99 = pct(v, n, 99);
	printf("  %-34s p50 %7.3f ms   p99 %7.3f ms\n", what, p50, p99);
}

static void die(const char *what, struct brink_error *err)
{
	fprintf(stderr, "sandbox_bench: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(2);
}

/* fork + exec of the worker without any sandbox until READY; then STOP. */
static double bare_start(const char *worker)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair", NULL);
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		execl(worker, worker, "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	uint8_t buf[64];
	struct brink_wire_frame f;
	ssize_t n = recv(sv[0], buf, sizeof(buf), 0);
	double t = now_ms() - t0;
	if (n <= 0 || brink_wire_parse_msg(buf, (size_t)n, &f) != BRINK_WIRE_OK ||
	    f.type != BRINK_WIRE_READY)
		die("bare worker sent no READY", NULL);
	n = (ssize_t)brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
	if (send(sv[0], buf, (size_t)n, MSG_NOSIGNAL) != n)
		die("send STOP", NULL);
	waitpid(pid, NULL, 0);
	close(sv[0]);
	return t;
}

static double clone_ns(unsigned long flags)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	double t0 = now_ms();
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	double t = now_ms() - t0;
	waitpid((pid_t)pid, NULL, 0);
	return t;
}

static void breakdown(int n, const char *data_dir)
{
	double *v = calloc((size_t)n, sizeof(double));
	struct brink_error *err = NULL;
	printf("where a sandboxed start goes (each alone, n=%d):\n", n);
	for (int i = 0; i < n; i++)
		v[i] = clone_ns(0);
	report("clone3, no namespace (parent side)", v, n);
	for (int i = 0; i < n; i++)
		v[i] = clone_ns(CLONE_NEWNET);
	report("clone3, CLONE_NEWNET", v, n);
	for (int i = 0; i < n; i++)
		v[i] = clone_ns(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
	report("clone3, pid+ipc+uts+mnt", v, n);
	struct cgroup_layout l;
	char inst[64];
	snprintf(inst, sizeof(inst), "bench-%d", (int)getpid());
	if (cgroup__detect("", inst, &l, &err) < 0 || cgroup__prepare(&l, &err) < 0)
		die("cgroup", err);
	double *w = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		struct cgroup_unit u;
		double t0 = now_ms();
		if (cgroup__create(&l, (uint64_t)i, 0.5, 64 << 20, &u, &err) < 0)
			die("cgroup create", err);
		double t1 = now_ms();
		cgroup__remove(&u, 1000, NULL);
		v[i] = t1 - t0;
		w[i] = now_ms() - t1;
	}
	report("cgroup create (mkdir x3 + limits)", v, n);
	report("cgroup remove", w, n);
	cgroup__unprepare(&l);
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int fd = seccomp__worker_filter(&err);
		v[i] = now_ms() - t0;
		if (fd < 0)
			die("seccomp", err);
		close(fd);
	}
	report("seccomp compile (once per brinkd)", v, n);
	(void)data_dir;
	free(v);
	free(w);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sandbox_bench WORKER [N]\n");
		return 2;
	}
	const char *worker = argv[1];
	int n = argc > 2 ? atoi(argv[2]) : 200;
	if (n < 1)
		n = 200;
	brink_log_threshold = BRINK_LOG_WARN;
	char dir[] = "/tmp/brink-bench-XXXXXX";
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		die("mkdtemp", NULL);
	const struct brink_runtime_ops *ops = brink_runtime_find("sandbox");
	struct brink_runtime_config cfg = {.data_dir = dir, .worker_path = worker, .cgroup_root = "",
					   .start_timeout_ms = 5000};
	struct brink_runtime *rt;
	struct brink_error *err = NULL;
	double t0 = now_ms();
	if (ops->init(&cfg, &rt, &err) < 0)
		die("init", err);
	double init_ms = now_ms() - t0;

	double *sbx = calloc((size_t)n, sizeof(double)), *stop = calloc((size_t)n, sizeof(double));
	double *bare = calloc((size_t)n, sizeof(double));
	int pause_ms = getenv("PAUSE_MS") ? atoi(getenv("PAUSE_MS")) : 0;
	for (int i = -5; i < n; i++) { /* 5 warm-up rounds */
		struct brink_unit_spec spec = {.id = 1000 + (uint64_t)(i + 5), .tenant = "bench",
					       .kind = "forward", .cpu = 0.5, .model_fd = -1, .memory_bytes = 64 << 20};
		struct brink_unit *u;
		double a = now_ms();
		if (ops->start(rt, &spec, &u, &err) < 0)
			die("start", err);
		double b = now_ms();
		if (ops->stop(rt, u, &err) < 0)
			die("stop", err);
		double c = now_ms();
		if (pause_ms > 0)
			usleep((useconds_t)pause_ms * 1000);
		double d = bare_start(worker);
		if (i >= 0) {
			sbx[i] = b - a;
			stop[i] = c - b;
			bare[i] = d;
		}
	}
	ops->fini(rt);
	double s50 = pct(sbx, n, 50), b50 = pct(bare, n, 50);
	printf("sandbox start -> READY, %d starts interleaved with %d bare starts (%s)%s:\n", n, n,
	       worker, pause_ms ? ", paced" : ", back to back");
	report("sandbox start() -> READY", sbx, n);
	report("bare fork+exec -> READY", bare, n);
	report("sandbox stop()", stop, n);
	printf("  ratio sandbox/bare p50: %.2fx   driver init: %.2f ms\n", s50 / b50, init_ms);
	breakdown(n < 100 ? n : 100, dir);
	int ok = s50 <= BUDGET_P50_MS;
	printf("budget: start p50 <= %.1f ms: %.3f ms %s\n", BUDGET_P50_MS, s50, ok ? "PASS" : "FAIL");
	rmdir(dir);
	return ok ? 0 : 1;
}
