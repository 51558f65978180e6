/* The docker runtime: each unit is a container of the Docker engine, driven
 * through the Engine API on its unix socket (never the docker CLI, never a
 * shell). Containers are named brink-<instance>-<service id> and labelled
 * with the instance (a hash of brinkd's data directory), the service and the
 * tenant, so that a brinkd started again finds its containers: start()
 * re-adopts one still running with the same image, and reap_except() removes
 * the rest. A name is unique in an engine, so a service never has two.
 *
 * What a tenant sends reaches the engine only as JSON values: the image
 * (checked against the reference grammar, brink/imageref.h) and port
 * numbers. Containers get no privileges, every capability dropped but a few
 * a server needs, no-new-privileges, a pids limit, the configured network
 * (never the host's) and no mounts.
 *
 * Threads: see docker-watch.c for the watcher. The unit table is under
 * rt->lock; HTTP calls are made without it. */
#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "brink/imageref.h"
#include "brink/log.h"
#include "brink/model.h"
#include "core/config.h"
#include "runtime/docker-internal.h"
#include "runtime/docker.h"

#define PIDS_LIMIT 512
#define CALL_TIMEOUT_MS 30000
#define MIN_NANO_CPUS 10000000LL /* the engine refuses less than 0.01 cores */

static const char *const kept_caps[] = {"CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE",
					"KILL", "FOWNER", "DAC_OVERRIDE"};

/* ---- names and small helpers ---- */

