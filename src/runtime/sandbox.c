/* The sandbox runtime: one brink-worker process per unit, in its own pid,
 * net, ipc, uts and mount namespaces and its own cgroup, with rlimits, no
 * privileges, no_new_privs and a seccomp allow-list (see seccomp-internal.h
 * for where the filter is loaded and why).
 *
 * Threads. A watcher thread owns an epoll set over every unit's pidfd,
 * control socket and log socket, and calls on_exit(). A spawner thread
 * performs every clone: a worker's PR_SET_PDEATHSIG fires when the *thread*
 * that created it exits, and this thread lives exactly as long as the driver,
 * while callers' threads may not. It is not the watcher, because the control
 * plane calls start() holding the lock that on_exit() takes: the spawner
 * never calls out and never waits on anything but its queue. Between spawns
 * it refills a pool of network namespaces. start() queues a request and
 * waits for READY on its own thread, so one slow start does not stall others.
 *
 * Unit lifetime. A unit joins the driver's table (keyed by a token that is
 * never reused, and that is what epoll events carry) once it is ready. The
 * watcher touches a unit only under rt->lock and only while it is in the
 * table in state RUNNING; when the worker exits on its own the watcher reaps
 * it there (state EXITED), then calls on_exit() after dropping the lock.
 * stop() takes the unit out of the table under the lock first; from then on
 * only stop() touches it and, unless the watcher already did, reaps it. So
 * there is exactly one reap, and stop() never waits for the watcher. A
 * consequence callers should know: when a worker dies just before stop(),
 * on_exit() for it may arrive after stop() returned (info() on a live unit
 * reports pid != 0, so a caller can tell a stale call from a live one).
 *
 * Worker descriptors after exec: 0 and 1 /dev/null, 2 a datagram socket
 * whose lines brinkd relays into its own log (so the worker needs no file and
 * RLIMIT_FSIZE can be 0), 3 the control socket, 4 the seccomp filter, 5 the
 * data channel, 6 an analyze unit's model (a sealed memfd; else /dev/null).
 *
 * Model checks. check_model() runs the worker in its check mode
 * (--check-model) exactly as a unit: same namespaces, uid, rlimits, cgroup
 * and seccomp filter; it answers with one MODEL frame instead of READY and
 * is then killed and its cgroup removed. Untrusted model files are parsed
 * only there, never in brinkd. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <uthash.h>
#include <unistd.h>

#include "brink/log.h"
#include "brink/wire.h"
#include "core/config.h"
#include "runtime/cgroup-internal.h"
#include "runtime/runtime.h"
#include "runtime/seccomp-internal.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define NS_FLAGS (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS)
/* Each unit runs as its own uid (and gid): UID_BASE + id % UID_SPAN, so that
 * RLIMIT_NPROC, which the kernel counts per uid, bounds one unit. */
#define UID_BASE 2000000000u
#define UID_SPAN 100000000u
/* Where a start goes (bench/bench-sandbox.sh, 2 vCPUs, p50): clone3 with
 * pid+ipc+uts+mnt namespaces 0.2 ms, plus a network namespace 0.7 ms (p99
 * several ms while the kernel tears others down); cgroup mkdir x3 + limits
 * 0.3 ms; moving the worker into its v1 cgroups 0.1 ms (p99 up to ~10 ms:
 * the kernel's cgroup_threadgroup_rwsem); exec of the worker until READY
 * ~0.8 ms, as without a sandbox. Hence: the spawner thread keeps a few fresh,
 * never used network namespaces (a worker joins one with setns(); a start
 * that finds the pool empty creates its own), the cgroup is made while the
 * spawner clones, and brinkd moves the child into it while the child sets
 * itself up (the child waits for that before execve, so that exec's memory
 * is charged to the unit). Start p50 went from 3.1 ms to ~2.3 ms, ~1 ms over
 * a bare fork+exec. */
#define NETNS_POOL 4
/* Until READY a unit runs only brink-worker's own start-up (exec, dynamic
 * loading, seccomp), so it gets at least this much CPU and its assignment
 * only then: capped at 0.01 cores from the start, a worker spent ~45 ms
 * throttled inside the dynamic loader (strace of a REST start). */
#define STARTUP_CORES 1.0
#define STOP_GRACE_MS 500
#define DEFAULT_START_TIMEOUT_MS 5000
#define CGROUP_REMOVE_WAIT_MS 2000
#define EXIT_SETUP_FAILED 126 /* the child failed before exec (message on fd 2) */
#define EXIT_EXEC_FAILED 127

enum { WFD_STDIN, WFD_STDOUT, WFD_LOG, WFD_CONTROL, WFD_SECCOMP, WFD_DATA, WFD_MODEL, WFD_COUNT };
#define CHECK_MAX_TEXT (BRINK_WIRE_MAX_PAYLOAD - 1)
enum { EV_PID, EV_CTL, EV_LOG };        /* low 2 bits of an epoll token */
enum unit_state { UNIT_STARTING, UNIT_RUNNING, UNIT_EXITED, UNIT_STOPPING };

struct brink_unit {
	uint64_t id, token;
	pid_t pid;
	int pidfd, sock, logfd;
	int datafd; /* brinkd's end of the data channel (RECORDS/RESULTS) */
	struct cgroup_unit cg;
	bool has_cg;
	/* Under rt->lock while in rt->units. */
	enum unit_state state;
	double worker_cpu;
	long long quota_us; /* the CPU quota applied, 0 before the first */
	struct brink_wire_stats stats; /* an analyze worker's last STATS */
	UT_hash_handle hh;
};

/* A spawn request: built by start(), carried out by the driver thread, read
 * by the child between clone and exec (async-signal-safe code only). */
struct spawn {
	const char *path;
	char *argv[24], **envp;
	char unit[24];
	char kind[16];
	char format[16];
	int fds[WFD_COUNT]; /* what becomes the worker's 0..5 */
	int netns;          /* a pooled network namespace, or -1: a new one */
	uid_t uid;
	/* Results. */
	pid_t pid;
	int pidfd, err;
	bool done;
	struct spawn *next;
};

