#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"
#include "router/router.h"

struct ctl_service *control__service_find(struct brink_control *ctl, const char *tenant_id,
					  const char *id)
{
	struct ctl_service *s;
	if (!brink_id_valid(id))
		return NULL;
	uint64_t key = brink_id_to_u64(id);
	HASH_FIND(hh, ctl->services, &key, sizeof(key), s);
	/* another tenant's service is exactly as absent as one that never was */
	return s && strcmp(s->rec.tenant_id, tenant_id) == 0 ? s : NULL;
}

void control__service_free(struct ctl_service *s)
{
	if (!s)
		return;
	brink_spec_free(&s->rec.spec);
	free(s->cache.text);
	free(s);
}

void control__service_set_failed(struct ctl_service *s, const char *reason)
{
	s->rec.state = BRINK_STATE_FAILED;
	snprintf(s->rec.reason, sizeof(s->rec.reason), "%s", reason);
}

/* Tells the data plane about a unit that has a data channel. */
static void route_add(struct brink_control *ctl, struct ctl_service *s)
{
	struct ctl_runtime *r = s->runtime;
	int fd = r->ops->data_fd ? r->ops->data_fd(r->rt, s->unit) : -1;
	if (!ctl->router || fd < 0)
		return;
	int port = s->rec.nports ? s->rec.ports[0] : 0;
	struct brink_route route = {
		.service = s->key,
		.data_fd = fd,
		.stream_fd = port ? brink_router_listen(ctl->cfg.ingest_bind, port) : -1,
		.nthings = s->rec.spec.all_things ? 0 : s->rec.spec.nthings,
		.things = s->rec.spec.things,
	};
	memcpy(route.tenant, s->rec.tenant_id, sizeof(route.tenant));
	if (port && route.stream_fd < 0)
		log_warn("service %s: cannot listen on its stream port %d: %s", s->rec.id, port,
			 strerror(-route.stream_fd));
	brink_router_add(ctl->router, &route);
}

static void close_model(struct brink_unit_spec *us, char *config)
{
	if (us->model_fd > 0)
		close(us->model_fd);
	us->model_fd = -1;
	free(config);
}

/* An analyze unit gets its model and configuration; others nothing. */
static int unit_extras(struct brink_control *ctl, struct ctl_service *s,
		       struct brink_unit_spec *us, char **config, struct brink_error **err)
{
	*config = NULL;
	if (s->rec.spec.kind != BRINK_KIND_ANALYZE)
		return 0;
	if (control__analyze_unit(ctl, s, &us->model_fd, config, err) < 0)
		return -1;
	us->analyze_config = *config;
	return 0;
}

void control__unit_spec(struct brink_control *ctl, struct ctl_service *s,
			struct brink_unit_spec *us)
{
	const struct brink_spec *sp = &s->rec.spec;
	*us = (struct brink_unit_spec){
		.id = s->key,
		.tenant = s->rec.tenant_id,
		.kind = brink_kind_name(sp->kind),
		.cpu = brink_alloc_assigned(ctl->alloc, s->key),
		.memory_bytes = (uint64_t)sp->memory_mb << 20,
		.image = sp->image,
		.model_fd = -1,
	};
	if (sp->kind == BRINK_KIND_CUSTOM) {
		us->nports = sp->nports < s->rec.nports ? sp->nports : s->rec.nports;
		us->container_ports = sp->container_ports;
		us->host_ports = s->rec.ports;
		const char *ip = ctl->cfg.docker_publish_ip[0] ? ctl->cfg.docker_publish_ip
							       : ctl->cfg.ingest_bind;
		us->host_ip = strcmp(ip, "0.0.0.0") == 0 ? "" : ip;
		us->restart = sp->restart[0] ? sp->restart : NULL;
	}
}

void control__service_placed(struct brink_control *ctl, struct ctl_service *s,
			     struct brink_unit *u)
{
	s->unit = u;
	s->rec.state = BRINK_STATE_RUNNING;
	s->rec.reason[0] = '\0';
	route_add(ctl, s);
}

