/* brinkd's docker driver: checks that an engine's socket is there, then loads
 * brink-docker.so and forwards every op to it (runtime/docker.h says why). */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "runtime/docker.h"
#include "runtime/plugin.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct brink_runtime_ops *plugin;
static char load_error[512];

static void load(void)
{
	plugin = runtime__plugin_load(BRINK_DOCKER_PLUGIN, BRINK_DOCKER_OPS_SYMBOL, load_error,
				      sizeof(load_error));
}

/* Without an engine's socket there is nothing to load the plugin for. */
static int socket_present(const char *path, struct brink_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "no Docker engine at %s: %s",
					path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return brink_error_make(err, BRINK_E_UNAVAILABLE,
					"no Docker engine at %s: not a socket", path);
	return 0;
}

static int loader_init(const struct brink_runtime_config *cfg, struct brink_runtime **out,
		       struct brink_error **err)
{
	if (!cfg->conf)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "no configuration given");
	if (socket_present(cfg->conf->docker_socket, err) < 0)
		return -1;
	pthread_once(&once, load);
	if (!plugin)
		return brink_error_make(err, BRINK_E_UNAVAILABLE, "loading %s: %s",
					BRINK_DOCKER_PLUGIN, load_error);
	return plugin->init(cfg, out, err);
}

/* Below, an instance exists only if init() loaded the plugin. */
static void loader_fini(struct brink_runtime *rt)
{
	if (rt)
		plugin->fini(rt);
}

static int loader_start(struct brink_runtime *rt, const struct brink_unit_spec *spec,
			struct brink_unit **out, struct brink_error **err)
{
	return plugin->start(rt, spec, out, err);
}

static int loader_stop(struct brink_runtime *rt, struct brink_unit *u, struct brink_error **err)
{
	return plugin->stop(rt, u, err);
}

static int loader_set_cpu(struct brink_runtime *rt, struct brink_unit *u, double cores,
			  struct brink_error **err)
{
	return plugin->set_cpu(rt, u, cores, err);
}

static int loader_info(struct brink_runtime *rt, struct brink_unit *u,
		       struct brink_unit_info *out, struct brink_error **err)
{
	return plugin->info(rt, u, out, err);
}

static int loader_prepare(struct brink_runtime *rt, const struct brink_unit_spec *spec,
			  brink_runtime_progress progress, void *ctx, struct brink_error **err)
{
	return plugin->prepare(rt, spec, progress, ctx, err);
}

static int loader_reap_except(struct brink_runtime *rt, const uint64_t *keep, size_t n,
			      struct brink_error **err)
{
	return plugin->reap_except(rt, keep, n, err);
}

static int loader_data_fd(struct brink_runtime *rt, struct brink_unit *u)
{
	return plugin->data_fd(rt, u);
}

/* The ops docker.c implements (brink_docker_ops), each forwarded. */
const struct brink_runtime_ops brink_runtime_docker = {
	.name = "docker",
	.init = loader_init,
	.fini = loader_fini,
	.start = loader_start,
	.stop = loader_stop,
	.set_cpu = loader_set_cpu,
	.info = loader_info,
	.prepare = loader_prepare,
	.reap_except = loader_reap_except,
	.data_fd = loader_data_fd,
};
