/* The docker driver's watcher: one thread reads the engine's event stream
 * (container "die" events of this brinkd's containers) and queues them; a
 * second handles the queue (inspect, restart by policy, or on_exit), so the
 * stream is never held up by a slow call. When the stream breaks (the engine
 * stopped or restarted), the reader pings the engine with a growing backoff
 * and, once it answers, queues a check of every unit before it subscribes
 * again (with `since` a second back, so no event falls in between). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "brink/log.h"
#include "runtime/docker-internal.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000

static void enqueue(struct brink_runtime *rt, const char *cid)
{
	struct dk_queued *q = calloc(1, sizeof(*q));
	if (!q)
		return;
	snprintf(q->cid, sizeof(q->cid), "%s", cid);
	pthread_mutex_lock(&rt->lock);
	*rt->queue_tail = q;
	rt->queue_tail = &q->next;
	pthread_cond_broadcast(&rt->work);
	pthread_mutex_unlock(&rt->lock);
}

static int on_event(void *ctx, json_t *v)
{
	struct brink_runtime *rt = ctx;
	const char *action = json_string_value(json_object_get(v, "Action"));
	const char *id = json_string_value(json_object_get(json_object_get(v, "Actor"), "ID"));
	if (action && id && strcmp(action, "die") == 0 && strlen(id) <= DK_CID_MAX)
		enqueue(rt, id);
	pthread_mutex_lock(&rt->lock);
	bool quit = rt->quit;
	pthread_mutex_unlock(&rt->lock);
	return quit;
}

/* Sleeps ms unless told to quit; returns whether to quit. */
static bool nap(struct brink_runtime *rt, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&rt->lock);
	if (!rt->quit)
		pthread_cond_timedwait(&rt->work, &rt->lock, &ts);
	bool quit = rt->quit;
	pthread_mutex_unlock(&rt->lock);
	return quit;
}

static bool engine_answers(struct brink_runtime *rt)
{
	struct dk_reply r;
	if (dk__request(rt, "GET", "/_ping", NULL, 2000, &r, NULL) < 0)
		return false;
	json_decref(r.json);
	return r.status == 200;
}

static void subscribe(struct brink_runtime *rt, time_t since)
{
	char filt[160], esc[3 * sizeof(filt)], path[sizeof(esc) + 64];
	struct brink_error *err = NULL;
	snprintf(filt, sizeof(filt),
		 "{\"type\":[\"container\"],\"event\":[\"die\"],\"label\":[\"brink.instance=%s\"]}",
		 rt->instance);
	snprintf(path, sizeof(path), "/events?since=%lld&filters=%s", (long long)since,
		 dk__escape(filt, esc, sizeof(esc)));
	struct dk_stream s = {.method = "GET", .path = path, .on_line = on_event, .ctx = rt,
			      .sockfd = &rt->events_fd};
	if (dk__stream(rt, &s, &err) < 0) {
		log_debug("docker: event stream: %s", err->msg);
		brink_error_free(&err);
	}
	json_decref(s.error_json);
}

static void *events_main(void *arg)
{
	struct brink_runtime *rt = arg;
	long backoff = BACKOFF_MIN_MS;
	bool first = true;
	time_t since = time(NULL);
	while (!nap(rt, 0)) {
		if (!engine_answers(rt)) {
			if (backoff == BACKOFF_MIN_MS)
				log_warn("docker: the engine at %s does not answer; waiting for it",
					 rt->socket);
			if (nap(rt, backoff))
				break;
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		if (!first) {
			log_info("docker: the engine answers again; checking every container");
			since = time(NULL) - 1;
			enqueue(rt, "");
		}
		first = false;
		backoff = BACKOFF_MIN_MS;
		subscribe(rt, since);
		since = time(NULL) - 1;
	}
	return NULL;
}

static struct dk_queued *dequeue(struct brink_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	while (!rt->queue && !rt->quit)
		pthread_cond_wait(&rt->work, &rt->lock);
	struct dk_queued *q = rt->quit ? NULL : rt->queue;
	if (q) {
		rt->queue = q->next;
		if (!rt->queue)
			rt->queue_tail = &rt->queue;
	}
	pthread_mutex_unlock(&rt->lock);
	return q;
}

static void *handler_main(void *arg)
{
	struct brink_runtime *rt = arg;
	struct dk_queued *q;
	while ((q = dequeue(rt))) {
		if (q->cid[0])
			dk__container_stopped(rt, q->cid);
		else
			dk__check_all(rt);
		free(q);
	}
	return NULL;
}

int dk__watch_start(struct brink_runtime *rt, struct brink_error **err)
{
	if (pthread_create(&rt->handler_thread, NULL, handler_main, rt) != 0)
		return brink_error_make(err, BRINK_E_INTERNAL, "cannot start a thread");
	if (pthread_create(&rt->events_thread, NULL, events_main, rt) != 0) {
		pthread_mutex_lock(&rt->lock);
		rt->quit = true;
		pthread_cond_broadcast(&rt->work);
		pthread_mutex_unlock(&rt->lock);
		pthread_join(rt->handler_thread, NULL);
		return brink_error_make(err, BRINK_E_INTERNAL, "cannot start a thread");
	}
	rt->threads_started = true;
	return 0;
}

void dk__watch_stop(struct brink_runtime *rt)
{
	if (!rt->threads_started)
		return;
	pthread_mutex_lock(&rt->lock);
	rt->quit = true;
	if (rt->events_fd >= 0)
		shutdown(rt->events_fd, SHUT_RDWR);
	pthread_cond_broadcast(&rt->work);
	pthread_mutex_unlock(&rt->lock);
	pthread_join(rt->events_thread, NULL);
	pthread_join(rt->handler_thread, NULL);
	rt->threads_started = false;
	struct dk_queued *q;
	while ((q = rt->queue)) {
		rt->queue = q->next;
		free(q);
	}
	rt->queue_tail = &rt->queue;
}