int control__service_place(struct brink_control *ctl, struct ctl_service *s,
			   struct brink_error **err)
{
	struct ctl_runtime *r = s->runtime;
	struct brink_unit_spec us;
	char *config = NULL;
	control__unit_spec(ctl, s, &us);
	if (!r || !r->rt) {
		brink_error_make(err, BRINK_E_UNAVAILABLE, "runtime %s is not available%s%s",
				 s->rec.spec.runtime, r ? ": " : " on this gateway", r ? r->reason : "");
	} else if (unit_extras(ctl, s, &us, &config, err) == 0 &&
		   r->ops->start(r->rt, &us, &s->unit, err) == 0) {
		control__service_placed(ctl, s, s->unit);
		close_model(&us, config);
		return 0;
	}
	close_model(&us, config);
	s->unit = NULL;
	control__service_set_failed(s, (*err)->msg);
	control__cpu_release(ctl, s);
	control__cpu_rebalance(ctl, NULL);
	log_warn("service %s failed to start: %s", s->rec.id, (*err)->msg);
	return -1;
}

void control__service_unplace(struct brink_control *ctl, struct ctl_service *s)
{
	struct brink_error *err = NULL;
	if (s->preparing) { /* admitted, not placed yet: its preparation is abandoned */
		s->preparing = false;
		control__cpu_release(ctl, s);
	}
	if (s->unit && ctl->router)
		brink_router_remove(ctl->router, s->key);
	if (s->unit && s->runtime->ops->stop(s->runtime->rt, s->unit, &err) < 0) {
		log_warn("service %s: stopping: %s", s->rec.id, err->msg);
		brink_error_free(&err);
	}
	if (s->unit)
		control__cpu_release(ctl, s);
	s->unit = NULL;
}

/* Hands the service to cb; with `detail`, asks the runtime about the unit
 * too (a few file reads: too slow for a list of a thousand). */
static void render_view(struct brink_control *ctl, struct ctl_service *s, bool detail,
			brink_service_cb cb, void *ctx)
{
	struct brink_service_view v = {
		.rec = &s->rec, .assigned = control__cpu_assigned(ctl, s), .cache = &s->cache};
	struct brink_unit_info info;
	v.progress = s->progress;
	v.progress_seq = s->progress_seq;
	if (detail && s->unit && s->runtime->ops->info &&
	    s->runtime->ops->info(s->runtime->rt, s->unit, &info, NULL) == 0) {
		v.pid = info.pid;
		v.worker_cpu = info.worker_cpu;
		v.has_stats = s->rec.spec.kind == BRINK_KIND_ANALYZE;
		v.readings = info.readings;
		v.results = info.results;
		v.skipped_missing = info.skipped_missing;
		v.skipped_bad = info.skipped_bad;
		v.has_usage = true;
		v.cpu_usage_ns = info.cpu_usage_ns;
		v.memory_bytes = info.memory_bytes;
		v.net_rx_bytes = info.net_rx_bytes;
		v.net_tx_bytes = info.net_tx_bytes;
	}
	cb(ctx, &v);
}

static void render(struct brink_control *ctl, struct ctl_service *s, brink_service_cb cb, void *ctx)
{
	render_view(ctl, s, true, cb, ctx);
}

void control__service_render(struct brink_control *ctl, struct ctl_service *s,
			     brink_service_cb cb, void *ctx)
{
	render(ctl, s, cb, ctx);
}

struct ctl_runtime *control__runtime_find(struct brink_control *ctl, const char *name)
{
	for (size_t i = 0; i < ctl->nruntimes; i++)
		if (strcmp(ctl->runtimes[i].ops->name, name) == 0)
			return &ctl->runtimes[i];
	return NULL;
}