struct brink_runtime {
	struct brink_runtime_config cfg;
	char *worker_path;
	struct cgroup_layout cg;
	int seccomp_fd, devnull;
	char *dynmods_dir;         /* favordynmods mounted there (cgroup-dynmods.c); NULL: off */
	char *envp[4];
	pthread_t watcher, spawner;
	bool watcher_started, spawner_started;
	int epfd, evfd;            /* the watcher's epoll set; evfd wakes it to quit */
	pthread_mutex_t lock;
	pthread_cond_t work;       /* for the spawner: a request, a pool slot free, quit */
	pthread_cond_t spawned;    /* a request was served */
	struct spawn *queue;       /* under lock */
	int netns[NETNS_POOL], nnetns; /* under lock */
	bool pool_off;             /* under lock: namespaces cannot be pooled */
	int starting;              /* under lock: start() calls in flight */
	struct brink_unit *units;  /* under lock: ready units by token */
	uint64_t next_token;       /* under lock */
	bool quit;                 /* under lock */
	uint8_t rx[BRINK_WIRE_MAX_FRAME]; /* the driver thread's receive buffer */
};

/* ---- time and small helpers ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Describes a wait status: "exited with status 3", "killed by signal 9 (...)". */
static void describe_exit(const siginfo_t *si, long oom_kills, char *buf, size_t size)
{
	if (si->si_code == CLD_EXITED) {
		snprintf(buf, size, "worker exited with status %d", si->si_status);
		return;
	}
	const char *why = strsignal(si->si_status);
	if (si->si_status == SIGKILL && oom_kills > 0)
		why = "out of memory";
	else if (si->si_status == SIGSYS)
		why = "seccomp violation";
	snprintf(buf, size, "worker killed by signal %d (%s)", si->si_status, why);
}

/* ---- the child, between clone and exec: async-signal-safe only ---- */

static size_t put_str(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

static size_t put_uint(char *buf, size_t n, size_t cap, unsigned long v)
{
	char tmp[24];
	size_t k = 0;
	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(tmp));
	while (k && n < cap)
		buf[n++] = tmp[--k];
	return n;
}

static __attribute__((noreturn)) void child_fail(int logfd, const char *step, int code)
{
	int e = errno;
	char msg[160];
	size_t n = put_str(msg, 0, sizeof(msg), "sandbox setup failed: ");
	n = put_str(msg, n, sizeof(msg), step);
	n = put_str(msg, n, sizeof(msg), ": errno ");
	n = put_uint(msg, n, sizeof(msg), (unsigned long)e);
	if (write(logfd, msg, n) < 0) {
		/* nothing more to say */
	}
	_exit(code);
}

/* Private propagation, and a /proc of the new pid namespace over the host's. */
static int setup_mounts(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* Moves s->fds[] to 0..WFD_COUNT-1 and closes every other descriptor. The
 * sources are first copied above the targets so no dup2 clobbers another. */
static int setup_fds(const struct spawn *s)
{
	int tmp[WFD_COUNT];
	for (int i = 0; i < WFD_COUNT; i++)
		if ((tmp[i] = fcntl(s->fds[i], F_DUPFD, WFD_COUNT)) < 0)
			return -1;
	for (int i = 0; i < WFD_COUNT; i++)
		if (dup2(tmp[i], i) < 0)
			return -1;
	return close_range(WFD_COUNT, ~0U, 0);
}

/* Handlers were cleared by CLONE_CLEAR_SIGHAND; ignored signals stay ignored
 * across exec, so reset those, and unblock everything. */
static void reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < 32; sig++) {
		struct sigaction sa;
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN) {
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
	}
}

static int set_rlimits(void)
{
	static const struct {
		int res;
		rlim_t max;
	} limits[] = {
		{RLIMIT_NOFILE, 64}, {RLIMIT_NPROC, 8},	   {RLIMIT_CORE, 0},
		{RLIMIT_FSIZE, 0},   {RLIMIT_MEMLOCK, 0}, {RLIMIT_MSGQUEUE, 0},
		{RLIMIT_LOCKS, 0},   {RLIMIT_NICE, 0},	   {RLIMIT_RTPRIO, 0},
	};
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(limits); i++) {
		struct rlimit rl = {limits[i].max, limits[i].max};
		if (setrlimit(limits[i].res, &rl) < 0)
			return -1;
	}
	return 0;
}

/* Raw syscalls: glibc's set*id would try to signal the parent's other
 * threads, which this copy of the process does not have. */
static int drop_privileges(uid_t id)
{
	if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, id, id, id) < 0)
		return -1;
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_setresuid, id, id, id) < 0)
		return -1;
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

/* Waits until brinkd has moved this process into its cgroup (one byte on
 * the control socket), so that everything exec allocates is charged there. */
static int wait_go(void)
{
	char c;
	ssize_t n;
	while ((n = recv(WFD_CONTROL, &c, 1, 0)) < 0 && errno == EINTR)
		;
	return n == 1 ? 0 : -1;
}

static __attribute__((noreturn)) void child_main(const struct spawn *s)
{
	int logfd = s->fds[WFD_LOG];
	if (s->netns >= 0 && setns(s->netns, CLONE_NEWNET) < 0)
		child_fail(logfd, "joining the network namespace", EXIT_SETUP_FAILED);
	if (setup_mounts() < 0)
		child_fail(logfd, "mounting /proc", EXIT_SETUP_FAILED);
	if (sethostname("brink-worker", 12) < 0)
		child_fail(logfd, "sethostname", EXIT_SETUP_FAILED);
	if (setup_fds(s) < 0)
		child_fail(logfd, "descriptors", EXIT_SETUP_FAILED);
	logfd = WFD_LOG;
	reset_signals();
	if (set_rlimits() < 0)
		child_fail(logfd, "rlimits", EXIT_SETUP_FAILED);
	if (drop_privileges(s->uid) < 0)
		child_fail(logfd, "dropping privileges", EXIT_SETUP_FAILED);
	/* After the uid change, which clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(logfd, "prctl", EXIT_SETUP_FAILED);
	if (wait_go() < 0)
		_exit(EXIT_SETUP_FAILED); /* brinkd gave up on this start */
	execve(s->path, s->argv, s->envp);
	child_fail(logfd, "exec", EXIT_EXEC_FAILED);
}

/* ---- the driver thread ---- */

static void do_spawn(struct spawn *s)
{
	int pidfd = -1;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = NS_FLAGS | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
	if (s->netns >= 0)
		ca.flags &= ~(uint64_t)CLONE_NEWNET;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = 0; /* no SIGCHLD: nobody's waitpid(-1) can take our workers */
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child_main(s);
	if (pid < 0) {
		s->err = errno;
		return;
	}
	s->pid = (pid_t)pid;
	s->pidfd = pidfd;
}

