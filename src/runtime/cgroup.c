#include "runtime/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"

int cgroup__write(const char *dir, const char *name, const char *value)
{
	char path[CGROUP_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int rc = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

long cgroup__read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[CGROUP_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

static bool file_exists(const char *dir, const char *name)
{
	char path[CGROUP_PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static int write_or_fail(const char *dir, const char *name, const char *value,
			 struct brink_error **err)
{
	int rc = cgroup__write(dir, name, value);
	if (rc < 0)
		return brink_error_sys(err, -rc, "cgroup: writing %s to %s/%s", value, dir, name);
	return 0;
}

/* Finds `key` ("oom_kill") in a "key value" per line file; returns the value or -1. */
static long long keyed_value(const char *text, const char *key)
{
	size_t k = strlen(key);
	const char *p = text;
	while (p && *p) {
		if (strncmp(p, key, k) == 0 && p[k] == ' ')
			return strtoll(p + k + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static int set_base(struct cgroup_hier *h, const char *mount, const char *instance, unsigned ctl,
		    struct brink_error **err)
{
	int n = snprintf(h->base, sizeof(h->base), "%s/brink/%s", mount, instance);
	if (n < 0 || (size_t)n >= sizeof(h->base) - 32)
		return brink_error_make(err, BRINK_E_INVALID, "cgroup: path too long: %s", mount);
	h->ctl = ctl;
	return 0;
}

static int detect_v2(const char *root, const char *instance, struct cgroup_layout *out,
		     struct brink_error **err)
{
	char ctl[512];
	if (cgroup__read(root, "cgroup.controllers", ctl, sizeof(ctl)) < 0)
		return 0;
	if (!has_word(ctl, "cpu") || !has_word(ctl, "memory"))
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"cgroup v2 at %s offers no cpu or memory controller (has: %.100s)",
					root, ctl);
	out->version = CGROUP_V2;
	out->n = 1;
	return set_base(&out->h[0], root, instance, CG_CPU | CG_CPUACCT | CG_MEMORY, err) < 0 ? -1 : 1;
}

static const struct {
	const char *name, *marker;
	unsigned ctl;
} v1_ctls[] = {
	{"cpu", "cpu.cfs_quota_us", CG_CPU},
	{"cpuacct", "cpuacct.usage", CG_CPUACCT},
	{"memory", "memory.limit_in_bytes", CG_MEMORY},
};

/* Adds controller i's mount to the layout, merging co-mounted hierarchies. */
static int add_v1(const char *root, const char *instance, size_t i, struct cgroup_layout *out,
		  char mounts[][PATH_MAX], struct brink_error **err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, v1_ctls[i].name);
	if (!file_exists(path, v1_ctls[i].marker) || !realpath(path, mounts[out->n]))
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"no cgroup v1 %s controller at %s (and no cgroup v2 there)",
					v1_ctls[i].name, path);
	for (int j = 0; j < out->n; j++) {
		if (strcmp(mounts[j], mounts[out->n]) == 0) {
			out->h[j].ctl |= v1_ctls[i].ctl;
			return 0;
		}
	}
	if (set_base(&out->h[out->n], mounts[out->n], instance, v1_ctls[i].ctl, err) < 0)
		return -1;
	out->n++;
	return 0;
}

int cgroup__detect(const char *root, const char *instance, struct cgroup_layout *out,
		   struct brink_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!root || !*root)
		root = DEFAULT_ROOT;
	if (strlen(root) >= sizeof(out->root) - 64)
		return brink_error_make(err, BRINK_E_INVALID, "cgroup: root too long: %s", root);
	strcpy(out->root, root);
	int rc = detect_v2(root, instance, out, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	char mounts[CGROUP_MAX_HIER][PATH_MAX];
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(v1_ctls); i++)
		if (add_v1(root, instance, i, out, mounts, err) < 0)
			return -1;
	out->version = CGROUP_V1;
	return 0;
}

static int mkdir_one(const char *path, struct brink_error **err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return brink_error_sys(err, errno, "cgroup: mkdir %s", path);
	return 0;
}

int cgroup__prepare(const struct cgroup_layout *l, struct brink_error **err)
{
	for (int i = 0; i < l->n; i++) {
		char top[CGROUP_PATH_MAX];
		snprintf(top, sizeof(top), "%s", l->h[i].base);
		*strrchr(top, '/') = '\0'; /* <mount>/brink */
		if (mkdir_one(top, err) < 0 || mkdir_one(l->h[i].base, err) < 0)
			return -1;
		if (l->version != CGROUP_V2)
			continue;
		const char *levels[] = {l->root, top, l->h[i].base};
		for (size_t k = 0; k < BRINK_ARRAY_SIZE(levels); k++)
			if (write_or_fail(levels[k], "cgroup.subtree_control", "+cpu +memory", err) < 0)
				return -1;
	}
	return 0;
}

void cgroup__unprepare(const struct cgroup_layout *l)
{
	for (int i = 0; i < l->n; i++)
		if (rmdir(l->h[i].base) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY)
			log_debug("cgroup: removing %s: %s", l->h[i].base, strerror(errno));
}

/* mkdir of a unit folder; an empty leftover is replaced. */
static int mkdir_unit(const char *dir, struct brink_error **err)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return brink_error_sys(err, errno, "cgroup: mkdir %s", dir);
	if (rmdir(dir) < 0)
		return brink_error_make(err, BRINK_E_CONFLICT, "cgroup %s already exists and is busy (%s)",
					dir, strerror(errno));
	if (mkdir(dir, 0755) < 0)
		return brink_error_sys(err, errno, "cgroup: mkdir %s", dir);
	return 0;
}

static const char *base_of(const struct cgroup_layout *l, unsigned ctl)
{
	for (int i = 0; i < l->n; i++)
		if (l->h[i].ctl & ctl)
			return l->h[i].base;
	return l->h[0].base;
}

static int set_memory(const struct cgroup_unit *u, uint64_t bytes, struct brink_error **err)
{
	char v[32];
	const char *base = base_of(u->layout, CG_MEMORY);
	const char *dir = cgroup__dir(u, CG_MEMORY);
	if (u->layout->version == CGROUP_V2) {
		snprintf(v, sizeof(v), bytes ? "%" PRIu64 : "max", bytes);
		if (write_or_fail(dir, "memory.max", v, err) < 0)
			return -1;
		if (file_exists(base, "memory.swap.max") &&
		    write_or_fail(dir, "memory.swap.max", "0", err) < 0)
			return -1;
		if (file_exists(base, "memory.oom.group") &&
		    write_or_fail(dir, "memory.oom.group", "1", err) < 0)
			return -1;
		return 0;
	}
	snprintf(v, sizeof(v), bytes ? "%" PRIu64 : "-1", bytes);
	if (write_or_fail(dir, "memory.limit_in_bytes", v, err) < 0)
		return -1;
	if (file_exists(base, "memory.memsw.limit_in_bytes") &&
	    write_or_fail(dir, "memory.memsw.limit_in_bytes", v, err) < 0)
		return -1;
	return 0;
}

int cgroup__create(const struct cgroup_layout *l, uint64_t id, double cores,
		   uint64_t memory_bytes, struct cgroup_unit *out, struct brink_error **err)
{
	memset(out, 0, sizeof(*out));
	out->layout = l;
	out->id = id;
	int made = 0;
	for (; made < l->n; made++) {
		snprintf(out->dir[made], sizeof(out->dir[made]), "%s/unit-%" PRIu64, l->h[made].base, id);
		/* The base may have gone (another driver of this instance finished). */
		if (access(l->h[made].base, F_OK) < 0 && cgroup__prepare(l, err) < 0)
			goto fail;
		if (mkdir_unit(out->dir[made], err) < 0)
			goto fail;
	}
	if (l->version == CGROUP_V1 &&
	    write_or_fail(cgroup__dir(out, CG_CPU), "cpu.cfs_period_us", "100000", err) < 0)
		goto fail;
	if (cgroup__set_cpu(out, cores, err) < 0 || set_memory(out, memory_bytes, err) < 0)
		goto fail;
	return 0;
fail:
	while (made-- > 0)
		rmdir(out->dir[made]);
	return brink_error_wrap(err, "creating the cgroup of unit %" PRIu64, id);
}

const char *cgroup__dir(const struct cgroup_unit *u, unsigned ctl)
{
	for (int i = 0; i < u->layout->n; i++)
		if (u->layout->h[i].ctl & ctl)
			return u->dir[i];
	return u->dir[0];
}

long long cgroup__quota_us(double cores)
{
	if (!isfinite(cores) || cores <= 0 || cores > CGROUP_MAX_CORES)
		return -1;
	long long quota = llround(cores * CGROUP_PERIOD_US);
	return quota < CGROUP_MIN_QUOTA_US ? CGROUP_MIN_QUOTA_US : quota;
}

/* cores scaled to a cgroup weight (per_core for one core), within [lo, hi]. */
static long long weight(double cores, double per_core, long long lo, long long hi)
{
	long long w = llround(cores * per_core);
	return w < lo ? lo : w > hi ? hi : w;
}

int cgroup__set_cpu(const struct cgroup_unit *u, double cores, struct brink_error **err)
{
	long long quota = cgroup__quota_us(cores);
	if (quota < 0)
		return brink_error_make(err, BRINK_E_INVALID, "cgroup: bad CPU assignment %g", cores);
	char v[48], w[24];
	const char *dir = cgroup__dir(u, CG_CPU);
	/* The quota caps the unit at its assignment; its weight follows the
	 * assignment too, so that under contention a unit still gets its share
	 * (a default weight lets everything else on the CPU crowd it out). */
	if (u->layout->version == CGROUP_V2) {
		snprintf(v, sizeof(v), "%lld %d", quota, CGROUP_PERIOD_US);
		snprintf(w, sizeof(w), "%lld", weight(cores, 100, 1, 10000));
		return write_or_fail(dir, "cpu.max", v, err) < 0 ? -1
								  : write_or_fail(dir, "cpu.weight", w, err);
	}
	snprintf(v, sizeof(v), "%lld", quota);
	snprintf(w, sizeof(w), "%lld", weight(cores, 1024, 2, 262144));
	return write_or_fail(dir, "cpu.cfs_quota_us", v, err) < 0
		       ? -1
		       : write_or_fail(dir, "cpu.shares", w, err);
}

static int read_or_fail(const char *dir, const char *name, char *buf, size_t size,
			struct brink_error **err)
{
	long n = cgroup__read(dir, name, buf, size);
	if (n < 0)
		return brink_error_sys(err, (int)-n, "cgroup: reading %s/%s", dir, name);
	return 0;
}

int cgroup__cpu_quota(const struct cgroup_unit *u, double *cores, struct brink_error **err)
{
	char q[64], p[64];
	const char *dir = cgroup__dir(u, CG_CPU);
	if (u->layout->version == CGROUP_V2) {
		if (read_or_fail(dir, "cpu.max", q, sizeof(q), err) < 0)
			return -1;
		char *sp = strchr(q, ' ');
		double period = sp ? strtod(sp + 1, NULL) : 0;
		*cores = strncmp(q, "max", 3) == 0 || period <= 0 ? 0 : strtod(q, NULL) / period;
		return 0;
	}
	if (read_or_fail(dir, "cpu.cfs_quota_us", q, sizeof(q), err) < 0 ||
	    read_or_fail(dir, "cpu.cfs_period_us", p, sizeof(p), err) < 0)
		return -1;
	double quota = strtod(q, NULL), period = strtod(p, NULL);
	*cores = quota <= 0 || period <= 0 ? 0 : quota / period;
	return 0;
}

int cgroup__usage(const struct cgroup_unit *u, uint64_t *cpu_ns, uint64_t *memory_bytes,
		  struct brink_error **err)
{
	char buf[1024];
	bool v2 = u->layout->version == CGROUP_V2;
	if (read_or_fail(cgroup__dir(u, CG_CPUACCT), v2 ? "cpu.stat" : "cpuacct.usage", buf,
			 sizeof(buf), err) < 0)
		return -1;
	long long cpu = v2 ? keyed_value(buf, "usage_usec") : strtoll(buf, NULL, 10);
	*cpu_ns = cpu < 0 ? 0 : v2 ? (uint64_t)cpu * 1000 : (uint64_t)cpu;
	if (read_or_fail(cgroup__dir(u, CG_MEMORY), v2 ? "memory.current" : "memory.usage_in_bytes",
			 buf, sizeof(buf), err) < 0)
		return -1;
	*memory_bytes = strtoull(buf, NULL, 10);
	return 0;
}

long cgroup__oom_kills(const struct cgroup_unit *u)
{
	char buf[1024];
	bool v2 = u->layout->version == CGROUP_V2;
	if (cgroup__read(cgroup__dir(u, CG_MEMORY), v2 ? "memory.events" : "memory.oom_control", buf,
			 sizeof(buf)) < 0)
		return -1;
	return (long)keyed_value(buf, "oom_kill");
}

int cgroup__attach(const struct cgroup_unit *u, int pid, struct brink_error **err)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", pid);
	for (int i = 0; i < u->layout->n; i++)
		if (write_or_fail(u->dir[i], "cgroup.procs", v, err) < 0)
			return -1;
	return 0;
}

static int kill_listed(const char *dir)
{
	char path[CGROUP_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int n = 0;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	fclose(f);
	return n;
}

int cgroup__kill(const struct cgroup_unit *u)
{
	if (u->layout->version == CGROUP_V2 && file_exists(u->dir[0], "cgroup.kill"))
		return cgroup__write(u->dir[0], "cgroup.kill", "1") == 0 ? 1 : 0;
	int n = 0; /* v1: the same process shows in every hierarchy; count it once */
	for (int i = 0; i < u->layout->n; i++) {
		int k = kill_listed(u->dir[i]);
		n = k > n ? k : n;
	}
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int rmdir_wait(const struct cgroup_unit *u, int i, uint64_t deadline)
{
	for (;;) {
		if (rmdir(u->dir[i]) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() >= deadline)
			return -errno;
		cgroup__kill(u);
		usleep(1000);
	}
}

int cgroup__remove(const struct cgroup_unit *u, unsigned wait_ms, struct brink_error **err)
{
	uint64_t deadline = now_ms() + wait_ms;
	int rc = 0;
	for (int i = 0; i < u->layout->n; i++) {
		int e = rmdir_wait(u, i, deadline);
		if (e < 0 && rc == 0)
			rc = brink_error_sys(err, -e, "cgroup: removing %s", u->dir[i]);
	}
	return rc;
}

/* Parses "unit-<id>"; returns true with *id set. */
static bool unit_name(const char *name, uint64_t *id)
{
	if (strncmp(name, "unit-", 5) != 0 || name[5] < '0' || name[5] > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(name + 5, &end, 10);
	if (errno || *end)
		return false;
	*id = v;
	return true;
}

/* Appends the unit ids found under base to ids[] (deduplicated). */
static int collect_ids(const char *base, uint64_t **ids, size_t *n, size_t *cap)
{
	DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	uint64_t id;
	while ((e = readdir(d))) {
		if (!unit_name(e->d_name, &id))
			continue;
		bool seen = false;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = (*ids)[i] == id;
		if (seen)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 16;
			uint64_t *p = realloc(*ids, c * sizeof(*p));
			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			*ids = p;
			*cap = c;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	return 0;
}

static void unit_paths(const struct cgroup_layout *l, uint64_t id, struct cgroup_unit *u)
{
	memset(u, 0, sizeof(*u));
	u->layout = l;
	u->id = id;
	for (int i = 0; i < l->n; i++)
		snprintf(u->dir[i], sizeof(u->dir[i]), "%s/unit-%" PRIu64, l->h[i].base, id);
}

int cgroup__reap(const struct cgroup_layout *l, int (*keep)(void *ctx, uint64_t id), void *ctx,
		 struct brink_error **err)
{
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < l->n; i++) {
		int rc = collect_ids(l->h[i].base, &ids, &n, &cap);
		if (rc < 0)
			return brink_error_sys(err, -rc, "cgroup: listing %s", l->h[i].base);
	}
	int removed = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (keep && keep(ctx, ids[i]))
			continue;
		struct cgroup_unit u;
		unit_paths(l, ids[i], &u);
		int killed = cgroup__kill(&u);
		if (cgroup__remove(&u, 2000, err) < 0) {
			failed++;
			continue;
		}
		log_info("cgroup: reaped leftover unit %" PRIu64 " (%d process%s killed)", ids[i], killed,
			 killed == 1 ? "" : "es");
		removed++;
	}
	return failed ? -1 : removed;
}
