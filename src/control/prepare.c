/* Services whose runtime must prepare before it can start them (a docker
 * image to pull, seconds to minutes; then a container to create and start,
 * hundreds of milliseconds): create answers at once with the service
 * pending, its CPU admitted and its ports given. A thread of its own runs the
 * runtime's prepare() and start() without the control plane's lock (so
 * twenty such starts run side by side, as they do in the engine), keeping
 * the last progress lines on the service for readers, then takes the lock
 * and records the unit, or fails the service with the reason. A stop or
 * delete meanwhile abandons the job (the service is gone or its generation
 * moved on): a unit it started anyway is stopped again. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"
#include "control/control-internal.h"

#define QUICK_PREPARE_MS 50

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct prepare_job {
	struct brink_control *ctl;
	struct ctl_runtime *runtime;
	uint64_t key;
	unsigned gen;
	/* the unit's spec, pointing into the job's own copies (s may go away) */
	struct brink_unit_spec spec;
	char image[BRINK_IMAGE_MAX + 1];
	brink_id tenant;
	char host_ip[64], restart[16];
	int container_ports[BRINK_PORTS_MAX], host_ports[BRINK_PORTS_MAX];
	char *analyze_config; /* an analyze unit's (spec.model_fd is the job's too) */
};

static void job_free(struct prepare_job *job)
{
	if (job->spec.model_fd > 0)
		close(job->spec.model_fd);
	free(job->analyze_config);
	free(job);
}

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
	return s->runtime && s->runtime->rt && s->runtime->ops->prepare;
}

/* The service this job prepares, if it still waits for this job. */
static struct ctl_service *job_service(struct prepare_job *job)
{
	struct ctl_service *s;
	if (job->ctl->quitting)
		return NULL;
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
	pthread_mutex_unlock(&job->ctl->lock);
	return !s;
}

/* Whether the service still wants its unit; if so the spec gets its CPU
 * share as it is now. */
static bool still_wanted(struct prepare_job *job)
{
	pthread_mutex_lock(&job->ctl->lock);
	bool wanted = job_service(job) != NULL;
	if (wanted)
		job->spec.cpu = brink_alloc_assigned(job->ctl->alloc, job->key);
	pthread_mutex_unlock(&job->ctl->lock);
	return wanted;
}

static void fail(struct brink_control *ctl, struct ctl_service *s, const char *why)
{
	control__service_set_failed(s, why);
	control__cpu_release(ctl, s);
	control__cpu_rebalance(ctl, NULL);
	s->rec.desired_running = false;
	log_warn("service %s failed to start: %s", s->rec.id, why);
}

/* Records the outcome (lock held); takes *unit on success. */
static void finish(struct prepare_job *job, struct ctl_service *s, struct brink_unit **unit,
		   struct brink_error *job_err)
{
	struct brink_control *ctl = job->ctl;
	struct ctl_runtime *r = job->runtime;
	struct brink_error *err = NULL;
	s->preparing = false;
	if (!job_err) {
		control__service_placed(ctl, s, brink_steal(unit));
		double now = brink_alloc_assigned(ctl->alloc, s->key);
		if (fabs(now - job->spec.cpu) > 1e-9 && r->ops->set_cpu &&
		    r->ops->set_cpu(r->rt, s->unit, now, &err) < 0) { /* the share moved meanwhile */
			log_warn("service %s: applying %.3f cores: %s", s->rec.id, now, err->msg);
			brink_error_free(&err);
		}
		return; /* stored as pending and wanted: a restart places it again, as now */
	}
	fail(ctl, s, job_err->msg);
	if (control__service_persist(ctl, s, &err) < 0) {
		log_error("service %s: %s", s->rec.id, err->msg);
		brink_error_free(&err);
	}
}

static void *prepare_main(void *arg)
{
	struct prepare_job *job = arg;
	struct brink_control *ctl = job->ctl;
	struct ctl_runtime *r = job->runtime;
	struct brink_error *err = NULL, *stop_err = NULL;
	struct brink_unit *unit = NULL;
	uint64_t t0 = now_ms();
	/* after a long preparation (a pull) the service may be gone: ask first;
	 * a quick one starts at once, while create still stores the row */
	if (r->ops->prepare(r->rt, &job->spec, on_progress, job, &err) == 0 &&
	    (now_ms() - t0 < QUICK_PREPARE_MS || still_wanted(job)))
		r->ops->start(r->rt, &job->spec, &unit, &err);
	pthread_mutex_lock(&ctl->lock);
	struct ctl_service *s = job_service(job);
	if (s)
		finish(job, s, &unit, err);
	pthread_mutex_unlock(&ctl->lock);
	if (unit && r->ops->stop(r->rt, unit, &stop_err) < 0) /* started for nobody */
		brink_error_free(&stop_err);
	brink_error_free(&err);
	pthread_mutex_lock(&ctl->lock);
	ctl->preparing--;
	pthread_cond_broadcast(&ctl->changed);
	pthread_mutex_unlock(&ctl->lock);
	job_free(job);
	return NULL;
}

static struct prepare_job *job_new(struct brink_control *ctl, struct ctl_service *s)
{
	struct prepare_job *job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->ctl = ctl;
	job->runtime = s->runtime;
	job->key = s->key;
	control__unit_spec(ctl, s, &job->spec);
	if (s->rec.spec.kind == BRINK_KIND_ANALYZE) { /* its model and configuration */
		struct brink_error *err = NULL;
		if (control__analyze_unit(ctl, s, &job->spec.model_fd, &job->analyze_config,
					  &err) < 0) {
			log_warn("service %s: %s", s->rec.id, err->msg);
			brink_error_free(&err);
			free(job);
			return NULL;
		}
		job->spec.analyze_config = job->analyze_config;
	}
	snprintf(job->image, sizeof(job->image), "%s", s->rec.spec.image);
	snprintf(job->tenant, sizeof(job->tenant), "%s", s->rec.tenant_id);
	snprintf(job->host_ip, sizeof(job->host_ip), "%s", job->spec.host_ip ? job->spec.host_ip : "");
	for (size_t i = 0; i < job->spec.nports; i++) {
		job->container_ports[i] = job->spec.container_ports[i];
		job->host_ports[i] = job->spec.host_ports[i];
	}
	job->spec.image = job->image;
	job->spec.tenant = job->tenant;
	job->spec.host_ip = job->host_ip;
	if (job->spec.restart) {
		snprintf(job->restart, sizeof(job->restart), "%s", job->spec.restart);
		job->spec.restart = job->restart;
	}
	job->spec.container_ports = job->container_ports;
	job->spec.host_ports = job->host_ports;
	return job;
}

int control__prepare_start(struct brink_control *ctl, struct ctl_service *s)
{
	pthread_attr_t attr;
	pthread_t t;
	if (ctl->quitting)
		return -1;
	struct prepare_job *job = job_new(ctl, s);
	if (!job)
		return -1;
	job->gen = s->prepare_gen + 1;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, prepare_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		job_free(job);
		return -1;
	}
	s->prepare_gen = job->gen; /* the thread waits for the lock we hold */
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