/* Relays one worker log line ("<time> brink-worker[1] <level>: <msg>") into
 * brinkd's log at the worker's level; anything else (a sanitizer report, a
 * setup failure) goes out as a warning. */
static void relay_line(uint64_t id, char *line)
{
	enum brink_log_level level;
	char *p = strstr(line, "] ");
	char *colon = p ? strstr(p + 2, ": ") : NULL;
	if (colon) {
		*colon = '\0';
		if (brink_log_parse_level(p + 2, &level) == 0) {
			brink_log(level, "unit %" PRIu64 ": %s", id, colon + 2);
			return;
		}
		*colon = ':';
	}
	log_warn("unit %" PRIu64 ": %s", id, line);
}

/* Relays what the worker wrote to its fd 2; keeps the last line in last[]. */
static void relay_logs(uint64_t id, int fd, char *last, size_t last_size)
{
	char buf[4096];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n <= 0)
			return;
		buf[n] = '\0';
		char *save = NULL;
		for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (last)
				snprintf(last, last_size, "%s", line);
			relay_line(id, line);
		}
	}
}

static void unwatch(struct brink_runtime *rt, struct brink_unit *u)
{
	epoll_ctl(rt->epfd, EPOLL_CTL_DEL, u->pidfd, NULL);
	epoll_ctl(rt->epfd, EPOLL_CTL_DEL, u->sock, NULL);
	epoll_ctl(rt->epfd, EPOLL_CTL_DEL, u->logfd, NULL);
}

static void on_frame(struct brink_unit *u, const uint8_t *buf, size_t n)
{
	struct brink_wire_frame f;
	struct brink_wire_cpu c;
	enum brink_wire_status st = brink_wire_parse_msg(buf, n, &f);
	if (st == BRINK_WIRE_OK && f.type == BRINK_WIRE_CPU_ACK &&
	    brink_wire_cpu_decode(&f, &c) == BRINK_WIRE_OK) {
		u->worker_cpu = c.quota_us ? (double)c.quota_us / c.period_us : 0;
		return;
	}
	if (st == BRINK_WIRE_OK && f.type == BRINK_WIRE_STATS &&
	    brink_wire_stats_decode(&f, &u->stats) == BRINK_WIRE_OK)
		return;
	log_warn("unit %" PRIu64 ": unexpected frame from the worker (%s, %s)", u->id,
		 st == BRINK_WIRE_OK ? brink_wire_type_name(f.type) : "-", brink_wire_status_name(st));
}

/* Reads the frames waiting on the control socket (watcher thread, locked);
 * at most 64 at a time, so one chatty worker cannot hold the lock. */
static void read_frames(struct brink_runtime *rt, struct brink_unit *u)
{
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(u->sock, rt->rx, sizeof(rt->rx), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* closed: the pidfd will tell the rest */
			epoll_ctl(rt->epfd, EPOLL_CTL_DEL, u->sock, NULL);
			return;
		}
		if ((size_t)n > sizeof(rt->rx))
			log_warn("unit %" PRIu64 ": oversized frame (%zd bytes) dropped", u->id, n);
		else
			on_frame(u, rt->rx, (size_t)n);
	}
}

/* Reaps u if its worker has exited (watcher thread, locked); returns true and
 * fills reason[] when it has. */
static bool reap_exited(struct brink_runtime *rt, struct brink_unit *u, char *reason, size_t size)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)u->pidfd, &si, WEXITED | WNOHANG | __WALL) < 0 ||
	    si.si_pid == 0)
		return false;
	relay_logs(u->id, u->logfd, NULL, 0);
	u->state = UNIT_EXITED;
	unwatch(rt, u);
	long oom = si.si_code == CLD_EXITED ? 0 : cgroup__oom_kills(&u->cg);
	describe_exit(&si, oom, reason, size);
	log_warn("unit %" PRIu64 ": %s", u->id, reason);
	return true;
}

static void on_event(struct brink_runtime *rt, uint64_t data)
{
	char reason[160];
	uint64_t id = 0;
	bool exited = false;
	struct brink_unit *u;
	uint64_t token = data >> 2;
	pthread_mutex_lock(&rt->lock);
	HASH_FIND(hh, rt->units, &token, sizeof(token), u);
	if (u && u->state == UNIT_RUNNING) {
		id = u->id;
		if ((data & 3) == EV_PID)
			exited = reap_exited(rt, u, reason, sizeof(reason));
		else if ((data & 3) == EV_CTL)
			read_frames(rt, u);
		else
			relay_logs(u->id, u->logfd, NULL, 0);
	}
	pthread_mutex_unlock(&rt->lock);
	if (exited && rt->cfg.on_exit)
		rt->cfg.on_exit(rt->cfg.ctx, id, reason);
}

static void *watcher_main(void *arg)
{
	struct brink_runtime *rt = arg;
	struct epoll_event evs[32];
	for (;;) {
		int n = epoll_wait(rt->epfd, evs, BRINK_ARRAY_SIZE(evs), -1);
		if (n < 0 && errno != EINTR) {
			log_error("sandbox: epoll_wait: %s", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == 0)
				return NULL; /* fini() */
			on_event(rt, evs[i].data.u64);
		}
	}
}

/* ---- the network namespace pool ---- */

/* A new network namespace's fd, made on this thread, which then goes back
 * to `home`. Returns -1 on failure. */
static int new_netns(int home)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(home, CLONE_NEWNET) < 0)
		log_warn("sandbox: netns pool: setns back: %s", strerror(errno));
	return fd;
}

/* Serves the queued spawns (spawner thread; called and returns locked). */
static void serve_spawns(struct brink_runtime *rt)
{
	struct spawn *q = rt->queue;
	rt->queue = NULL;
	pthread_mutex_unlock(&rt->lock);
	for (struct spawn *s = q, *next; s; s = next) {
		next = s->next; /* s belongs to its start() again once done is set */
		do_spawn(s);
		pthread_mutex_lock(&rt->lock);
		s->done = true;
		pthread_mutex_unlock(&rt->lock);
	}
	pthread_cond_broadcast(&rt->spawned);
	pthread_mutex_lock(&rt->lock);
}