static void instance_of(const char *data_dir, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: a stable label, not a secret */
	for (const char *p = data_dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	snprintf(out, 17, "%016" PRIx64, h);
}

static void container_name(const struct brink_runtime *rt, uint64_t id, char *out, size_t len)
{
	snprintf(out, len, "brink-%s-%016" PRIx64, rt->instance, id);
}

static long long nano_cpus(double cores)
{
	long long n = llround(cores * 1e9);
	return n < MIN_NANO_CPUS ? MIN_NANO_CPUS : n;
}

static int engine_error(const char *what, const struct dk_reply *r, enum brink_errc code,
			struct brink_error **err)
{
	return brink_error_make(err, code, "%s: %s", what, dk__message(r));
}

/* A reference as the engine's pull wants it: with ":latest" when it has no
 * tag and no digest (else the engine would pull every tag). */
static int pull_ref(const char *image, char *out, size_t len, struct brink_error **err)
{
	struct brink_imageref r;
	enum brink_imageref_status st = brink_imageref_parse(image, strlen(image), &r);
	if (st != BRINK_IMAGEREF_OK)
		return brink_error_make(err, BRINK_E_INVALID, "image '%.255s': %s", image,
					brink_imageref_strerror(st));
	snprintf(out, len, "%s%s", image, r.tag_len || r.digest_len ? "" : ":latest");
	return 0;
}

/* ---- image pull ---- */

struct pull_ctx {
	brink_runtime_progress progress;
	void *ctx;
	time_t last_bar; /* download bars are passed on once a second */
	char error[400];
	bool cancelled;
};

static int pull_line(void *arg, json_t *v)
{
	struct pull_ctx *p = arg;
	const char *e = json_string_value(json_object_get(v, "error"));
	if (e) {
		snprintf(p->error, sizeof(p->error), "%s", e);
		return 1;
	}
	const char *status = json_string_value(json_object_get(v, "status"));
	const char *id = json_string_value(json_object_get(v, "id"));
	const char *bar = json_string_value(json_object_get(v, "progress"));
	if (!status || !p->progress)
		return 0;
	if (bar) {
		time_t now = time(NULL);
		if (now == p->last_bar)
			return 0;
		p->last_bar = now;
	}
	char line[512];
	snprintf(line, sizeof(line), "%s%s%s%s%s", id ? id : "", id ? ": " : "", status,
		 bar ? " " : "", bar ? bar : "");
	if (p->progress(p->ctx, line)) {
		p->cancelled = true;
		return 1;
	}
	return 0;
}

static int pull(struct brink_runtime *rt, const char *image, brink_runtime_progress progress,
		void *ctx, struct brink_error **err)
{
	char ref[BRINK_IMAGEREF_MAX + 16], esc[3 * sizeof(ref)], path[sizeof(esc) + 64];
	struct pull_ctx p = {.progress = progress, .ctx = ctx};
	if (pull_ref(image, ref, sizeof(ref), err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/images/create?fromImage=%s", dk__escape(ref, esc, sizeof(esc)));
	struct dk_stream s = {.method = "POST", .path = path, .timeout_ms = rt->pull_timeout_ms,
			      .on_line = pull_line, .ctx = &p};
	if (dk__stream(rt, &s, err) < 0)
		return brink_error_wrap(err, "pulling %s", ref);
	if (s.status >= 300) {
		struct dk_reply r = {.status = s.status, .json = s.error_json};
		engine_error("pulling image", &r, BRINK_E_INVALID, err);
		json_decref(s.error_json);
		return -1;
	}
	if (p.cancelled)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "pulling %s: abandoned", ref);
	if (p.error[0])
		return brink_error_make(err, BRINK_E_INVALID, "pulling image: %s", p.error);
	return 0;
}

/* Pulls the image unless the engine has it. */
static int ensure_image(struct brink_runtime *rt, const char *image,
			brink_runtime_progress progress, void *ctx, struct brink_error **err)
{
	char esc[3 * BRINK_IMAGEREF_MAX + 1], path[sizeof(esc) + 32];
	struct dk_reply r;
	snprintf(path, sizeof(path), "/images/%s/json", dk__escape(image, esc, sizeof(esc)));
	if (dk__request(rt, "GET", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	json_decref(r.json);
	if (r.status == 200)
		return 0;
	if (progress && progress(ctx, "pulling image"))
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "abandoned");
	return pull(rt, image, progress, ctx, err);
}

static bool is_worker(const struct brink_unit_spec *spec)
{
	return !spec->image || !spec->image[0];
}

/* brink builds the worker's image itself (scripts/worker-image.sh): it is
 * never pulled. */
static int check_worker_image(struct brink_runtime *rt, struct brink_error **err)
{
	char esc[3 * sizeof(rt->worker_image)], path[sizeof(esc) + 32];
	struct dk_reply r;
	snprintf(path, sizeof(path), "/images/%s/json", dk__escape(rt->worker_image, esc, sizeof(esc)));
	if (dk__request(rt, "GET", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	json_decref(r.json);
	if (r.status == 200)
		return 0;
	return brink_error_make(err, BRINK_E_UNAVAILABLE,
				"the engine has no image %s for brink-worker: build it with "
				"scripts/worker-image.sh",
				rt->worker_image);
}

static int docker_prepare(struct brink_runtime *rt, const struct brink_unit_spec *spec,
			  brink_runtime_progress progress, void *ctx, struct brink_error **err)
{
	if (is_worker(spec))
		return check_worker_image(rt, err);
	return ensure_image(rt, spec->image, progress, ctx, err);
}

/* ---- containers ---- */

static json_t *labels_json(const struct brink_runtime *rt, const struct brink_unit_spec *spec)
{
	char id[17];
	snprintf(id, sizeof(id), "%016" PRIx64, spec->id);
	return json_pack("{s:s,s:s,s:s,s:s}", "brink.instance", rt->instance, "brink.service", id,
			 "brink.tenant", spec->tenant ? spec->tenant : "", "brink.kind",
			 spec->kind ? spec->kind : "");
}

static json_t *ports_json(const struct brink_unit_spec *spec, json_t **exposed)
{
	json_t *bindings = json_object();
	*exposed = json_object();
	for (size_t i = 0; i < spec->nports; i++) {
		char key[16], host[8];
		snprintf(key, sizeof(key), "%d/tcp", spec->container_ports[i]);
		snprintf(host, sizeof(host), "%d", spec->host_ports[i]);
		json_object_set_new(*exposed, key, json_object());
		json_object_set_new(bindings, key,
				    json_pack("[{s:s,s:s}]", "HostIp",
					      spec->host_ip ? spec->host_ip : "", "HostPort", host));
	}
	return bindings;
}

static json_t *host_config(const struct brink_runtime *rt, const struct brink_unit_spec *spec,
			   json_t *bindings)
{
	json_t *caps = json_array();
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(kept_caps); i++)
		json_array_append_new(caps, json_string(kept_caps[i]));
	json_int_t mem = (json_int_t)spec->memory_bytes;
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:[s],s:o,s:[s],s:b,s:s,s:{s:s},s:{s:s,s:{s:s,s:s}}}",
			 "PortBindings", bindings, "NanoCpus", (json_int_t)nano_cpus(spec->cpu),
			 "Memory", mem, "MemorySwap", mem, "PidsLimit", (json_int_t)PIDS_LIMIT,
			 "CapDrop", "ALL", "CapAdd", caps, "SecurityOpt", "no-new-privileges",
			 "Privileged", 0, "NetworkMode", rt->network, "RestartPolicy", "Name", "no",
			 "LogConfig", "Type", "json-file", "Config", "max-size", "1m", "max-file",
			 "1");
}

static json_t *create_body(const struct brink_runtime *rt, const struct brink_unit_spec *spec)
{
	json_t *exposed;
	json_t *bindings = ports_json(spec, &exposed);
	return json_pack("{s:s,s:o,s:o,s:o}", "Image", spec->image, "Labels",
			 labels_json(rt, spec), "ExposedPorts", exposed, "HostConfig",
			 host_config(rt, spec, bindings));
}

/* brink-worker: no network, read-only root, an unprivileged user, and one
 * mount, its socket directory. */
static json_t *worker_body(const struct brink_runtime *rt, const struct brink_unit_spec *spec,
			   const char *dir)
{
	char id[24], bind[sizeof(((struct dk_worker *)0)->dir) + 32];
	json_t *exposed;
	snprintf(id, sizeof(id), "%" PRIu64, spec->id);
	snprintf(bind, sizeof(bind), "%s:/run/brink", dir);
	json_t *hc = host_config(rt, spec, ports_json(spec, &exposed));
	json_decref(exposed);
	json_object_set_new(hc, "NetworkMode", json_string("none"));
	json_object_set_new(hc, "ReadonlyRootfs", json_true());
	json_object_set_new(hc, "Binds", json_pack("[s]", bind));
	json_object_set_new(hc, "CapAdd", json_array());
	json_t *cmd = json_pack("[s,s,s,s,s,s,s]", "/brink-worker", "--connect", "/run/brink",
				"--unit", id, "--kind", spec->kind ? spec->kind : "forward");
	if (spec->model_fd > 0) { /* dk__worker_model() wrote it into the directory */
		json_array_append_new(cmd, json_string("--model-file"));
		json_array_append_new(cmd, json_string("/run/brink/model"));
	}
	if (spec->analyze_config) {
		json_array_append_new(cmd, json_string("--analyze"));
		json_array_append_new(cmd, json_string(spec->analyze_config));
	}
	return json_pack("{s:s,s:o,s:s,s:o,s:o}", "Image", rt->worker_image, "Cmd", cmd, "User",
			 "65534:65534", "Labels", labels_json(rt, spec), "HostConfig", hc);
}

/* Removes a container (by id or name) whatever its state; absent is fine. */
static int remove_container(struct brink_runtime *rt, const char *ref, struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	snprintf(path, sizeof(path), "/containers/%s?force=true&v=true", ref);
	if (dk__request(rt, "DELETE", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	int rc = r.status == 204 || r.status == 404 ? 0
		 : engine_error("removing container", &r, BRINK_E_INTERNAL, err);
	json_decref(r.json);
	return rc;
}

struct inspect {
	bool found, running, oom;
	int pid, exit_code;
	char cid[DK_CID_MAX + 1], image[BRINK_IMAGEREF_MAX + 1], instance[17], error[256];
};

static int inspect(struct brink_runtime *rt, const char *ref, struct inspect *out,
		   struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/containers/%s/json", ref);
	if (dk__request(rt, "GET", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	if (r.status == 200) {
		json_t *st = json_object_get(r.json, "State"), *cfg = json_object_get(r.json, "Config");
		const char *s;
		out->found = true;
		out->running = json_is_true(json_object_get(st, "Running"));
		out->oom = json_is_true(json_object_get(st, "OOMKilled"));
		out->pid = (int)json_integer_value(json_object_get(st, "Pid"));
		out->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
		if ((s = json_string_value(json_object_get(st, "Error"))))
			snprintf(out->error, sizeof(out->error), "%s", s);
		if ((s = json_string_value(json_object_get(r.json, "Id"))))
			snprintf(out->cid, sizeof(out->cid), "%s", s);
		if ((s = json_string_value(json_object_get(cfg, "Image"))))
			snprintf(out->image, sizeof(out->image), "%s", s);
		s = json_string_value(
			json_object_get(json_object_get(cfg, "Labels"), "brink.instance"));
		snprintf(out->instance, sizeof(out->instance), "%s", s ? s : "");
	}
	int rc = r.status == 200 || r.status == 404
			 ? 0
			 : engine_error("inspecting container", &r, BRINK_E_INTERNAL, err);
	json_decref(r.json);
	return rc;
}

static void describe_exit(const struct inspect *in, char *buf, size_t len)
{
	if (!in->found)
		snprintf(buf, len, "container is gone");
	else if (in->oom)
		snprintf(buf, len, "container killed: out of memory (status %d)", in->exit_code);
	else if (in->error[0])
		snprintf(buf, len, "container exited with status %d: %s", in->exit_code, in->error);
	else
		snprintf(buf, len, "container exited with status %d", in->exit_code);
}

static int create(struct brink_runtime *rt, const struct brink_unit_spec *spec, const char *name,
		  const char *worker_dir, char cid[DK_CID_MAX + 1], struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	json_t *body = worker_dir ? worker_body(rt, spec, worker_dir) : create_body(rt, spec);
	if (!body)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	snprintf(path, sizeof(path), "/containers/create?name=%s", name);
	int rc = dk__request(rt, "POST", path, body, CALL_TIMEOUT_MS, &r, err);
	json_decref(body);
	if (rc < 0)
		return -1;
	const char *id = json_string_value(json_object_get(r.json, "Id"));
	if (r.status != 201 || !id || strlen(id) > DK_CID_MAX)
		rc = engine_error("creating container", &r,
				  r.status == 404 ? BRINK_E_INVALID : BRINK_E_INTERNAL, err);
	else
		snprintf(cid, DK_CID_MAX + 1, "%s", id);
	json_decref(r.json);
	return rc;
}

static int start_container(struct brink_runtime *rt, const char *cid, struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	snprintf(path, sizeof(path), "/containers/%s/start", cid);
	if (dk__request(rt, "POST", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	int rc = r.status == 204 || r.status == 304
			 ? 0
			 : engine_error("starting container", &r, BRINK_E_CONFLICT, err);
	json_decref(r.json);
	return rc;
}

int dk__update_cpu(struct brink_runtime *rt, const char *cid, double cores,
		   struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	json_t *body = json_pack("{s:I}", "NanoCpus", (json_int_t)nano_cpus(cores));
	snprintf(path, sizeof(path), "/containers/%s/update", cid);
	int rc = dk__request(rt, "POST", path, body, CALL_TIMEOUT_MS, &r, err);
	json_decref(body);
	if (rc == 0 && r.status != 200)
		rc = engine_error("updating container", &r, BRINK_E_INTERNAL, err);
	json_decref(r.json);
	return rc;
}

static struct brink_unit *unit_new(const struct brink_runtime *rt, const struct brink_unit_spec *spec,
				   const struct inspect *in)
{
	struct brink_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->worker = (struct dk_worker){.listen_ctl = -1, .listen_data = -1, .ctl_fd = -1,
				       .data_fd = -1};
	u->id = spec->id;
	u->pid = in->pid;
	u->cpu = spec->cpu;
	u->restart = spec->restart ? strcmp(spec->restart, "on-failure") == 0 : rt->restart;
	snprintf(u->cid, sizeof(u->cid), "%s", in->cid);
	return u;
}

static void table_add(struct brink_runtime *rt, struct brink_unit *u)
{
	pthread_mutex_lock(&rt->lock);
	HASH_ADD(hh, rt->units, id, sizeof(u->id), u);
	pthread_mutex_unlock(&rt->lock);
}

/* A container of this service still running from an earlier brinkd, with
 * the same image: it is taken over (its CPU brought to the new share). Any
 * other container of that name is removed. Returns 1 when adopted. */
static int adopt(struct brink_runtime *rt, const struct brink_unit_spec *spec, const char *name,
		 struct brink_unit **out, struct brink_error **err)
{
	struct inspect in;
	if (inspect(rt, name, &in, err) < 0)
		return -1;
	if (!in.found)
		return 0;
	/* a worker's sockets did not survive brinkd: its container is of no use */
	bool same = !is_worker(spec) && in.running && strcmp(in.image, spec->image) == 0 &&
		    strcmp(in.instance, rt->instance) == 0;
	if (!same || dk__update_cpu(rt, in.cid, spec->cpu, NULL) < 0)
		return remove_container(rt, in.cid, err) < 0 ? -1 : 0;
	if (!(*out = unit_new(rt, spec, &in)))
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	log_info("docker: service %016" PRIx64 ": re-adopted container %.12s", spec->id, in.cid);
	return 1;
}

/* Creates and starts (a worker: until it connected and said READY); on
 * failure removes what it made. */
static int run_new(struct brink_runtime *rt, const struct brink_unit_spec *spec, const char *name,
		   struct dk_worker *w, struct inspect *in, struct brink_error **err)
{
	char cid[DK_CID_MAX + 1];
	char why[320];
	bool worker = is_worker(spec);
	unsigned timeout = rt->cfg.start_timeout_ms ? rt->cfg.start_timeout_ms : 5000;
	if (worker ? check_worker_image(rt, err) < 0 || dk__worker_listen(rt, spec->id, w, err) < 0
		   : ensure_image(rt, spec->image, NULL, NULL, err) < 0)
		return -1;
	if (worker && spec->model_fd > 0 && dk__worker_model(w, spec->model_fd, err) < 0) {
		dk__worker_close(w);
		return -1;
	}
	if (create(rt, spec, name, worker ? w->dir : NULL, cid, err) < 0) {
		dk__worker_close(w);
		return -1;
	}
	if (start_container(rt, cid, err) < 0 || (worker && dk__worker_accept(w, timeout, err) < 0) ||
	    inspect(rt, cid, in, err) < 0)
		goto fail;
	if (!in->running) {
		describe_exit(in, why, sizeof(why));
		brink_error_make(err, BRINK_E_INVALID, "%s at once", why);
		goto fail;
	}
	return 0;
fail:
	remove_container(rt, cid, NULL);
	dk__worker_close(w);
	return -1;
}

static int docker_start(struct brink_runtime *rt, const struct brink_unit_spec *spec,
			struct brink_unit **out, struct brink_error **err)
{
	char name[64];
	struct inspect in;
	struct dk_worker w = {.listen_ctl = -1, .listen_data = -1, .ctl_fd = -1, .data_fd = -1};
	container_name(rt, spec->id, name, sizeof(name));
	int adopted = adopt(rt, spec, name, out, err);
	if (adopted < 0)
		return -1;
	if (!adopted) {
		if (run_new(rt, spec, name, &w, &in, err) < 0)
			return -1;
		if (!(*out = unit_new(rt, spec, &in))) {
			remove_container(rt, in.cid, NULL);
			dk__worker_close(&w);
			return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
		}
		(*out)->is_worker = is_worker(spec);
		(*out)->worker = w; /* all -1 for a tenant's image */
	}
	table_add(rt, *out);
	return 0;
}

static int docker_stop(struct brink_runtime *rt, struct brink_unit *u, struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	pthread_mutex_lock(&rt->lock);
	HASH_DEL(rt->units, u); /* from now on the watcher ignores it */
	pthread_mutex_unlock(&rt->lock);
	snprintf(path, sizeof(path), "/containers/%s/stop?t=%d", u->cid, rt->stop_timeout_s);
	if (dk__request(rt, "POST", path, NULL, (rt->stop_timeout_s + 10) * 1000L, &r, NULL) == 0)
		json_decref(r.json);
	int rc = remove_container(rt, u->cid, err);
	dk__worker_close(&u->worker);
	free(u);
	return rc;
}

static int docker_data_fd(struct brink_runtime *rt, struct brink_unit *u)
{
	(void)rt;
	return u->worker.data_fd;
}

/* Queued: docker-update.c applies it (an engine update takes tens of ms). */
static int docker_set_cpu(struct brink_runtime *rt, struct brink_unit *u, double cores,
			  struct brink_error **err)
{
	(void)err;
	dk__cpu_request(rt, u, cores);
	return 0;
}

static uint64_t num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return (uint64_t)json_integer_value(b ? json_object_get(v, b) : v);
}

static void net_totals(json_t *networks, struct brink_unit_info *out)
{
	const char *k;
	json_t *n;
	json_object_foreach(networks, k, n) {
		out->net_rx_bytes += num(n, "rx_bytes", NULL);
		out->net_tx_bytes += num(n, "tx_bytes", NULL);
	}
}

static int docker_info(struct brink_runtime *rt, struct brink_unit *u, struct brink_unit_info *out,
		       struct brink_error **err)
{
	char path[160];
	struct dk_reply r;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&rt->lock);
	out->pid = u->pid;
	out->cpu_quota = u->cpu;
	pthread_mutex_unlock(&rt->lock);
	out->worker_cpu = -1;
	snprintf(path, sizeof(path), "/containers/%s/stats?stream=false&one-shot=true", u->cid);
	if (dk__request(rt, "GET", path, NULL, 2000, &r, err) < 0)
		return -1;
	if (r.status == 200) {
		out->cpu_usage_ns = num(json_object_get(r.json, "cpu_stats"), "cpu_usage", "total_usage");
		out->memory_bytes = num(r.json, "memory_stats", "usage");
		net_totals(json_object_get(r.json, "networks"), out);
	}
	int rc = r.status == 200 ? 0 : engine_error("container stats", &r, BRINK_E_INTERNAL, err);
	json_decref(r.json);
	return rc;
}

/* ---- the watcher's verdicts ---- */

static struct brink_unit *unit_by_cid(struct brink_runtime *rt, const char *cid)
{
	for (struct brink_unit *u = rt->units; u; u = u->hh.next)
		if (strcmp(u->cid, cid) == 0)
			return u;
	return NULL;
}

static bool try_restart(struct brink_runtime *rt, uint64_t id, const char *cid, int restarts,
			bool count)
{
	struct inspect in;
	if ((count && restarts >= rt->restart_max) ||
	    start_container(rt, cid, NULL) < 0 || inspect(rt, cid, &in, NULL) < 0 || !in.running)
		return false;
	struct brink_unit *u;
	pthread_mutex_lock(&rt->lock);
	HASH_FIND(hh, rt->units, &id, sizeof(id), u);
	if (u) {
		u->restarts += count;
		u->pid = in.pid;
	}
	pthread_mutex_unlock(&rt->lock);
	log_warn("docker: service %016" PRIx64 ": container restarted (%d of %d)", id,
		 restarts + count, rt->restart_max);
	return true;
}

static void stopped(struct brink_runtime *rt, const char *cid, bool count)
{
	struct inspect in;
	char why[400];
	pthread_mutex_lock(&rt->lock);
	struct brink_unit *u = unit_by_cid(rt, cid);
	uint64_t id = u ? u->id : 0;
	int restarts = u ? u->restarts : 0;
	/* a worker cannot reconnect its sockets */
	bool restartable = u && !u->is_worker && u->restart;
	pthread_mutex_unlock(&rt->lock);
	if (!u || inspect(rt, cid, &in, NULL) < 0 || in.running)
		return; /* not ours, stopped by us, or the engine is away (checked on return) */
	describe_exit(&in, why, sizeof(why));
	if (in.found && restartable && try_restart(rt, id, cid, restarts, count))
		return;
	if (restarts > 0)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " (after %d restarts)",
			 restarts);
	rt->cfg.on_exit(rt->cfg.ctx, id, why);
}

void dk__container_stopped(struct brink_runtime *rt, const char *cid)
{
	stopped(rt, cid, true);
}

void dk__check_all(struct brink_runtime *rt)
{
	size_t n = 0, i = 0;
	pthread_mutex_lock(&rt->lock);
	n = HASH_COUNT(rt->units);
	char (*cids)[DK_CID_MAX + 1] = n ? calloc(n, sizeof(*cids)) : NULL;
	for (struct brink_unit *u = rt->units; u && cids; u = u->hh.next)
		memcpy(cids[i++], u->cid, sizeof(*cids));
	pthread_mutex_unlock(&rt->lock);
	for (size_t k = 0; k < i; k++)
		stopped(rt, cids[k], false); /* the engine stopped them: no restart counted */
	free(cids);
}

/* ---- reaping ---- */

static bool kept(uint64_t id, const uint64_t *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == id)
			return true;
	return false;
}

static int docker_reap_except(struct brink_runtime *rt, const uint64_t *keep, size_t n,
			      struct brink_error **err)
{
	char filt[128], esc[3 * sizeof(filt)], path[sizeof(esc) + 64];
	struct dk_reply r;
	size_t i;
	json_t *c;
	int removed = 0;
	snprintf(filt, sizeof(filt), "{\"label\":[\"brink.instance=%s\"]}", rt->instance);
	snprintf(path, sizeof(path), "/containers/json?all=true&filters=%s",
		 dk__escape(filt, esc, sizeof(esc)));
	if (dk__request(rt, "GET", path, NULL, CALL_TIMEOUT_MS, &r, err) < 0)
		return -1;
	if (r.status != 200 || !json_is_array(r.json)) {
		engine_error("listing containers", &r, BRINK_E_INTERNAL, err);
		json_decref(r.json);
		return -1;
	}
	json_array_foreach (r.json, i, c) {
		const char *sid = json_string_value(
			json_object_get(json_object_get(c, "Labels"), "brink.service"));
		const char *cid = json_string_value(json_object_get(c, "Id"));
		if (!cid || (sid && brink_id_valid(sid) && kept(brink_id_to_u64(sid), keep, n)))
			continue;
		if (remove_container(rt, cid, NULL) == 0)
			removed++;
	}
	json_decref(r.json);
	return removed;
}

/* ---- instance ---- */

static int read_config(struct brink_runtime *rt, const struct brink_config *c,
		       struct brink_error **err)
{
	snprintf(rt->socket, sizeof(rt->socket), "%s", c->docker_socket);
	snprintf(rt->network, sizeof(rt->network), "%s", c->docker_network);
	snprintf(rt->worker_image, sizeof(rt->worker_image), "%s", c->docker_worker_image);
	rt->pull_timeout_ms = c->docker_pull_timeout_ms;
	rt->stop_timeout_s = c->docker_stop_timeout_s;
	rt->restart_max = c->docker_restart_max;
	if (strcmp(c->docker_restart, "no") != 0 && strcmp(c->docker_restart, "on-failure") != 0)
		return brink_error_make(err, BRINK_E_INVALID,
					"docker.restart must be no or on-failure, not '%s'",
					c->docker_restart);
	rt->restart = strcmp(c->docker_restart, "on-failure") == 0;
	/* a container shares no namespace with the host or another container */
	if (strcmp(rt->network, "host") == 0 || strchr(rt->network, ':') || !rt->network[0])
		return brink_error_make(err, BRINK_E_INVALID,
					"docker.network '%s' is not allowed (host and container: "
					"networks share namespaces)",
					rt->network);
	return 0;
}

static int ping(struct brink_runtime *rt, struct brink_error **err)
{
	struct dk_reply r;
	if (dk__request(rt, "GET", "/_ping", NULL, 3000, &r, err) < 0)
		return -1;
	json_decref(r.json);
	if (r.status != 200)
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"docker engine at %s answered /_ping with %ld", rt->socket,
					r.status);
	return 0;
}

static void docker_fini(struct brink_runtime *rt)
{
	if (!rt)
		return;
	dk__watch_stop(rt);
	dk__updaters_stop(rt);
	struct brink_unit *u, *tmp;
	HASH_ITER(hh, rt->units, u, tmp) {
		HASH_DEL(rt->units, u); /* containers keep running: a restart re-adopts them */
		free(u);
	}
	pthread_cond_destroy(&rt->work);
	pthread_cond_destroy(&rt->upd_work);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

static int docker_init(const struct brink_runtime_config *cfg, struct brink_runtime **out,
		       struct brink_error **err)
{
	if (!cfg->conf)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "no configuration given");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "libcurl failed to initialise");
	struct brink_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	rt->cfg = *cfg;
	rt->events_fd = -1;
	rt->queue_tail = &rt->queue;
	rt->upd_tail = &rt->upd;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->work, NULL);
	pthread_cond_init(&rt->upd_work, NULL);
	instance_of(cfg->data_dir ? cfg->data_dir : "", rt->instance);
	if (read_config(rt, cfg->conf, err) < 0 || ping(rt, err) < 0 ||
	    dk__watch_start(rt, err) < 0 || dk__updaters_start(rt, err) < 0) {
		docker_fini(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

/* The one symbol brink-docker.so exports (its objects are built with
 * -fvisibility=hidden): docker-loader.c forwards to these. */
__attribute__((visibility("default"))) const struct brink_runtime_ops brink_docker_ops = {
	.name = "docker",
	.init = docker_init,
	.fini = docker_fini,
	.start = docker_start,
	.stop = docker_stop,
	.set_cpu = docker_set_cpu,
	.info = docker_info,
	.prepare = docker_prepare,
	.reap_except = docker_reap_except,
	.data_fd = docker_data_fd,
};
