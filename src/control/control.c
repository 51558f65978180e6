#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"
#include "control/vm.h"

static void worker_path(const struct brink_config *cfg, char *out, size_t len)
{
	if (cfg->sandbox_worker[0]) {
		snprintf(out, len, "%s", cfg->sandbox_worker);
		return;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, len, "%s/brink-worker", self);
}

static void runtimes_init(struct brink_control *ctl)
{
	char worker[PATH_MAX];
	worker_path(&ctl->cfg, worker, sizeof(worker));
	struct brink_runtime_config rc = {
		.data_dir = ctl->cfg.data_dir,
		.worker_path = worker,
		.cgroup_root = ctl->cfg.sandbox_cgroup_root,
		.start_timeout_ms = (unsigned)ctl->cfg.sandbox_start_timeout_ms,
		.on_exit = control__on_exit,
		.ctx = ctl,
		.conf = &ctl->cfg,
	};
	for (size_t i = 0; brink_runtime_drivers[i] && i < BRINK_ARRAY_SIZE(ctl->runtimes); i++) {
		struct ctl_runtime *r = &ctl->runtimes[ctl->nruntimes++];
		struct brink_error *err = NULL;
		r->ops = brink_runtime_drivers[i];
		if (r->ops->init(&rc, &r->rt, &err) < 0) {
			snprintf(r->reason, sizeof(r->reason), "%s", err->msg);
			log_warn("runtime %s unavailable: %s", r->ops->name, err->msg);
			brink_error_free(&err);
			r->rt = NULL;
		} else {
			log_info("runtime %s ready", r->ops->name);
		}
	}
}

int brink_control_new(const struct brink_config *cfg, struct brink_store *st,
		      struct brink_control **out, struct brink_error **err)
{
	if (sodium_init() < 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "libsodium failed to initialise");
	struct brink_control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	pthread_mutex_init(&ctl->lock, NULL);
	pthread_cond_init(&ctl->changed, NULL);
	ctl->cfg = *cfg;
	ctl->st = st;
	if (control__master_load(ctl, err) < 0) {
		pthread_mutex_destroy(&ctl->lock);
		free(ctl);
		return -1;
	}
	ctl->alloc = brink_alloc_new(brink_config_capacity(cfg));
	if (!ctl->alloc) {
		free(ctl);
		return brink_error_make(err, BRINK_E_INVALID, "cpu capacity %g is not usable",
					brink_config_capacity(cfg));
	}
	runtimes_init(ctl);
	control__vm_init(ctl);
	*out = ctl;
	return 0;
}

void brink_control_free(struct brink_control *ctl)
{
	if (!ctl)
		return;
	struct ctl_service *s, *tmp;
	pthread_mutex_lock(&ctl->lock);
	control__prepare_drain(ctl);
	HASH_ITER(hh, ctl->services, s, tmp) {
		HASH_DEL(ctl->services, s);
		control__service_unplace(ctl, s);
		control__service_free(s);
	}
	pthread_mutex_unlock(&ctl->lock);
	control__vm_free(ctl);
	for (size_t i = 0; i < ctl->nruntimes; i++)
		if (ctl->runtimes[i].rt)
			ctl->runtimes[i].ops->fini(ctl->runtimes[i].rt);
	brink_alloc_free(ctl->alloc);
	pthread_cond_destroy(&ctl->changed);
	pthread_mutex_destroy(&ctl->lock);
	sodium_memzero(ctl->master, sizeof(ctl->master));
	free(ctl);
}

static int load_service(void *arg, const struct brink_service_rec *rec)
{
	struct brink_control *ctl = arg;
	struct ctl_service *s = calloc(1, sizeof(*s));
	if (!s || (s->rec = *rec, brink_spec_copy(&s->rec.spec, &rec->spec) < 0)) {
		free(s);
		return -1;
	}
	s->key = brink_id_to_u64(rec->id);
	s->runtime = control__runtime_find(ctl, rec->spec.runtime);
	if (s->rec.state == BRINK_STATE_RUNNING || s->rec.state == BRINK_STATE_PENDING)
		s->rec.state = BRINK_STATE_PENDING; /* until placed again below */
	HASH_ADD(hh, ctl->services, key, sizeof(uint64_t), s);
	return 0;
}

static void reap_orphans(struct brink_control *ctl)
{
	for (size_t i = 0; i < ctl->nruntimes; i++) {
		struct ctl_runtime *r = &ctl->runtimes[i];
		struct brink_error *err = NULL;
		if (!r->rt || !r->ops->reap_orphans)
			continue;
		int n = r->ops->reap_orphans(r->rt, &err);
		if (n < 0) {
			log_warn("runtime %s: reaping orphans: %s", r->ops->name, err->msg);
			brink_error_free(&err);
		} else if (n > 0) {
			log_info("runtime %s: removed %d units left by an earlier brinkd", r->ops->name, n);
		}
	}
}

/* For runtimes whose units outlive brinkd: removes what no placed service
 * of theirs re-adopted. */
