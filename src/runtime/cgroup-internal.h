/* cgroups of the sandbox driver, v1 and v2.
 *
 * Layout: brink keeps its units in <hierarchy>/brink/<instance>/unit-<id>,
 * where <hierarchy> is each controller's mount (v1: cpu, cpuacct, memory,
 * which may be co-mounted; v2: the unified mount) and <instance> names one
 * brinkd (a hash of its data directory), so that two brinkd on one machine
 * never reap each other's units while one brinkd finds its own leftovers
 * after a restart. The folders sit at the hierarchy's top rather than under
 * brinkd's own cgroup, which may differ from one start to the next (and in v2
 * a cgroup with processes cannot hand controllers down).
 *
 * Every function takes paths from a layout built by cgroup__detect() from a
 * root directory, so tests run the same file-writing logic against a
 * temporary directory laid out like a v1 or v2 mount. Files are written with
 * O_CREAT (a no-op on a cgroup file that exists; EACCES on one that does not,
 * so a missing controller still fails). */
#ifndef BRINK_RUNTIME_CGROUP_INTERNAL_H
#define BRINK_RUNTIME_CGROUP_INTERNAL_H

#include <stdint.h>

#include "brink/error.h"

#define CGROUP_PATH_MAX 256
#define CGROUP_MAX_HIER 3
#define CGROUP_PERIOD_US 100000 /* CFS period: 100 ms */
#define CGROUP_MIN_QUOTA_US 1000 /* the kernel's lower bound */
#define CGROUP_MAX_CORES 4096

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };

/* Controllers brink uses, as bits. */
enum { CG_CPU = 1, CG_CPUACCT = 2, CG_MEMORY = 4 };

struct cgroup_hier {
	char base[CGROUP_PATH_MAX]; /* <mount>/brink/<instance> */
	unsigned ctl;               /* CG_* this hierarchy carries */
};

struct cgroup_layout {
	enum cgroup_version version;
	char root[CGROUP_PATH_MAX];
	int n; /* hierarchies in use: 1 (v2) to 3 (v1, nothing co-mounted) */
	struct cgroup_hier h[CGROUP_MAX_HIER];
};

/* One unit's cgroup, one folder per hierarchy. Plain data: copying it is fine. */
struct cgroup_unit {
	const struct cgroup_layout *layout; /* borrowed; outlives the unit */
	uint64_t id;
	char dir[CGROUP_MAX_HIER][CGROUP_PATH_MAX];
};

/* Finds the cgroup version and mounts under `root` ("" or NULL: /sys/fs/cgroup)
 * and fills *out for brinkd instance `instance` (a short file name). v2 is
 * used when root is a cgroup2 mount offering cpu and memory, else v1 when
 * root holds cpu, cpuacct and memory hierarchies. Fails with
 * BRINK_E_UNAVAILABLE (saying what is missing) when neither fits. */
int cgroup__detect(const char *root, const char *instance, struct cgroup_layout *out,
		   struct brink_error **err);

/* Creates brink's folders (mkdir -p of every base) and, for v2, enables the
 * cpu and memory controllers down to them. Idempotent. */
int cgroup__prepare(const struct cgroup_layout *l, struct brink_error **err);

/* Removes this instance's base folders if they are empty (best effort; the
 * shared <mount>/brink stays). */
void cgroup__unprepare(const struct cgroup_layout *l);

/* Creates unit `id`'s folders and writes its limits: `cores` as quota per
 * 100 ms period, `memory_bytes` as hard limit (0: none; swap is limited to
 * the same so it cannot spill). A leftover empty folder of the same id is
 * replaced; one holding processes fails with BRINK_E_CONFLICT. On failure
 * nothing is left behind. */
int cgroup__create(const struct cgroup_layout *l, uint64_t id, double cores,
		   uint64_t memory_bytes, struct cgroup_unit *out, struct brink_error **err);

/* The quota in us per CGROUP_PERIOD_US for `cores` (at least
 * CGROUP_MIN_QUOTA_US), or -1 when cores is not in (0, CGROUP_MAX_CORES]. */
long long cgroup__quota_us(double cores);

/* Writes the CPU quota for `cores` (> 0, finite; at least 1 ms per period). */
int cgroup__set_cpu(const struct cgroup_unit *u, double cores, struct brink_error **err);

/* Reads back the CPU quota into *cores (0 when unlimited). */
int cgroup__cpu_quota(const struct cgroup_unit *u, double *cores, struct brink_error **err);

/* Reads CPU time used (ns) and memory in use (bytes). */
int cgroup__usage(const struct cgroup_unit *u, uint64_t *cpu_ns, uint64_t *memory_bytes,
		  struct brink_error **err);

/* Returns how many times the kernel's OOM killer killed in the unit, or -1
 * when unknown. */
long cgroup__oom_kills(const struct cgroup_unit *u);

/* Moves process `pid` (a host pid) into every folder of the unit. */
int cgroup__attach(const struct cgroup_unit *u, int pid, struct brink_error **err);

/* SIGKILLs every process in the unit (cgroup.kill where the kernel has it).
 * Returns how many were signalled (1 for cgroup.kill), 0 when empty. */
int cgroup__kill(const struct cgroup_unit *u);

/* Removes the unit's folders; a folder still busy is emptied by
 * cgroup__kill() and retried until `wait_ms` has passed. Missing folders are
 * fine. Fails (after trying every folder) with the first error. */
int cgroup__remove(const struct cgroup_unit *u, unsigned wait_ms, struct brink_error **err);

/* Kills and removes every unit-<id> folder under the layout's bases, except
 * ids for which keep(ctx, id) returns true (keep may be NULL). Returns how
 * many units were removed, or -1 with *err set (the others still tried). */
int cgroup__reap(const struct cgroup_layout *l, int (*keep)(void *ctx, uint64_t id), void *ctx,
		 struct brink_error **err);

/* The unit's folder in the hierarchy carrying `ctl` (CG_*); never NULL. */
const char *cgroup__dir(const struct cgroup_unit *u, unsigned ctl);

/* Puts the kernel's cgroup migrations in writer-favoured mode
 * (favordynmods) by mounting a named hierarchy on `dir` (created if need be),
 * until cgroup__unfavor_dynmods(dir) (src/runtime/cgroup-dynmods.c). Fails
 * when the kernel or the privileges do not allow it. */
int cgroup__favor_dynmods(const char *dir, struct brink_error **err);
void cgroup__unfavor_dynmods(const char *dir);

/* Writes a string to dir/name (O_WRONLY|O_CREAT|O_TRUNC). Returns 0 or -errno. */
int cgroup__write(const char *dir, const char *name, const char *value);

/* Reads dir/name into buf (NUL-terminated). Returns bytes read or -errno. */
long cgroup__read(const char *dir, const char *name, char *buf, size_t size);

#endif