/* Adds one network namespace to the pool (spawner thread; locked). Refills
 * happen between starts, never during one: they would take a CPU from it. */
static void refill_pool(struct brink_runtime *rt, int home)
{
	pthread_mutex_unlock(&rt->lock);
	int fd = new_netns(home);
	int e = errno;
	pthread_mutex_lock(&rt->lock);
	if (fd >= 0) {
		rt->netns[rt->nnetns++] = fd;
		return;
	}
	log_warn("sandbox: no network namespace pool: %s", strerror(e));
	rt->pool_off = true;
}

static bool pool_wants(const struct brink_runtime *rt)
{
	return !rt->pool_off && !rt->starting && rt->nnetns < NETNS_POOL;
}

static void *spawner_main(void *arg)
{
	struct brink_runtime *rt = arg;
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	pthread_mutex_lock(&rt->lock);
	rt->pool_off = home < 0;
	for (;;) {
		while (!rt->quit && !rt->queue && !pool_wants(rt))
			pthread_cond_wait(&rt->work, &rt->lock);
		if (rt->quit)
			break;
		if (rt->queue)
			serve_spawns(rt);
		else
			refill_pool(rt, home);
	}
	pthread_mutex_unlock(&rt->lock);
	if (home >= 0)
		close(home);
	return NULL;
}

/* A pooled network namespace (owned by the caller), or -1 when none is ready. */
static int take_netns(struct brink_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	int fd = rt->nnetns ? rt->netns[--rt->nnetns] : -1;
	pthread_mutex_unlock(&rt->lock);
	return fd;
}

/* Counts start() calls in flight; the pool refills when none is. */
static void starting(struct brink_runtime *rt, int delta)
{
	pthread_mutex_lock(&rt->lock);
	rt->starting += delta;
	bool idle = rt->starting == 0;
	pthread_mutex_unlock(&rt->lock);
	if (idle)
		pthread_cond_signal(&rt->work);
}

/* Hands s to the spawner thread, which clones while the caller goes on. */
static void queue_spawn(struct brink_runtime *rt, struct spawn *s)
{
	pthread_mutex_lock(&rt->lock);
	s->next = rt->queue;
	rt->queue = s;
	pthread_mutex_unlock(&rt->lock);
	pthread_cond_signal(&rt->work);
}

static void wait_spawn(struct brink_runtime *rt, struct spawn *s)
{
	pthread_mutex_lock(&rt->lock);
	while (!s->done)
		pthread_cond_wait(&rt->spawned, &rt->lock);
	pthread_mutex_unlock(&rt->lock);
}

/* ---- units ---- */

static struct brink_unit *unit_new(uint64_t id)
{
	struct brink_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->id = id;
	u->pidfd = u->sock = u->logfd = u->datafd = -1;
	u->worker_cpu = -1;
	u->state = UNIT_STARTING;
	return u;
}

/* Kills (if needed) and reaps u's worker; with grace_ms, asks it to stop first. */
static void terminate(struct brink_unit *u, unsigned grace_ms)
{
	if (u->pidfd < 0)
		return;
	struct pollfd p = {u->pidfd, POLLIN, 0};
	if (grace_ms && u->sock >= 0) {
		uint8_t buf[BRINK_WIRE_HDR_SIZE];
		size_t n = brink_wire_encode(buf, sizeof(buf), BRINK_WIRE_STOP, NULL, 0);
		if (send(u->sock, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)n)
			while (poll(&p, 1, (int)grace_ms) < 0 && errno == EINTR)
				;
	}
	if (poll(&p, 1, 0) != 1)
		pidfd_signal(u->pidfd, SIGKILL);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (waitid((idtype_t)P_PIDFD, (id_t)u->pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	if (grace_ms && (si.si_code != CLD_EXITED || si.si_status != 0)) {
		char why[160];
		describe_exit(&si, 0, why, sizeof(why));
		log_warn("unit %" PRIu64 ": did not stop cleanly: %s", u->id, why);
	}
}

/* Frees u and everything it holds; kills and reaps its worker unless
 * `reaped`. Returns 0, or -1 with *err set when its cgroup could not be removed. */
static int unit_destroy(struct brink_unit *u, bool reaped, unsigned grace_ms,
			struct brink_error **err)
{
	int rc = 0;
	if (!reaped)
		terminate(u, grace_ms);
	if (u->logfd >= 0)
		relay_logs(u->id, u->logfd, NULL, 0);
	if (u->has_cg)
		rc = cgroup__remove(&u->cg, CGROUP_REMOVE_WAIT_MS, err);
	close_fd(&u->pidfd);
	close_fd(&u->sock);
	close_fd(&u->logfd);
	close_fd(&u->datafd);
	free(u);
	return rc;
}

static int socketpairs(int ctl[2], int logp[2], struct brink_error **err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return brink_error_sys(err, errno, "socketpair");
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, logp) < 0 ||
	    fcntl(logp[1], F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;
		close(ctl[0]);
		close(ctl[1]);
		if (logp[0] >= 0) {
			close(logp[0]);
			close(logp[1]);
		}
		return brink_error_sys(err, e, "socketpair");
	}
	return 0;
}

/* What a worker gets beyond the kind: an analyze unit's model and
 * configuration, or the format of a model to check. */
struct spawn_extra {
	int model_fd;             /* <= 0: none */
	const char *analyze;      /* NULL: none */
	const char *check_format; /* NULL: a unit, not a check */
};

/* Appends the extra options to argv (n entries so far); returns the count. */
static size_t extra_args(struct spawn *s, const struct spawn_extra *x, size_t n)
{
	if (x->model_fd > 0) {
		s->argv[n++] = (char *)"--model-fd";
		s->argv[n++] = (char *)"6";
	}
	if (x->analyze) {
		s->argv[n++] = (char *)"--analyze";
		s->argv[n++] = (char *)x->analyze;
	}
	if (x->check_format) {
		snprintf(s->format, sizeof(s->format), "%s", x->check_format);
		s->argv[n++] = (char *)"--check-model";
		s->argv[n++] = s->format;
	}
	s->argv[n] = NULL;
	return n;
}

/* Fills s to clone u's worker and queues it to the spawner thread; u gets
 * brinkd's ends of the sockets. spawn_finish() must follow (s is read until
 * then, by the driver thread and by the child; x->analyze too). */
static int spawn_submit(struct brink_runtime *rt, struct brink_unit *u, const char *kind,
			const struct spawn_extra *x, struct spawn *s, struct brink_error **err)
{
	int ctl[2] = {-1, -1}, logp[2] = {-1, -1}, data[2];
	memset(s, 0, sizeof(*s));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, data) < 0)
		return brink_error_sys(err, errno, "socketpair");
	if (socketpairs(ctl, logp, err) < 0) {
		close(data[0]);
		close(data[1]);
		return -1;
	}
	u->sock = ctl[0];
	u->logfd = logp[0];
	u->datafd = data[0];
	snprintf(s->unit, sizeof(s->unit), "%" PRIu64, u->id);
	snprintf(s->kind, sizeof(s->kind), "%s", kind ? kind : "forward");
	char *argv[] = {rt->worker_path, (char *)"--fd", (char *)"3", (char *)"--seccomp-fd",
			(char *)"4", (char *)"--data-fd", (char *)"5", (char *)"--kind", s->kind,
			(char *)"--unit", s->unit, (char *)"--log-level",
			(char *)(brink_log_threshold >= BRINK_LOG_DEBUG ? "debug" : "info"), NULL};
	memcpy(s->argv, argv, sizeof(argv));
	extra_args(s, x, BRINK_ARRAY_SIZE(argv) - 1);
	s->path = rt->worker_path;
	s->envp = rt->envp;
	s->uid = UID_BASE + (uid_t)(u->id % UID_SPAN);
	int fds[WFD_COUNT] = {rt->devnull, rt->devnull, logp[1],      ctl[1],
			      rt->seccomp_fd, data[1], x->model_fd > 0 ? x->model_fd : rt->devnull};
	memcpy(s->fds, fds, sizeof(fds));
	s->netns = take_netns(rt);
	queue_spawn(rt, s);
	return 0;
}