static void reap_except_placed(struct brink_control *ctl)
{
	size_t n = HASH_COUNT(ctl->services);
	uint64_t *keep = calloc(n ? n : 1, sizeof(*keep));
	for (size_t i = 0; keep && i < ctl->nruntimes; i++) {
		struct ctl_runtime *r = &ctl->runtimes[i];
		struct brink_error *err = NULL;
		size_t k = 0;
		if (!r->rt || !r->ops->reap_except)
			continue;
		for (struct ctl_service *s = ctl->services; s; s = s->hh.next)
			if (s->runtime == r && s->unit)
				keep[k++] = s->key;
		int removed = r->ops->reap_except(r->rt, keep, k, &err);
		if (removed < 0) {
			log_warn("runtime %s: reaping: %s", r->ops->name, err->msg);
			brink_error_free(&err);
		} else if (removed > 0) {
			log_info("runtime %s: removed %d units no service wants", r->ops->name, removed);
		}
	}
	free(keep);
}

/* Admits every service that should run, then places them with their shares. */
static void restart_desired(struct brink_control *ctl)
{
	struct ctl_service *s, *tmp;
	size_t started = 0;
	HASH_ITER(hh, ctl->services, s, tmp) {
		struct brink_error *err = NULL;
		if (!s->rec.desired_running)
			continue;
		if (control__cpu_admit(ctl, s, &err) < 0) {
			s->rec.state = BRINK_STATE_FAILED;
			snprintf(s->rec.reason, sizeof(s->rec.reason), "after restart: %s", err->msg);
			brink_error_free(&err);
		}
	}
	brink_alloc_recompute(ctl->alloc, &(const struct brink_alloc_change *){NULL});
	HASH_ITER(hh, ctl->services, s, tmp) {
		struct brink_error *err = NULL;
		if (!s->rec.desired_running || s->rec.state == BRINK_STATE_FAILED)
			goto persist;
		if (control__service_place(ctl, s, &err) < 0)
			brink_error_free(&err);
		else
			started++;
persist:
		if (s->rec.desired_running &&
		    brink_store_service_set_state(ctl->st, s->rec.id, true, s->rec.state,
						  s->rec.reason, &err) < 0) {
			log_error("service %s: %s", s->rec.id, err->msg);
			brink_error_free(&err);
		}
	}
	log_info("reconciled: %u services, %zu started again", HASH_COUNT(ctl->services), started);
}

void brink_control_set_router(struct brink_control *ctl, struct brink_router *r)
{
	ctl->router = r;
}

int brink_control_start(struct brink_control *ctl, struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	reap_orphans(ctl);
	int rc = brink_store_service_load(ctl->st, load_service, ctl, err);
	if (rc == 0) {
		restart_desired(ctl);
		reap_except_placed(ctl);
		control__vm_start(ctl);
	} else if (!*err)
		brink_error_make(err, BRINK_E_INTERNAL, "loading services: out of memory");
	pthread_mutex_unlock(&ctl->lock);
	return rc == 0 ? 0 : -1;
}

int brink_control_reload(struct brink_control *ctl, const struct brink_config *cfg,
			 struct brink_error **err)
{
	int rc = 0;
	pthread_mutex_lock(&ctl->lock);
	double cap = brink_config_capacity(cfg);
	if (brink_alloc_set_capacity(ctl->alloc, cap) != BRINK_ALLOC_OK) {
		rc = brink_error_make(err, BRINK_E_CAPACITY,
				      "cpu capacity %g is below the %g cores guaranteed; kept %g", cap,
				      brink_alloc_sum_min(ctl->alloc), brink_alloc_capacity(ctl->alloc));
	} else {
		control__cpu_rebalance(ctl, NULL);
	}
	ctl->cfg.service_memory_mb = cfg->service_memory_mb;
	ctl->cfg.services_max = cfg->services_max;
	ctl->cfg.sandbox_start_timeout_ms = cfg->sandbox_start_timeout_ms;
	ctl->cfg.models_max_bytes = cfg->models_max_bytes;
	ctl->cfg.models_check_timeout_ms = cfg->models_check_timeout_ms;
	ctl->cfg.models_check_memory_mb = cfg->models_check_memory_mb;
	snprintf(ctl->cfg.runtime_default, sizeof(ctl->cfg.runtime_default), "%s",
		 cfg->runtime_default);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_system(struct brink_control *ctl, struct brink_system *out,
			 struct brink_error **err)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ctl->lock);
	out->capacity = brink_alloc_capacity(ctl->alloc);
	out->assigned = brink_alloc_sum_assigned(ctl->alloc);
	out->sum_min = brink_alloc_sum_min(ctl->alloc);
	out->services = HASH_COUNT(ctl->services);
	for (struct ctl_service *s = ctl->services; s; s = s->hh.next)
		out->by_state[s->rec.state]++;
	for (size_t i = 0; i < ctl->nruntimes; i++) {
		out->runtimes[i].name = ctl->runtimes[i].ops->name;
		out->runtimes[i].available = ctl->runtimes[i].rt != NULL;
		out->runtimes[i].reason = ctl->runtimes[i].reason;
	}
	out->nruntimes = ctl->nruntimes;
	if (out->nruntimes < BRINK_ARRAY_SIZE(out->runtimes)) {
		out->runtimes[out->nruntimes].name = "libvirt";
		out->runtimes[out->nruntimes].available =
			control__vm_connected(ctl, &out->runtimes[out->nruntimes].reason);
		out->nruntimes++;
	}
	int rc = brink_store_tenant_count(ctl->st, &out->tenants, err);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