/* Checks what the body parser cannot: the runtime, the things, the kind's needs. */
static int check_spec(struct brink_control *ctl, const char *tenant_id, struct brink_spec *sp,
		      struct ctl_runtime **rt, struct brink_error **err)
{
	if (!sp->runtime[0])
		snprintf(sp->runtime, sizeof(sp->runtime), "%s", ctl->cfg.runtime_default);
	if (!sp->memory_mb)
		sp->memory_mb = ctl->cfg.service_memory_mb;
	if (sp->kind == BRINK_KIND_CUSTOM && strcmp(sp->runtime, "sandbox") == 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"custom services run an image: they need runtime docker");
	*rt = control__runtime_find(ctl, sp->runtime);
	if (!*rt)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"runtime %s is not available on this gateway", sp->runtime);
	if (!(*rt)->rt)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "runtime %s is not available: %s",
					sp->runtime, (*rt)->reason);
	for (size_t i = 0; i < sp->nthings; i++) {
		struct brink_thing t;
		if (brink_store_thing_get(ctl->st, tenant_id, sp->things[i], &t, err) < 0)
			return -1;
	}
	if (sp->kind == BRINK_KIND_ANALYZE && control__analyze_check(ctl, tenant_id, sp, err) < 0)
		return -1;
	if ((int)HASH_COUNT(ctl->services) >= ctl->cfg.services_max)
		return brink_error_make(err, BRINK_E_CONFLICT, "this gateway holds at most %d services",
					ctl->cfg.services_max);
	return 0;
}

bool control__port_taken(struct brink_control *ctl, int port)
{
	for (struct ctl_service *s = ctl->services; s; s = s->hh.next)
		for (size_t i = 0; i < s->rec.nports; i++)
			if (s->rec.ports[i] == port)
				return true;
	return brink_store_ecm_port_taken(ctl->st, port); /* a tenant's ECM block */
}

/* Gives a service its host ports: a forward or analyze service one stream
 * port, a custom service one per container port. Each is the next one of
 * ports.first..ports.last, round robin, that no service holds (a port just
 * given back is not handed out again at once: its old listener may still be
 * closing on the router's thread). */
static int allocate_stream_port(struct brink_control *ctl, struct ctl_service *s,
				struct brink_error **err)
{
	int first = ctl->cfg.ports_first, span = ctl->cfg.ports_last - first + 1;
	size_t want = s->rec.spec.kind == BRINK_KIND_CUSTOM ? s->rec.spec.nports : 1;
	s->rec.nports = 0;
	for (int i = 0; i < span && s->rec.nports < want; i++) {
		int p = first + (ctl->next_port + i) % span;
		if (!control__port_taken(ctl, p)) {
			s->rec.ports[s->rec.nports++] = p;
			ctl->next_port = (p - first + 1) % span;
		}
	}
	if (s->rec.nports == want)
		return 0;
	s->rec.nports = 0;
	return brink_error_make(err, BRINK_E_CONFLICT, "no %zu free ports left in %d-%d", want,
				ctl->cfg.ports_first, ctl->cfg.ports_last);
}

static struct ctl_service *service_new(const char *tenant_id, struct brink_spec *spec,
				       struct ctl_runtime *rt)
{
	struct ctl_service *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	do
		control__new_id(s->rec.id);
	while (brink_id_to_u64(s->rec.id) == 0);
	s->key = brink_id_to_u64(s->rec.id);
	snprintf(s->rec.tenant_id, sizeof(s->rec.tenant_id), "%s", tenant_id);
	s->rec.spec = *spec;
	memset(spec, 0, sizeof(*spec)); /* arrays now belong to s */
	s->rec.desired_running = true;
	s->rec.state = BRINK_STATE_PENDING;
	s->rec.created = (int64_t)time(NULL);
	s->runtime = rt;
	return s;
}

int control__service_persist(struct brink_control *ctl, struct ctl_service *s,
			     struct brink_error **err)
{
	return brink_store_service_set_state(ctl->st, s->rec.id, s->rec.desired_running,
					     s->rec.state, s->rec.reason, err);
}

struct insert_job {
	struct brink_store *st;
	struct brink_service_rec rec; /* a copy: the caller goes on changing its own */
	struct brink_error *err;
	int rc;
};

static void *insert_main(void *arg)
{
	struct insert_job *job = arg;
	job->rc = brink_store_service_insert(job->st, &job->rec, &job->err);
	return NULL;
}

