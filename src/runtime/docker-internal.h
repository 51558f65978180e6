/* The docker driver's parts: the Engine API transport (docker-http.c), the
 * ops (docker.c) and the watcher of container events (docker-watch.c). */
#ifndef BRINK_RUNTIME_DOCKER_INTERNAL_H
#define BRINK_RUNTIME_DOCKER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uthash.h>

#include "runtime/runtime.h"

/* Engine API version spoken: Debian 12's docker.io (20.10) speaks 1.41. */
#define DK_API "/v1.41"
#define DK_CID_MAX 64
#define DK_REPLY_MAX (4u << 20) /* a reply body larger than this is refused */
#define DK_LINE_MAX (64u << 10) /* one line of a streamed reply (pull, events) */

/* A containerised brink-worker's channels (docker-worker.c). */
struct dk_worker {
	char dir[200];                 /* bind-mounted at /run/brink; "" when none */
	int listen_ctl, listen_data;   /* until the worker connected */
	int ctl_fd, data_fd;           /* brinkd's ends */
};

struct brink_unit {
	uint64_t id;
	bool is_worker;           /* brink-worker (forward, analyze), not a tenant's image */
	struct dk_worker worker;
	char cid[DK_CID_MAX + 1]; /* the container's id */
	int pid;                  /* under rt->lock */
	double cpu;               /* cores last applied (under rt->lock) */
	double want_cpu;          /* cores asked by set_cpu, under rt->lock */
	bool cpu_queued;          /* under rt->lock: waiting for an updater */
	int restarts;             /* under rt->lock */
	bool restart;             /* restarted when it exits (its policy, or docker.restart) */
	UT_hash_handle hh;        /* in rt->units while running, by id */
};

#define DK_UPDATERS 4

struct dk_update {
	uint64_t id;
	struct dk_update *next;
};

struct dk_queued {
	char cid[DK_CID_MAX + 1]; /* "" = check every unit (the engine came back) */
	struct dk_queued *next;
};

struct brink_runtime {
	struct brink_runtime_config cfg;
	char socket[256];
	char network[64];
	char worker_image[128];
	char instance[17]; /* labels this brinkd's containers: a hash of its data_dir */
	long pull_timeout_ms;
	int stop_timeout_s;
	bool restart;
	int restart_max;
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct brink_unit *units; /* under lock */
	/* the watcher (docker-watch.c), under lock */
	pthread_t events_thread, handler_thread;
	bool threads_started, quit;
	int events_fd; /* the events stream's socket, -1 when none */
	struct dk_queued *queue, **queue_tail;
	/* CPU updates (docker-update.c), under lock */
	pthread_t updaters[DK_UPDATERS];
	int nupdaters;
	pthread_cond_t upd_work;
	struct dk_update *upd, **upd_tail;
};

/* A reply: HTTP status and the body as JSON (NULL when it is not JSON). */
struct dk_reply {
	long status;
	json_t *json;
};

/* One request to the engine. body (borrowed) may be NULL. Returns 0 with
 * *out filled (any HTTP status: the caller judges), or -1 with *err when the
 * engine did not answer (BRINK_E_UNAVAILABLE). Free out->json. */
int dk__request(struct brink_runtime *rt, const char *method, const char *path, json_t *body,
		long timeout_ms, struct dk_reply *out, struct brink_error **err);

/* A request whose reply is a stream of JSON values, one per line: on_line
 * gets each (borrowed) and returns nonzero to stop. *status gets the HTTP
 * status; on a status >= 300 the body is not streamed but parsed whole into
 * *error_json (owned by the caller). sockfd, when not NULL, is set to the
 * connection's socket under rt->lock while it is open, -1 after. Returns 0,
 * or -1 with *err when the engine did not answer or the stream broke. */
struct dk_stream {
	const char *method, *path;
	long timeout_ms; /* 0: none */
	int (*on_line)(void *ctx, json_t *v);
	void *ctx;
	int *sockfd;
	long status;
	json_t *error_json;
};
int dk__stream(struct brink_runtime *rt, struct dk_stream *s, struct brink_error **err);

/* The message of an engine error reply ({"message": ...}), or a fallback. */
const char *dk__message(const struct dk_reply *r);

/* Percent-encodes s into out (size outlen); returns out. */
char *dk__escape(const char *s, char *out, size_t outlen);

/* docker-worker.c: the sockets of a containerised worker. listen makes the
 * unit's directory and listening sockets; accept waits for the worker to
 * connect both and send READY; close closes and removes everything. */
int dk__worker_listen(struct brink_runtime *rt, uint64_t id, struct dk_worker *w,
		      struct brink_error **err);
int dk__worker_accept(struct dk_worker *w, unsigned timeout_ms, struct brink_error **err);
/* Writes an analyze worker's model (the memfd model_fd) into the directory. */
int dk__worker_model(struct dk_worker *w, int model_fd, struct brink_error **err);
void dk__worker_close(struct dk_worker *w);

/* docker-update.c: set_cpu() queues, a few updater threads apply. */
void dk__cpu_request(struct brink_runtime *rt, struct brink_unit *u, double cores);
int dk__updaters_start(struct brink_runtime *rt, struct brink_error **err);
void dk__updaters_stop(struct brink_runtime *rt);
/* docker.c: POST /containers/{cid}/update with the share. */
int dk__update_cpu(struct brink_runtime *rt, const char *cid, double cores,
		   struct brink_error **err);

/* docker-watch.c: the events reader and its handler. */
int dk__watch_start(struct brink_runtime *rt, struct brink_error **err);
void dk__watch_stop(struct brink_runtime *rt);

/* docker.c: what to do with a container that is not running any more; used
 * by the watcher. Restarts it when the policy allows, else reports it. */
void dk__container_stopped(struct brink_runtime *rt, const char *cid);
/* Every unit's container checked (after the engine came back). */
void dk__check_all(struct brink_runtime *rt);

#endif