/* Waits for the clone of spawn_submit(); on success u holds the worker's pid and pidfd. */
static int spawn_finish(struct brink_runtime *rt, struct brink_unit *u, struct spawn *s,
			struct brink_error **err)
{
	wait_spawn(rt, s);
	if (s->netns >= 0)
		close(s->netns);
	close(s->fds[WFD_LOG]);
	close(s->fds[WFD_CONTROL]);
	close(s->fds[WFD_DATA]);
	if (s->err)
		return brink_error_sys(err, s->err, "clone3 of the worker");
	u->pid = s->pid;
	u->pidfd = s->pidfd;
	return 0;
}

/* Moves the worker, waiting before its execve, into its cgroup and lets it
 * go: everything it does from exec on is charged to the unit and limited.
 * (Moving it into cpu and cpuacct only after the go saved nothing
 * measurable.) */
static int attach(struct brink_unit *u, struct brink_error **err)
{
	if (cgroup__attach(&u->cg, u->pid, err) < 0)
		return -1;
	if (send(u->sock, "g", 1, MSG_NOSIGNAL) != 1)
		return brink_error_sys(err, errno, "releasing the worker");
	return 0;
}

/* Builds the error of a worker that exited before READY (not reaped yet). */
static int early_exit(struct brink_unit *u, struct brink_error **err)
{
	siginfo_t si;
	char why[160], last[256] = "";
	memset(&si, 0, sizeof(si));
	waitid((idtype_t)P_PIDFD, (id_t)u->pidfd, &si, WEXITED | WNOHANG | WNOWAIT | __WALL);
	relay_logs(u->id, u->logfd, last, sizeof(last));
	describe_exit(&si, si.si_code == CLD_EXITED ? 0 : cgroup__oom_kills(&u->cg), why, sizeof(why));
	return brink_error_make(err, BRINK_E_INTERNAL, "%s before READY%s%s%s", why, *last ? " (" : "",
				last, *last ? ")" : "");
}

static int parse_ready(const uint8_t *buf, size_t n, size_t cap, struct brink_error **err)
{
	struct brink_wire_frame f;
	struct brink_wire_ready r;
	enum brink_wire_status st = n > cap ? BRINK_WIRE_TOO_LARGE : brink_wire_parse_msg(buf, n, &f);
	if (st != BRINK_WIRE_OK)
		return brink_error_make(err, BRINK_E_INTERNAL, "bad frame from the worker: %s",
					brink_wire_status_name(st));
	if (f.type != BRINK_WIRE_READY || brink_wire_ready_decode(&f, &r) != BRINK_WIRE_OK)
		return brink_error_make(err, BRINK_E_INTERNAL, "worker sent %s before READY",
					brink_wire_type_name(f.type));
	if (!(r.features & BRINK_WIRE_F_SECCOMP))
		return brink_error_make(err, BRINK_E_INTERNAL, "worker is READY without seccomp");
	return 0;
}

/* Waits for READY (or an early exit, or the timeout). */
static int wait_ready(const struct brink_runtime *rt, struct brink_unit *u,
		      struct brink_error **err)
{
	unsigned timeout = rt->cfg.start_timeout_ms ? rt->cfg.start_timeout_ms
						    : DEFAULT_START_TIMEOUT_MS;
	uint64_t deadline = now_ms() + timeout;
	struct pollfd p[2] = {{u->sock, POLLIN, 0}, {u->pidfd, POLLIN, 0}};
	uint8_t buf[BRINK_WIRE_HDR_SIZE + 64];
	for (;;) {
		uint64_t now = now_ms();
		int rc = now >= deadline ? 0 : poll(p, 2, (int)(deadline - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return brink_error_sys(err, errno, "waiting for READY");
		if (rc == 0)
			return brink_error_make(err, BRINK_E_INTERNAL, "worker not ready after %u ms",
						timeout);
		if (p[1].revents)
			return early_exit(u, err);
		ssize_t n = recv(u->sock, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n > 0)
			return parse_ready(buf, (size_t)n, sizeof(buf), err);
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			p[0].fd = -1; /* closed: wait for the exit */
	}
}

/* Checks from outside that the worker is confined as it says: a cheap
 * read of /proc/<pid>/status (the pid is our unreaped child). */
static int check_confined(const struct brink_unit *u, struct brink_error **err)
{
	char dir[32], buf[4096];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)u->pid);
	long n = cgroup__read(dir, "status", buf, sizeof(buf));
	if (n < 0)
		return brink_error_sys(err, (int)-n, "reading %s/status", dir);
	if (!strstr(buf, "\nNoNewPrivs:\t1\n") || !strstr(buf, "\nSeccomp:\t2\n"))
		return brink_error_make(err, BRINK_E_INTERNAL,
					"worker %d is not confined (no_new_privs or seccomp missing)",
					(int)u->pid);
	return 0;
}

