/* CPU shares pushed to containers by a few threads of the driver's own.
 * The allocator changes every share at once when a unit joins or leaves; a
 * POST /containers/{id}/update costs the engine tens of milliseconds, so
 * set_cpu() only records the wanted share and queues the unit (once, however
 * many changes come before it is served), and an updater applies the latest
 * value. Neither the control plane's lock nor an API request waits for the
 * engine, and twenty services starting at once cost twenty updates per
 * container at most, not one per change. */
#include <stdio.h>
#include <string.h>

#include "brink/log.h"
#include "runtime/docker-internal.h"

void dk__cpu_request(struct brink_runtime *rt, struct brink_unit *u, double cores)
{
	pthread_mutex_lock(&rt->lock);
	u->want_cpu = cores;
	if (!u->cpu_queued) {
		struct dk_update *q = calloc(1, sizeof(*q));
		if (q) {
			q->id = u->id;
			*rt->upd_tail = q;
			rt->upd_tail = &q->next;
			u->cpu_queued = true;
			pthread_cond_signal(&rt->upd_work);
		}
	}
	pthread_mutex_unlock(&rt->lock);
}

/* Takes the next queued unit's container and wanted share (lock held). */
static bool next_update(struct brink_runtime *rt, char cid[DK_CID_MAX + 1], double *cores,
			uint64_t *id)
{
	struct dk_update *q;
	while ((q = rt->upd)) {
		struct brink_unit *u;
		rt->upd = q->next;
		if (!rt->upd)
			rt->upd_tail = &rt->upd;
		*id = q->id;
		free(q);
		HASH_FIND(hh, rt->units, id, sizeof(*id), u);
		if (!u) /* stopped meanwhile */
			continue;
		u->cpu_queued = false;
		memcpy(cid, u->cid, DK_CID_MAX + 1);
		*cores = u->want_cpu;
		return true;
	}
	return false;
}

static void *updater_main(void *arg)
{
	struct brink_runtime *rt = arg;
	char cid[DK_CID_MAX + 1];
	double cores;
	uint64_t id;
	pthread_mutex_lock(&rt->lock);
	while (!rt->quit) {
		if (!next_update(rt, cid, &cores, &id)) {
			pthread_cond_wait(&rt->upd_work, &rt->lock);
			continue;
		}
		pthread_mutex_unlock(&rt->lock);
		struct brink_error *err = NULL;
		int rc = dk__update_cpu(rt, cid, cores, &err);
		pthread_mutex_lock(&rt->lock);
		struct brink_unit *u;
		HASH_FIND(hh, rt->units, &id, sizeof(id), u);
		if (u && rc == 0)
			u->cpu = cores;
		else if (u) /* (a unit stopped meanwhile has no container left to update) */
			log_warn("docker: service %016llx: applying %.3f cores: %s",
				 (unsigned long long)id, cores, err->msg);
		brink_error_free(&err);
	}
	pthread_mutex_unlock(&rt->lock);
	return NULL;
}

int dk__updaters_start(struct brink_runtime *rt, struct brink_error **err)
{
	for (rt->nupdaters = 0; rt->nupdaters < DK_UPDATERS; rt->nupdaters++)
		if (pthread_create(&rt->updaters[rt->nupdaters], NULL, updater_main, rt) != 0)
			break;
	return rt->nupdaters ? 0 : brink_error_make(err, BRINK_E_INTERNAL, "cannot start a thread");
}

void dk__updaters_stop(struct brink_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	rt->quit = true;
	pthread_cond_broadcast(&rt->upd_work);
	pthread_mutex_unlock(&rt->lock);
	for (int i = 0; i < rt->nupdaters; i++)
		pthread_join(rt->updaters[i], NULL);
	rt->nupdaters = 0;
	struct dk_update *q;
	while ((q = rt->upd)) {
		rt->upd = q->next;
		free(q);
	}
	rt->upd_tail = &rt->upd;
}
