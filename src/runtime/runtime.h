/* The runtime driver interface. The control plane places every unit (a
 * service, later a container or a VM) through one of these ops tables and
 * never calls a runtime directly. Drivers are listed in a NULL-terminated
 * static table in runtime.c, guarded by feature macros. Optional members may
 * be NULL; callers check.
 *
 * Threading: the control plane serialises calls per unit but may call from
 * any thread. A driver that watches its units (to notice one that died) does
 * so on a thread of its own and reports through cfg->on_exit, holding no lock
 * of its own while it calls, because the callback takes the control plane's
 * lock. stop() and remove paths must therefore never wait for that thread. */
#ifndef BRINK_RUNTIME_H
#define BRINK_RUNTIME_H

#include <stdint.h>

#include "brink/error.h"

struct brink_runtime; /* a driver's instance state, opaque */
struct brink_config;  /* core/config.h */
struct brink_unit;    /* one placed unit, owned by its driver, opaque */

struct brink_runtime_config {
	const char *data_dir;    /* brink's data directory (the driver may use a subfolder) */
	const char *worker_path; /* absolute path of brink-worker */
	const char *cgroup_root; /* "" = detect; else the cgroup mount to use (tests) */
	unsigned start_timeout_ms;
	/* Called when a unit exits without stop() having been asked: `reason` is
	 * a short human sentence ("worker exited with status 3", "killed by
	 * signal 9 (out of memory?)"). After the call the unit handle stays valid
	 * until the control plane calls stop() on it (which then only cleans up). */
	void (*on_exit)(void *ctx, uint64_t unit_id, const char *reason);
	void *ctx;
	/* Every configuration key (core/config.h); a driver reads its own section. */
	const struct brink_config *conf;
};

struct brink_unit_spec {
	uint64_t id;          /* the service id; names the cgroup / container / domain */
	const char *tenant;   /* owner tenant id, for labels */
	const char *kind;     /* "forward" | "analyze" | "custom" */
	double cpu;           /* assigned cores at start (> 0) */
	uint64_t memory_bytes;/* hard memory limit */
	/* analyze: a sealed memfd holding the model file (borrowed; <= 0: none)
	 * and the worker's analyze configuration (JSON, borrowed; NULL: none). */
	int model_fd;
	const char *analyze_config;
	/* custom: the image and its published ports (container_ports[i] on
	 * host_ports[i], bound on host_ip; "" = every address) */
	const char *image;
	size_t nports;
	const int *container_ports, *host_ports;
	const char *host_ip;
	const char *restart; /* "no" | "on-failure"; NULL: the driver's default */
};

/* A model file to check (parse and describe) in a sandboxed worker. */
struct brink_model_check {
	uint64_t id;          /* names the check's cgroup and uid, like a unit id */
	const char *format;   /* "h5" | "rules" */
	int fd;               /* a sealed memfd with the file (borrowed) */
	unsigned timeout_ms;
	double cpu;           /* cores the check may use */
	uint64_t memory_bytes;/* its memory limit */
};

/* Told what a long preparation (an image pull) is doing: one short line per
 * step. Returns nonzero to abandon the preparation. */
typedef int (*brink_runtime_progress)(void *ctx, const char *line);

/* What a driver can say about a running unit (for /v1/services/{id} and profiling). */
struct brink_unit_info {
	int pid;               /* host pid of the unit's main process, 0 if none */
	char cgroup[256];      /* a cgroup path of the unit, "" if none */
	double cpu_quota;      /* cores the unit is limited to right now */
	double worker_cpu;     /* cores the worker last acknowledged (-1 if unknown) */
	uint64_t cpu_usage_ns; /* CPU time used so far */
	uint64_t memory_bytes; /* memory in use */
	/* An analyze worker's last counters (all 0 for other kinds). */
	uint64_t readings, results, skipped_missing, skipped_bad;
	uint64_t net_rx_bytes, net_tx_bytes; /* 0 when the runtime cannot tell */
};

struct brink_runtime_ops {
	const char *name; /* "sandbox", "docker", ... */

	/* Creates the driver's instance. Fails with BRINK_E_UNAVAILABLE when the
	 * runtime cannot work on this machine (the rest of brink goes on). */
	int (*init)(const struct brink_runtime_config *cfg, struct brink_runtime **out,
		    struct brink_error **err);
	void (*fini)(struct brink_runtime *rt);

	/* Starts a unit and returns once it is ready (or failed: then nothing is
	 * left behind). *out is owned by the driver until stop(). */
	int (*start)(struct brink_runtime *rt, const struct brink_unit_spec *spec,
		     struct brink_unit **out, struct brink_error **err);

	/* Stops the unit (gracefully, then by force), removes what it used and
	 * frees the handle, even when it fails (the error is then informative). */
	int (*stop)(struct brink_runtime *rt, struct brink_unit *u, struct brink_error **err);

	/* Applies a new CPU assignment in cores to a running unit. */
	int (*set_cpu)(struct brink_runtime *rt, struct brink_unit *u, double cores,
		       struct brink_error **err);

	/* Optional: fills *out. */
	int (*info)(struct brink_runtime *rt, struct brink_unit *u, struct brink_unit_info *out,
		    struct brink_error **err);

	/* Optional: at brinkd start, before anything is started, removes every
	 * unit this driver left from an earlier brinkd (processes killed, cgroups
	 * or containers removed), so nothing is orphaned or duplicated. Returns
	 * how many were removed, or -1. */
	int (*reap_orphans)(struct brink_runtime *rt, struct brink_error **err);

	/* Optional: brinkd's end of the unit's data channel, a SOCK_SEQPACKET
	 * socket carrying one RECORDS frame (to the unit) or RESULTS frame (from
	 * it) per message (include/brink/wire.h); -1 when the unit has none.
	 * Borrowed: valid until stop(), so whoever polls it must stop first. */
	int (*data_fd)(struct brink_runtime *rt, struct brink_unit *u);

	/* Optional: runs brink-worker's model check on c->fd under the same
	 * confinement as a unit, waits for its answer (at most c->timeout_ms)
	 * and removes everything it used. Returns 0 with *summary the model's
	 * JSON summary (malloc'd, caller frees), or -1: BRINK_E_INVALID with the
	 * worker's message when the file is refused, another code when the
	 * check itself could not run. */
	int (*check_model)(struct brink_runtime *rt, const struct brink_model_check *c,
			   char **summary, struct brink_error **err);
	/* Optional: makes what start() needs and may take long (pulls the image),
	 * reporting through progress. Called without the control plane's lock,
	 * from any thread; start() works without it (slower). */
	int (*prepare)(struct brink_runtime *rt, const struct brink_unit_spec *spec,
		       brink_runtime_progress progress, void *ctx, struct brink_error **err);

	/* Optional: for drivers whose units outlive brinkd (containers). Called
	 * after brinkd's start placed every service that should run, with their
	 * ids: removes every unit of this brinkd not in keep[] (start() re-adopts
	 * a unit it finds still running, so nothing is orphaned or duplicated).
	 * Returns how many were removed, or -1. */
	int (*reap_except)(struct brink_runtime *rt, const uint64_t *keep, size_t n,
			   struct brink_error **err);
};

/* The NULL-terminated table of drivers compiled in. */
extern const struct brink_runtime_ops *const brink_runtime_drivers[];

/* Returns the driver named `name`, or NULL. */
const struct brink_runtime_ops *brink_runtime_find(const char *name);

#endif