/* Stores the new service as running while its unit starts: the fsync (about
 * 1 ms here, a quarter of a start) overlaps the spawn instead of following
 * it. Nothing else uses the store meanwhile: we hold the lock. If the start
 * fails, the row is corrected before the reply; if brinkd dies first, the
 * restart starts the service, which is what its stored state asks. */
static int place_and_insert(struct brink_control *ctl, struct ctl_service *s,
			    struct brink_error **err)
{
	struct insert_job job = {.st = ctl->st, .rec = s->rec};
	struct brink_error *place_err = NULL;
	pthread_t t;
	job.rec.state = BRINK_STATE_RUNNING;
	bool threaded = pthread_create(&t, NULL, insert_main, &job) == 0;
	if (!threaded)
		insert_main(&job);
	int placed = control__service_place(ctl, s, &place_err);
	brink_error_free(&place_err); /* reported as state failed with its reason */
	if (threaded)
		pthread_join(t, NULL);
	if (job.rc < 0) {
		*err = job.err;
		return -1;
	}
	if (placed < 0) {
		s->rec.desired_running = false;
		if (control__service_persist(ctl, s, err) < 0)
			return -1;
	}
	return 0;
}

/* Prepares the service on a thread of its own, which starts while the row
 * is stored as pending (the fsync overlaps the container's creation; if the
 * insert fails the service goes and the thread drops what it made). When no
 * thread can be had, places it now. */
static int prepare_and_insert(struct brink_control *ctl, struct ctl_service *s,
			      struct brink_error **err)
{
	bool threaded = control__prepare_start(ctl, s) == 0;
	if (brink_store_service_insert(ctl->st, &s->rec, err) < 0) {
		if (!threaded) /* else unplacing the service releases it */
			control__cpu_release(ctl, s);
		return -1;
	}
	if (threaded)
		return 0;
	struct brink_error *place_err = NULL;
	s->rec.desired_running = control__service_place(ctl, s, &place_err) == 0;
	brink_error_free(&place_err);
	return control__service_persist(ctl, s, err);
}

static int create_locked(struct brink_control *ctl, const char *tenant_id, struct brink_spec *spec,
			 brink_service_cb cb, void *ctx, struct brink_error **err)
{
	struct ctl_runtime *rt;
	if (check_spec(ctl, tenant_id, spec, &rt, err) < 0)
		return -1;
	struct ctl_service *s = service_new(tenant_id, spec, rt);
	if (!s)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	if (allocate_stream_port(ctl, s, err) < 0 || control__cpu_admit(ctl, s, err) < 0) {
		control__service_free(s);
		return -1;
	}
	HASH_ADD(hh, ctl->services, key, sizeof(uint64_t), s);
	control__cpu_rebalance(ctl, s); /* others shrink before the new one starts */
	if (control__wants_prepare(s) ? prepare_and_insert(ctl, s, err) < 0
				       : place_and_insert(ctl, s, err) < 0) {
		HASH_DEL(ctl->services, s);
		control__service_unplace(ctl, s);
		control__cpu_rebalance(ctl, NULL);
		brink_store_service_delete(ctl->st, s->rec.id, NULL);
		control__service_free(s);
		return -1;
	}
	render(ctl, s, cb, ctx);
	return 0;
}

int brink_control_service_create(struct brink_control *ctl, const char *tenant_id,
				 struct brink_spec *spec, brink_service_cb cb, void *ctx,
				 struct brink_error **err)
{
	pthread_mutex_lock(&ctl->lock);
	int rc = create_locked(ctl, tenant_id, spec, cb, ctx, err);
	pthread_mutex_unlock(&ctl->lock);
	brink_spec_free(spec);
	return rc;
}