/* Puts u in the table and the epoll set; from now on the watcher sees it. */
static int watch(struct brink_runtime *rt, struct brink_unit *u, struct brink_error **err)
{
	const int fds[] = {u->pidfd, u->sock, u->logfd};
	const int kinds[] = {EV_PID, EV_CTL, EV_LOG};
	int rc = 0;
	pthread_mutex_lock(&rt->lock);
	u->token = ++rt->next_token;
	u->state = UNIT_RUNNING;
	HASH_ADD(hh, rt->units, token, sizeof(u->token), u);
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(fds) && rc == 0; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = u->token << 2 | kinds[i]};
		rc = epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fds[i], &ev);
	}
	if (rc < 0) {
		rc = brink_error_sys(err, errno, "epoll_ctl");
		unwatch(rt, u);
		HASH_DEL(rt->units, u);
		u->state = UNIT_STARTING;
	}
	pthread_mutex_unlock(&rt->lock);
	return rc;
}

/* Takes u out of the table; returns true when the watcher already reaped it. */
static bool unwatch_for_stop(struct brink_runtime *rt, struct brink_unit *u)
{
	pthread_mutex_lock(&rt->lock);
	bool reaped = u->state == UNIT_EXITED;
	if (u->state == UNIT_RUNNING || u->state == UNIT_EXITED) {
		unwatch(rt, u);
		HASH_DEL(rt->units, u);
	}
	u->state = UNIT_STOPPING;
	pthread_mutex_unlock(&rt->lock);
	return reaped;
}

static int send_cpu(const struct brink_unit *u, double cores, struct brink_error **err)
{
	struct brink_wire_cpu c = {(uint32_t)cgroup__quota_us(cores), CGROUP_PERIOD_US};
	uint8_t buf[BRINK_WIRE_HDR_SIZE + 8];
	size_t n = brink_wire_encode_cpu(buf, sizeof(buf), BRINK_WIRE_CPU, &c);
	if (send(u->sock, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n)
		return brink_error_sys(err, errno, "sending the CPU frame to the worker");
	return 0;
}

/* ---- the ops ---- */

/* Writes the quota and tells the worker, unless the quota in microseconds
 * is what the unit already has: allocator changes finer than that would
 * cost a write and a wake-up of the worker for nothing. */
static int apply_cpu(struct brink_unit *u, double cores, struct brink_error **err)
{
	long long quota = cgroup__quota_us(cores);
	if (quota == u->quota_us)
		return 0;
	if (cgroup__set_cpu(&u->cg, cores, err) < 0 || send_cpu(u, cores, err) < 0)
		return brink_error_wrap(err, "setting the CPU of unit %" PRIu64, u->id);
	u->quota_us = quota;
	return 0;
}

static int start_unit(struct brink_runtime *rt, const struct brink_unit_spec *spec,
		      struct brink_unit **out, struct brink_error **err)
{
	if (!spec || cgroup__quota_us(spec->cpu) < 0)
		return brink_error_make(err, BRINK_E_INVALID, "sandbox: bad CPU assignment %g",
					spec ? spec->cpu : 0.0);
	struct brink_unit *u = unit_new(spec->id);
	struct spawn s;
	if (!u)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	struct spawn_extra x = {spec->model_fd, spec->analyze_config, NULL};
	if (spawn_submit(rt, u, spec->kind, &x, &s, err) < 0) {
		unit_destroy(u, true, 0, NULL);
		return brink_error_wrap(err, "starting unit %" PRIu64, spec->id);
	}
	/* The cgroup is made while the spawner thread clones, and the worker is
	 * moved in while it sets itself up; it waits for that before execve. */
	u->has_cg = cgroup__create(&rt->cg, spec->id, fmax(spec->cpu, STARTUP_CORES),
				   spec->memory_bytes, &u->cg, err) == 0;
	if (spawn_finish(rt, u, &s, u->has_cg ? err : NULL) < 0 || !u->has_cg ||
	    attach(u, err) < 0 || wait_ready(rt, u, err) < 0 ||
	    check_confined(u, err) < 0 || apply_cpu(u, spec->cpu, err) < 0 ||
	    watch(rt, u, err) < 0) {
		unit_destroy(u, false, 0, NULL);
		return brink_error_wrap(err, "starting unit %" PRIu64, spec->id);
	}
	log_debug("unit %" PRIu64 ": worker %d ready", u->id, (int)u->pid);
	*out = u;
	return 0;
}

static int sandbox_start(struct brink_runtime *rt, const struct brink_unit_spec *spec,
			 struct brink_unit **out, struct brink_error **err)
{
	starting(rt, 1);
	int rc = start_unit(rt, spec, out, err);
	starting(rt, -1);
	return rc;
}

static int sandbox_stop(struct brink_runtime *rt, struct brink_unit *u, struct brink_error **err)
{
	if (!u)
		return 0;
	uint64_t id = u->id;
	bool reaped = unwatch_for_stop(rt, u);
	if (unit_destroy(u, reaped, STOP_GRACE_MS, err) < 0)
		return brink_error_wrap(err, "stopping unit %" PRIu64, id);
	return 0;
}

static int sandbox_set_cpu(struct brink_runtime *rt, struct brink_unit *u, double cores,
			   struct brink_error **err)
{
	pthread_mutex_lock(&rt->lock);
	bool running = u->state == UNIT_RUNNING;
	pthread_mutex_unlock(&rt->lock);
	if (!running)
		return brink_error_make(err, BRINK_E_CONFLICT, "unit %" PRIu64 " is not running",
					u->id);
	return apply_cpu(u, cores, err);
}

static int sandbox_data_fd(struct brink_runtime *rt, struct brink_unit *u)
{
	(void)rt;
	return u->datafd;
}

static int sandbox_info(struct brink_runtime *rt, struct brink_unit *u,
			struct brink_unit_info *out, struct brink_error **err)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&rt->lock);
	out->pid = u->state == UNIT_RUNNING ? u->pid : 0;
	out->worker_cpu = u->worker_cpu;
	out->readings = u->stats.readings;
	out->results = u->stats.results;
	out->skipped_missing = u->stats.skipped_missing;
	out->skipped_bad = u->stats.skipped_bad;
	pthread_mutex_unlock(&rt->lock);
	snprintf(out->cgroup, sizeof(out->cgroup), "%s", cgroup__dir(&u->cg, CG_CPU));
	if (cgroup__cpu_quota(&u->cg, &out->cpu_quota, err) < 0 ||
	    cgroup__usage(&u->cg, &out->cpu_usage_ns, &out->memory_bytes, err) < 0)
		return brink_error_wrap(err, "unit %" PRIu64, u->id);
	return 0;
}

