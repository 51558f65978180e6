#include <pthread.h>
#include <stdatomic.h>

#include "brink/log.h"
#include "control/control-internal.h"

int control__cpu_admit(struct brink_control *ctl, struct ctl_service *s, struct brink_error **err)
{
	const struct brink_spec *sp = &s->rec.spec;
	switch (brink_alloc_admit(ctl->alloc, s->key, sp->cpu_min, sp->cpu_max)) {
	case BRINK_ALLOC_OK:
		return 0;
	case BRINK_ALLOC_ENOSPC:
		return brink_error_make(err, BRINK_E_CAPACITY,
					"cpu.min %g does not fit: %g of %g cores are already"
					" guaranteed to other services",
					sp->cpu_min, brink_alloc_sum_min(ctl->alloc),
					brink_alloc_capacity(ctl->alloc));
	case BRINK_ALLOC_EINVAL:
		return brink_error_make(err, BRINK_E_INVALID, "cpu bounds [%g, %g] are not valid",
					sp->cpu_min, sp->cpu_max);
	default:
		return brink_error_make(err, BRINK_E_INTERNAL, "allocator refused service %s",
					s->rec.id);
	}
}

void control__cpu_release(struct brink_control *ctl, struct ctl_service *s)
{
	brink_alloc_remove(ctl->alloc, s->key);
}

double control__cpu_assigned(struct brink_control *ctl, const struct ctl_service *s)
{
	double a = s->unit ? brink_alloc_assigned(ctl->alloc, s->key) : 0;
	return a > 0 ? a : 0;
}

struct push_job {
	struct ctl_service **units;
	double *cores;
	size_t n;
	atomic_size_t next;
};

static void push_one(struct ctl_service *s, double cores)
{
	struct brink_error *err = NULL;
	if (s->runtime->ops->set_cpu(s->runtime->rt, s->unit, cores, &err) < 0) {
		log_warn("service %s: applying %.3f cores: %s", s->rec.id, cores, err->msg);
		brink_error_free(&err);
	}
}

static void *push_thread(void *arg)
{
	struct push_job *job = arg;
	size_t i;
	while ((i = atomic_fetch_add(&job->next, 1)) < job->n)
		push_one(job->units[i], job->cores[i]);
	return NULL;
}

/* Runs the pushes on up to 8 threads: runtimes such as docker or libvirt take
 * milliseconds per update, so one slow unit must not hold up the rest. A few
 * pushes run inline, where a thread would cost more than it saves. */
static void push_all(struct push_job *job)
{
	enum { INLINE_MAX = 4, THREADS_MAX = 8 };
	pthread_t tids[THREADS_MAX];
	size_t started = 0;
	if (job->n > INLINE_MAX) {
		size_t want = job->n < THREADS_MAX ? job->n : THREADS_MAX;
		while (started < want && pthread_create(&tids[started], NULL, push_thread, job) == 0)
			started++;
	}
	push_thread(job);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

void control__cpu_rebalance(struct brink_control *ctl, const struct ctl_service *skip)
{
	const struct brink_alloc_change *changes;
	size_t n = brink_alloc_recompute(ctl->alloc, &changes);
	if (n == 0)
		return;
	struct ctl_service **units = calloc(n, sizeof(*units));
	double *cores = calloc(n, sizeof(*cores));
	struct push_job job = {.units = units, .cores = cores};
	if (!units || !cores) {
		log_error("rebalance: out of memory; assignments not pushed");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ctl_service *s;
		HASH_FIND(hh, ctl->services, &changes[i].id, sizeof(uint64_t), s);
		if (!s && control__vm_push_cpu(ctl, changes[i].id, changes[i].assigned))
			continue;
		if (!s || s == skip || !s->unit || !s->runtime->ops->set_cpu)
			continue;
		units[job.n] = s;
		cores[job.n++] = changes[i].assigned;
	}
	push_all(&job);
	log_debug("rebalance: %zu assignments changed, %zu pushed", n, job.n);
out:
	free(units);
	free(cores);
}