int brink_control_service_get(struct brink_control *ctl, const char *tenant_id, const char *id,
			      brink_service_cb cb, void *ctx, struct brink_error **err)
{
	int rc = 0;
	pthread_mutex_lock(&ctl->lock);
	struct ctl_service *s = control__service_find(ctl, tenant_id, id);
	if (s)
		render(ctl, s, cb, ctx);
	else
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no service with id %s", id);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_service_list(struct brink_control *ctl, const char *tenant_id,
			       brink_service_cb cb, void *ctx, struct brink_error **err)
{
	brink_id tenant = {0}; /* fixed width, so the filter can compare all of it */
	snprintf(tenant, sizeof(tenant), "%s", tenant_id);
	tenant_id = tenant;
	(void)err;
	pthread_mutex_lock(&ctl->lock);
	for (struct ctl_service *s = ctl->services; s; s = s->hh.next)
		if (memcmp(s->rec.tenant_id, tenant_id, sizeof(brink_id)) == 0)
			render_view(ctl, s, false, cb, ctx);
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

static int stop_locked(struct brink_control *ctl, struct ctl_service *s, struct brink_error **err)
{
	if (s->rec.state == BRINK_STATE_STOPPED && !s->preparing)
		return 0; /* stopping a stopped service is a no-op */
	control__service_unplace(ctl, s);
	control__cpu_rebalance(ctl, NULL);
	s->rec.state = BRINK_STATE_STOPPED;
	s->rec.desired_running = false;
	s->rec.reason[0] = '\0';
	return control__service_persist(ctl, s, err);
}

static int start_locked(struct brink_control *ctl, struct ctl_service *s, struct brink_error **err)
{
	if (s->rec.state == BRINK_STATE_RUNNING || s->preparing)
		return 0;
	if (control__cpu_admit(ctl, s, err) < 0)
		return -1;
	control__cpu_rebalance(ctl, s);
	struct brink_error *place_err = NULL;
	s->rec.desired_running = control__service_place(ctl, s, &place_err) == 0;
	brink_error_free(&place_err);
	return control__service_persist(ctl, s, err);
}

static int act(struct brink_control *ctl, const char *tenant_id, const char *id,
	       int (*fn)(struct brink_control *, struct ctl_service *, struct brink_error **),
	       brink_service_cb cb, void *ctx, struct brink_error **err)
{
	int rc;
	pthread_mutex_lock(&ctl->lock);
	struct ctl_service *s = control__service_find(ctl, tenant_id, id);
	if (!s)
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no service with id %s", id);
	else if ((rc = fn(ctl, s, err)) == 0 && cb)
		render(ctl, s, cb, ctx);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int brink_control_service_stop(struct brink_control *ctl, const char *tenant_id, const char *id,
			       brink_service_cb cb, void *ctx, struct brink_error **err)
{
	return act(ctl, tenant_id, id, stop_locked, cb, ctx, err);
}

int brink_control_service_start(struct brink_control *ctl, const char *tenant_id, const char *id,
				brink_service_cb cb, void *ctx, struct brink_error **err)
{
	return act(ctl, tenant_id, id, start_locked, cb, ctx, err);
}

static int delete_locked(struct brink_control *ctl, struct ctl_service *s, struct brink_error **err)
{
	if (brink_store_service_delete(ctl->st, s->rec.id, err) < 0)
		return -1;
	HASH_DEL(ctl->services, s);
	control__service_unplace(ctl, s);
	control__cpu_rebalance(ctl, NULL);
	control__service_free(s);
	return 0;
}

int brink_control_service_delete(struct brink_control *ctl, const char *tenant_id, const char *id,
				 struct brink_error **err)
{
	return act(ctl, tenant_id, id, delete_locked, NULL, NULL, err);
}

void control__on_exit(void *ctx, uint64_t unit_id, const char *reason)
{
	struct brink_control *ctl = ctx;
	struct ctl_service *s;
	struct brink_error *err = NULL;
	pthread_mutex_lock(&ctl->lock);
	HASH_FIND(hh, ctl->services, &unit_id, sizeof(unit_id), s);
	if (s && s->unit) {
		log_warn("service %s: %s", s->rec.id, reason);
		control__service_unplace(ctl, s);
		control__cpu_rebalance(ctl, NULL);
		control__service_set_failed(s, reason);
		s->rec.desired_running = false;
		if (control__service_persist(ctl, s, &err) < 0) {
			log_error("service %s: %s", s->rec.id, err->msg);
			brink_error_free(&err);
		}
	}
	pthread_mutex_unlock(&ctl->lock);
}
