/* Services whose runtime must prepare before it can start them (a docker
 * image to pull, seconds to minutes): create answers at once with the service
 * pending, its CPU admitted and its ports given; a thread runs the runtime's
 * prepare() without the control plane's lock, keeping the last progress line
 * on the service for readers, then takes the lock and places the service, or
 * fails it with the reason. A stop or delete meanwhile abandons it (the
 * generation no longer matches, or the service is gone). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brink/log.h"
#include "control/control-internal.h"

struct prepare_job {
	struct brink_control *ctl;
	struct ctl_runtime *runtime;
	uint64_t key;
	unsigned gen;
	struct brink_unit_spec spec;
	char image[BRINK_IMAGE_MAX + 1];
	brink_id tenant;
};

void control__progress_add(struct ctl_service *s, const char *line)
{
	size_t cap = sizeof(s->progress), n = strnlen(line, cap / 4), len = strlen(s->progress);
	while (len + n + 2 > cap) { /* drop the oldest line */
		char *nl = strchr(s->progress, '\n');
		size_t drop = nl ? (size_t)(nl - s->progress) + 1 : len;
		memmove(s->progress, s->progress + drop, len - drop + 1);
		len -= drop;
	}
	for (size_t i = 0; i < n; i++) /* one line each: no newline inside */
		s->progress[len + i] = line[i] == '\n' ? ' ' : line[i];
	s->progress[len + n] = '\n';
	s->progress[len + n + 1] = '\0';
	s->progress_seq++;
}

bool control__wants_prepare(const struct ctl_service *s)
{
	return s->runtime && s->runtime->rt && s->runtime->ops->prepare &&
	       s->rec.spec.image[0] != '\0';
}

/* The service this job prepares, if it still waits for this job. */
static struct ctl_service *job_service(struct prepare_job *job)
{
	struct ctl_service *s;
	HASH_FIND(hh, job->ctl->services, &job->key, sizeof(job->key), s);
	return s && s->preparing && s->prepare_gen == job->gen ? s : NULL;
}

static int on_progress(void *arg, const char *line)
{
	struct prepare_job *job = arg;
	pthread_mutex_lock(&job->ctl->lock);
	struct ctl_service *s = job_service(job);
	if (s)
		control__progress_add(s, line);
	bool abandon = !s || job->ctl->quitting;
	pthread_mutex_unlock(&job->ctl->lock);
	return abandon;
}

static void finish(struct prepare_job *job, struct ctl_service *s, struct brink_error *prep_err)
{
	struct brink_control *ctl = job->ctl;
	struct brink_error *err = NULL;
	s->preparing = false;
	if (prep_err) {
		control__service_set_failed(s, prep_err->msg);
		control__cpu_release(ctl, s);
		control__cpu_rebalance(ctl, NULL);
		s->rec.desired_running = false;
		log_warn("service %s failed to start: %s", s->rec.id, prep_err->msg);
	} else if (control__service_place(ctl, s, &err) < 0) {
		s->rec.desired_running = false;
		brink_error_free(&err);
	}
	if (control__service_persist(ctl, s, &err) < 0) {
		log_error("service %s: %s", s->rec.id, err->msg);
		brink_error_free(&err);
	}
}

static void *prepare_main(void *arg)
{
	struct prepare_job *job = arg;
	struct brink_control *ctl = job->ctl;
	struct brink_error *err = NULL;
	struct ctl_runtime *r = job->runtime;
	r->ops->prepare(r->rt, &job->spec, on_progress, job, &err);
	pthread_mutex_lock(&ctl->lock);
	struct ctl_service *s = job_service(job);
	if (s && !ctl->quitting)
		finish(job, s, err);
	ctl->preparing--;
	pthread_cond_broadcast(&ctl->changed);
	pthread_mutex_unlock(&ctl->lock);
	brink_error_free(&err);
	free(job);
	return NULL;
}

int control__prepare_start(struct brink_control *ctl, struct ctl_service *s)
{
	struct prepare_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attr;
	pthread_t t;
	if (!job || ctl->quitting) {
		free(job);
		return -1;
	}
	job->ctl = ctl;
	job->runtime = s->runtime;
	job->key = s->key;
	job->gen = ++s->prepare_gen;
	snprintf(job->image, sizeof(job->image), "%s", s->rec.spec.image);
	snprintf(job->tenant, sizeof(job->tenant), "%s", s->rec.tenant_id);
	control__unit_spec(ctl, s, &job->spec);
	job->spec.image = job->image; /* the job's own copies: s may go away */
	job->spec.tenant = job->tenant;
	job->spec.container_ports = job->spec.host_ports = NULL;
	job->spec.nports = 0;
	job->spec.host_ip = NULL;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, prepare_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(job);
		return -1;
	}
	s->preparing = true;
	s->progress[0] = '\0';
	control__progress_add(s, "preparing");
	ctl->preparing++;
	return 0;
}

void control__prepare_drain(struct brink_control *ctl)
{
	ctl->quitting = true;
	while (ctl->preparing > 0)
		pthread_cond_wait(&ctl->changed, &ctl->lock);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int brink_control_service_wait(struct brink_control *ctl, const char *tenant_id, const char *id,
			       unsigned timeout_ms, brink_service_cb cb, void *ctx,
			       struct brink_error **err)
{
	struct timespec until;
	struct ctl_service *s;
	int rc = 0;
	deadline_in(&until, timeout_ms);
	pthread_mutex_lock(&ctl->lock);
	while ((s = control__service_find(ctl, tenant_id, id)) && s->preparing)
		if (pthread_cond_timedwait(&ctl->changed, &ctl->lock, &until) == ETIMEDOUT)
			break;
	s = control__service_find(ctl, tenant_id, id);
	if (s)
		control__service_render(ctl, s, cb, ctx);
	else
		rc = brink_error_make(err, BRINK_E_NOT_FOUND, "no service with id %s", id);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}