/* ---- model checks ---- */

/* The answer of a check: a MODEL frame in buf[0..n). */
static int parse_model_answer(const uint8_t *buf, size_t n, char **summary,
			      struct brink_error **err)
{
	struct brink_wire_frame f;
	const char *text;
	size_t len;
	int ok;
	if (brink_wire_parse_msg(buf, n, &f) != BRINK_WIRE_OK ||
	    brink_wire_model_decode(&f, &ok, &text, &len) != BRINK_WIRE_OK)
		return brink_error_make(err, BRINK_E_INTERNAL, "the model check sent a bad frame");
	if (!ok)
		return brink_error_make(err, BRINK_E_INVALID, "%.*s", (int)len, text);
	if (!(*summary = strndup(text, len)))
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	return 0;
}

/* Waits for the check's MODEL frame (or its exit, or the timeout). */
static int wait_model(struct brink_unit *u, unsigned timeout_ms, char **summary,
		      struct brink_error **err)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct pollfd p[2] = {{u->sock, POLLIN, 0}, {u->pidfd, POLLIN, 0}};
	uint8_t *buf = malloc(BRINK_WIRE_MAX_FRAME);
	int rc = -1;
	if (!buf)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	for (;;) {
		uint64_t now = now_ms();
		int n = now >= deadline ? 0 : poll(p, 2, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			brink_error_make(err, BRINK_E_INVALID, "checking the model took over %u ms",
					 timeout_ms);
			break;
		}
		ssize_t got = p[0].revents ? recv(u->sock, buf, BRINK_WIRE_MAX_FRAME,
						  MSG_DONTWAIT | MSG_TRUNC)
					   : -1;
		if (got > 0 && got <= BRINK_WIRE_MAX_FRAME) {
			rc = parse_model_answer(buf, (size_t)got, summary, err);
			break;
		}
		if (got == 0 || (got < 0 && p[1].revents)) {
			early_exit(u, err);
			(*err)->code = BRINK_E_INVALID; /* the file made the checker fail */
			brink_error_wrap(err, "the model checker failed");
			break;
		}
		if (got > BRINK_WIRE_MAX_FRAME || (got < 0 && errno != EAGAIN && errno != EINTR))
			p[0].fd = -1;
	}
	free(buf);
	return rc;
}

static int run_check(struct brink_runtime *rt, const struct brink_model_check *c,
			    char **summary, struct brink_error **err)
{
	struct brink_unit *u = unit_new(c->id);
	struct spawn s;
	if (!u)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	struct spawn_extra x = {c->fd, NULL, c->format};
	if (spawn_submit(rt, u, "check", &x, &s, err) < 0) {
		unit_destroy(u, true, 0, NULL);
		return -1;
	}
	u->has_cg = cgroup__create(&rt->cg, c->id, c->cpu, c->memory_bytes, &u->cg, err) == 0;
	int rc = -1;
	if (spawn_finish(rt, u, &s, u->has_cg ? err : NULL) == 0 && u->has_cg &&
	    attach(u, err) == 0)
		rc = wait_model(u, c->timeout_ms, summary, err);
	unit_destroy(u, false, 0, NULL);
	return rc;
}

static int sandbox_check_model(struct brink_runtime *rt, const struct brink_model_check *c,
			       char **summary, struct brink_error **err)
{
	starting(rt, 1);
	int rc = run_check(rt, c, summary, err);
	starting(rt, -1);
	return rc;
}

/* cgroup__reap's keep(): is `id` one of our live units? */
static int is_ours(void *ctx, uint64_t id)
{
	struct brink_runtime *rt = ctx;
	struct brink_unit *u, *tmp;
	int found = 0;
	pthread_mutex_lock(&rt->lock);
	HASH_ITER(hh, rt->units, u, tmp)
		found |= u->id == id;
	pthread_mutex_unlock(&rt->lock);
	return found;
}

static int sandbox_reap_orphans(struct brink_runtime *rt, struct brink_error **err)
{
	int n = cgroup__reap(&rt->cg, is_ours, rt, err);
	if (n < 0)
		return brink_error_wrap(err, "sandbox: reaping leftover units");
	if (n > 0)
		log_info("sandbox: removed %d leftover unit%s", n, n == 1 ? "" : "s");
	return n;
}

/* ---- init and fini ---- */

/* The name of this brinkd's cgroup folder: a hash of its data directory. */
static void instance_name(const char *data_dir, char *out, size_t size)
{
	char real[PATH_MAX];
	const char *s = data_dir && *data_dir ? data_dir : "default";
	if (data_dir && *data_dir && realpath(data_dir, real))
		s = real;
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	snprintf(out, size, "%016" PRIx64, h);
}

/* The worker must be reachable and executable by the units' unprivileged uids. */
static int check_worker(const char *path, struct brink_error **err)
{
	struct stat st;
	if (!path || path[0] != '/')
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"sandbox: worker_path must be absolute (got \"%s\")",
					path ? path : "");
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"sandbox: no brink-worker executable by others at %s", path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *slash = strrchr(dir, '/'); slash && slash != dir; slash = strrchr(dir, '/')) {
		*slash = '\0';
		if (stat(dir, &st) < 0 || !(st.st_mode & S_IXOTH))
			return brink_error_make(err, BRINK_E_UNAVAILABLE,
						"sandbox: %s is not searchable by the workers' uids", dir);
	}
	return 0;
}

/* Creates (and drops) one process with every namespace we use. */
static int probe_namespaces(struct brink_error **err)
{
	int pidfd = -1;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = NS_FLAGS | CLONE_PIDFD | CLONE_CLEAR_SIGHAND; /* as do_spawn() */
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"sandbox: cannot create namespaces: %s", strerror(errno));
	siginfo_t si;
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
		;
	close(pidfd);
	return 0;
}

