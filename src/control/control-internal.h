#ifndef BRINK_CONTROL_INTERNAL_H
#define BRINK_CONTROL_INTERNAL_H

#include <pthread.h>
#include <uthash.h>

#include "control/control.h"
#include "runtime/runtime.h"
#include "sched/alloc.h"

struct ctl_runtime {
	const struct brink_runtime_ops *ops;
	struct brink_runtime *rt; /* NULL when unavailable */
	char reason[256];         /* why unavailable */
};

struct ctl_service {
	uint64_t key; /* the id as a number; the hash key */
	struct brink_service_rec rec;
	struct ctl_runtime *runtime; /* NULL: its runtime is not compiled in */
	struct brink_unit *unit; /* non-NULL while placed */
	struct brink_spec_cache cache;
	/* while an image is prepared off the lock (prepare.c): the service is
	 * pending and holds its CPU admission without a unit */
	bool preparing;
	unsigned prepare_gen;   /* a preparation answers only for its own generation */
	/* the last lines of its latest preparation, '\n'-terminated, oldest
	 * dropped first; progress_seq counts every line ever added */
	char progress[1024];
	unsigned progress_seq;
	UT_hash_handle hh;       /* iteration follows creation order */
};

struct brink_control {
	pthread_mutex_t lock;
	struct brink_config cfg;
	struct brink_store *st;
	struct brink_alloc *alloc;
	struct ctl_runtime runtimes[8];
	size_t nruntimes;
	struct ctl_service *services; /* uthash by key */
	struct brink_router *router;  /* NULL: no data plane (tests) */
	int next_port;                /* where the stream port search starts */
	/* told (under the lock) of every tenant deleted: the ECM front end */
	void (*on_unsubscribe)(void *ctx, const char *tenant_id);
	void *on_unsubscribe_ctx;
	uint8_t master[32];           /* seals thing keys (psk.c) */
	struct ctl_vmplane *vmp;      /* VMs and USB devices (vm.c) */
	pthread_cond_t changed;       /* a preparation ended (with lock) */
	int preparing;                /* preparation threads running */
	bool quitting;                /* brink_control_free waits for them */
};

/* secret.c: random ids and keys, key hashes, password hashes. */
void control__new_id(brink_id out);
void control__new_key(brink_key out);
void control__key_hash(const char *key, uint8_t out[BRINK_KEY_HASH_LEN]);
int control__password_hash(const char *password, char *out, size_t outlen,
			   struct brink_error **err);

/* psk.c: the master key (read, or made, from data_dir/master.key) and
 * sealed thing keys. */
#define CONTROL_SEALED_LEN (24 + 16 + BRINK_KEY_LEN) /* nonce, MAC, key */
int control__master_load(struct brink_control *ctl, struct brink_error **err);
void control__key_seal(const struct brink_control *ctl, const char *key,
		       uint8_t out[CONTROL_SEALED_LEN]);

/* cpu.c: allocator decisions carried out. */
int control__cpu_admit(struct brink_control *ctl, struct ctl_service *s, struct brink_error **err);
void control__cpu_release(struct brink_control *ctl, struct ctl_service *s);
/* Recomputes and pushes every changed assignment to running units except
 * `skip` (in parallel when there are many). */
void control__cpu_rebalance(struct brink_control *ctl, const struct ctl_service *skip);
double control__cpu_assigned(struct brink_control *ctl, const struct ctl_service *s);

/* service.c */
/* The runtime named `name`, or NULL when none is compiled in. */
struct ctl_runtime *control__runtime_find(struct brink_control *ctl, const char *name);
struct ctl_service *control__service_find(struct brink_control *ctl, const char *tenant_id,
					  const char *id);
/* Places a service whose allocation is admitted; on failure the service is
 * left failed with the reason and its allocation released. */
int control__service_place(struct brink_control *ctl, struct ctl_service *s,
			   struct brink_error **err);
/* Records a unit started for the service: running, routed. */
void control__service_placed(struct brink_control *ctl, struct ctl_service *s,
			     struct brink_unit *u);
/* Stops the unit if placed, releases the CPU, frees nothing. */
void control__service_unplace(struct brink_control *ctl, struct ctl_service *s);
void control__service_free(struct ctl_service *s);
void control__on_exit(void *ctx, uint64_t unit_id, const char *reason);
/* Whether a service holds port or it lies in a tenant's ECM block. */
bool control__port_taken(struct brink_control *ctl, int port);

/* model.c: a sealed, read-only memfd holding data (O_CLOEXEC, caller closes). */
int control__model_memfd(const void *data, size_t len, struct brink_error **err);

/* analyze.c (under the lock). check: an analyze spec against the tenant's
 * model (BRINK_E_INVALID with why). unit: the model memfd (*fd, caller
 * closes) and the worker's configuration (*config, caller frees) of s. */
int control__analyze_check(struct brink_control *ctl, const char *tenant_id,
			   const struct brink_spec *sp, struct brink_error **err);
int control__analyze_unit(struct brink_control *ctl, const struct ctl_service *s, int *fd,
			  char **config, struct brink_error **err);

/* vm.c: VMs are allocator units too. init never fails (without libvirt the
 * VM calls answer unavailable); start re-adopts the stored VMs (called with
 * the lock held). */
void control__vm_init(struct brink_control *ctl);
void control__vm_start(struct brink_control *ctl);
void control__vm_free(struct brink_control *ctl);
/* Pushes an allocator assignment to VM `key`; false when no VM has that key. */
bool control__vm_push_cpu(struct brink_control *ctl, uint64_t key, double cores);
/* Whether libvirt is connected, without trying (for /v1/system); *reason
 * why not, borrowed. Called with the lock held. */
bool control__vm_connected(struct brink_control *ctl, const char **reason);
/* Removes every VM of a tenant whose rows are already deleted. */
void control__vm_tenant_gone(struct brink_control *ctl, const char *tenant_id);
/* What the runtime is told about a service's unit (borrows from s). */
void control__unit_spec(struct brink_control *ctl, struct ctl_service *s,
			struct brink_unit_spec *us);
/* Calls cb with the service's detailed view (lock held). */
void control__service_render(struct brink_control *ctl, struct ctl_service *s,
			     brink_service_cb cb, void *ctx);
void control__service_set_failed(struct ctl_service *s, const char *reason);
int control__service_persist(struct brink_control *ctl, struct ctl_service *s,
			     struct brink_error **err);

/* prepare.c: a new service whose runtime has a prepare step (an image to
 * pull) is answered pending at once; a thread prepares it without the lock,
 * then places it under the lock (or fails it with the reason). */
bool control__wants_prepare(const struct ctl_service *s);
/* Adds a line to the service's progress log. */
void control__progress_add(struct ctl_service *s, const char *line);
/* Starts the preparation; -1 when no thread could be started. */
int control__prepare_start(struct brink_control *ctl, struct ctl_service *s);
/* Waits (lock held) until no preparation runs; new ones are abandoned. */
void control__prepare_drain(struct brink_control *ctl);

#endif