static int build_env(struct brink_runtime *rt)
{
	/* A sanitizer build's leak check at exit needs ptrace, which the filter denies. */
	const char *asan = getenv("ASAN_OPTIONS"), *ubsan = getenv("UBSAN_OPTIONS");
	int n = 0;
	if (asprintf(&rt->envp[n++], "ASAN_OPTIONS=%s%sdetect_leaks=0", asan ? asan : "",
		     asan && *asan ? ":" : "") < 0)
		return -1;
	if (ubsan && asprintf(&rt->envp[n++], "UBSAN_OPTIONS=%s", ubsan) < 0)
		return -1;
	return 0;
}

/* On the host's cgroups (not a test's tree), when configured: without it the
 * first cgroup move after a pause waits for an RCU grace period. */
static void favor_dynmods(struct brink_runtime *rt, const struct brink_runtime_config *cfg)
{
	if ((cfg->cgroup_root && *cfg->cgroup_root) || !cfg->conf ||
	    !cfg->conf->sandbox_favor_dynmods)
		return;
	struct brink_error *err = NULL;
	char *dir = NULL;
	if (asprintf(&dir, "%s/cgroup-dynmods", cfg->data_dir) < 0)
		return;
	if (cgroup__favor_dynmods(dir, &err) == 0) {
		rt->dynmods_dir = dir;
		return;
	}
	log_info("sandbox: %s; services start 10-20 ms slower", err->msg);
	brink_error_free(&err);
	free(dir);
}

static int setup_host(struct brink_runtime *rt, const struct brink_runtime_config *cfg,
		      struct brink_error **err)
{
	char inst[32];
	instance_name(cfg->data_dir, inst, sizeof(inst));
	if (cgroup__detect(cfg->cgroup_root, inst, &rt->cg, err) < 0 ||
	    cgroup__prepare(&rt->cg, err) < 0) {
		(*err)->code = BRINK_E_UNAVAILABLE;
		return -1;
	}
	favor_dynmods(rt, cfg);
	if ((rt->seccomp_fd = seccomp__worker_filter(err)) < 0)
		return -1;
	if ((rt->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return brink_error_sys(err, errno, "sandbox: /dev/null");
	if (build_env(rt) < 0 || !(rt->worker_path = strdup(cfg->worker_path)))
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	return probe_namespaces(err);
}

/* Starts a thread that takes no signal (workers unblock theirs before exec). */
static int spawn_thread(pthread_t *t, void *(*fn)(void *), void *arg, bool *started,
			struct brink_error **err)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return brink_error_sys(err, rc, "sandbox: creating a thread");
	*started = true;
	return 0;
}

static int start_threads(struct brink_runtime *rt, struct brink_error **err)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	if ((rt->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (rt->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    epoll_ctl(rt->epfd, EPOLL_CTL_ADD, rt->evfd, &ev) < 0)
		return brink_error_sys(err, errno, "sandbox: epoll");
	if (spawn_thread(&rt->watcher, watcher_main, rt, &rt->watcher_started, err) < 0)
		return -1;
	return spawn_thread(&rt->spawner, spawner_main, rt, &rt->spawner_started, err);
}

static void sandbox_fini(struct brink_runtime *rt);

static int sandbox_init(const struct brink_runtime_config *cfg, struct brink_runtime **out,
			struct brink_error **err)
{
	if (geteuid() != 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"sandbox: needs root (namespaces, cgroups, uid changes)");
	if (check_worker(cfg->worker_path, err) < 0)
		return -1;
	struct brink_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	rt->cfg = *cfg;
	rt->cfg.data_dir = rt->cfg.worker_path = rt->cfg.cgroup_root = NULL; /* borrowed only in init */
	rt->seccomp_fd = rt->devnull = rt->epfd = rt->evfd = -1;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->spawned, NULL);
	pthread_cond_init(&rt->work, NULL);
	if (setup_host(rt, cfg, err) < 0 || start_threads(rt, err) < 0) {
		sandbox_fini(rt);
		return brink_error_wrap(err, "sandbox runtime unavailable");
	}
	log_info("sandbox: cgroup v%d, units under %s", rt->cg.version, rt->cg.h[0].base);
	*out = rt;
	return 0;
}

static void sandbox_fini(struct brink_runtime *rt)
{
	if (!rt)
		return;
	pthread_mutex_lock(&rt->lock);
	rt->quit = true;
	pthread_mutex_unlock(&rt->lock);
	if (rt->watcher_started) {
		uint64_t one = 1;
		if (write(rt->evfd, &one, sizeof(one)) < 0)
			log_warn("sandbox: eventfd: %s", strerror(errno));
		pthread_join(rt->watcher, NULL);
	}
	/* The workers' parent-death signal fires here: they are SIGKILLed. */
	if (rt->spawner_started) {
		pthread_cond_broadcast(&rt->work);
		pthread_join(rt->spawner, NULL);
	}
	while (rt->nnetns > 0)
		close(rt->netns[--rt->nnetns]);
	struct brink_unit *u, *tmp;
	HASH_ITER(hh, rt->units, u, tmp) {
		log_warn("sandbox: unit %" PRIu64 " still running at shutdown; killing it", u->id);
		HASH_DEL(rt->units, u);
		unit_destroy(u, u->state == UNIT_EXITED, 0, NULL);
	}
	if (rt->cg.n)
		cgroup__unprepare(&rt->cg);
	close_fd(&rt->epfd);
	close_fd(&rt->evfd);
	close_fd(&rt->seccomp_fd);
	close_fd(&rt->devnull);
	if (rt->dynmods_dir)
		cgroup__unfavor_dynmods(rt->dynmods_dir);
	free(rt->dynmods_dir);
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(rt->envp); i++)
		free(rt->envp[i]);
	free(rt->worker_path);
	pthread_mutex_destroy(&rt->lock);
	pthread_cond_destroy(&rt->spawned);
	pthread_cond_destroy(&rt->work);
	free(rt);
}

const struct brink_runtime_ops brink_runtime_sandbox = {
	.name = "sandbox",
	.init = sandbox_init,
	.fini = sandbox_fini,
	.start = sandbox_start,
	.stop = sandbox_stop,
	.set_cpu = sandbox_set_cpu,
	.info = sandbox_info,
	.reap_orphans = sandbox_reap_orphans,
	.data_fd = sandbox_data_fd,
	.check_model = sandbox_check_model,
};
