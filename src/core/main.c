/* brinkd: the daemon. Reads its configuration, takes the data directory's
 * lock, opens the store, reconciles services with reality, serves the API,
 * and waits for signals: SIGTERM/SIGINT stop it cleanly, SIGHUP reloads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "api/api.h"
#include "brink/log.h"
#include "control/control.h"
#include "router/router.h"
#include "mqtt/broker.h"
#include "core/config.h"
#include "ecm/ecm.h"
#include "store/store.h"

#define MAX_OVERRIDES 64

struct options {
	const char *config_file;
	const char *overrides[MAX_OVERRIDES];
	int noverrides;
	bool print_config;
};

struct daemon {
	struct options opt;
	struct brink_config cfg;
	int lock_fd;
	struct brink_store *st;
	struct brink_control *ctl;
	struct brink_router *router;
	struct brink_mqtt_broker *broker;
	struct brink_api *api;
	struct brink_ecm *ecm; /* NULL unless ecm.enabled */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: brinkd [-c FILE] [-o key=value]... [--print-config]\n"
		     "  -c FILE          read the configuration from FILE (INI)\n"
		     "  -o key=value     set one key (repeatable; wins over the file)\n"
		     "  --print-config   print every key with its value and exit\n");
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
						 {"print-config", no_argument, NULL, 'p'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt->config_file = optarg;
			break;
		case 'o':
			if (opt->noverrides == MAX_OVERRIDES) {
				fprintf(stderr, "brinkd: at most %d -o options\n", MAX_OVERRIDES);
				return -1;
			}
			opt->overrides[opt->noverrides++] = optarg;
			break;
		case 'p':
			opt->print_config = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "brinkd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* defaults, then the file, then -o; with `reloading` only reloadable keys change */
static int read_config(const struct options *opt, struct brink_config *cfg, bool reloading)
{
	char msg[512];
	if (!reloading)
		brink_config_defaults(cfg);
	if (opt->config_file && brink_config_load(cfg, opt->config_file, reloading, msg, sizeof(msg)) < 0)
		goto fail;
	for (int i = 0; i < opt->noverrides; i++) {
		char key[128];
		const char *eq = strchr(opt->overrides[i], '=');
		if (!eq || (size_t)(eq - opt->overrides[i]) >= sizeof(key)) {
			snprintf(msg, sizeof(msg), "-o %s: expected key=value", opt->overrides[i]);
			goto fail;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - opt->overrides[i]), opt->overrides[i]);
		if (brink_config_set(cfg, key, eq + 1, reloading, msg, sizeof(msg)) < 0)
			goto fail;
	}
	return 0;
fail:
	if (reloading)
		log_error("reload refused: %s", msg);
	else
		fprintf(stderr, "brinkd: %s\n", msg);
	return -1;
}

static int apply_logging(const struct brink_config *cfg)
{
	enum brink_log_level level;
	if (brink_log_parse_level(cfg->log_level, &level) < 0 ||
	    brink_log_open("brinkd", cfg->log_target) < 0) {
		fprintf(stderr, "brinkd: log.level must be error|warn|info|debug and log.target"
				" stderr|syslog\n");
		return -1;
	}
	brink_log_threshold = level;
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* One brinkd per data directory: an flock held for the daemon's life. */
static int take_lock(struct daemon *d, struct brink_error **err)
{
	char path[300];
	if (mkdir_p(d->cfg.data_dir) < 0)
		return brink_error_sys(err, errno, "creating data_dir %s", d->cfg.data_dir);
	snprintf(path, sizeof(path), "%s/brinkd.lock", d->cfg.data_dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return brink_error_sys(err, errno, "opening %s", path);
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return brink_error_make(err, BRINK_E_CONFLICT,
					"another brinkd is using the data directory %s",
					d->cfg.data_dir);
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, (size_t)n, 0) != n)
		log_warn("could not write the pid into %s", path);
	return 0;
}

/* Every thing connection is a descriptor: take the soft limit up to the hard
 * one (a default 1024 would stop brinkd at about a thousand things). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("could not raise the open-files limit: %s", strerror(errno));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_info("open files limit %llu", (unsigned long long)rl.rlim_cur);
}

/* brinkd's own Mosquitto, unless MQTT is off or the broker is external;
 * without one brinkd runs on, without MQTT. */
static void start_broker(struct daemon *d)
{
	struct brink_error *err = NULL;
	if (!d->cfg.mqtt_enabled || strcmp(d->cfg.mqtt_broker, "supervised") != 0)
		return;
	if (brink_mqtt_broker_start(&d->cfg, d->router, &d->broker, &err) < 0) {
		log_warn("%s: running without MQTT", err->msg);
		brink_error_free(&err);
	}
}

static int daemon_start(struct daemon *d, struct brink_error **err)
{
	char db[300];
	if (take_lock(d, err) < 0)
		return -1;
	raise_fd_limit();
	snprintf(db, sizeof(db), "%s/brink.db", d->cfg.data_dir);
	if (brink_store_open(db, &d->st, err) < 0 ||
	    brink_control_new(&d->cfg, d->st, &d->ctl, err) < 0 ||
	    brink_router_start(&d->cfg, d->ctl, &d->router, err) < 0)
		return -1;
	brink_control_set_router(d->ctl, d->router);
	start_broker(d);
	if (brink_control_start(d->ctl, err) < 0 ||
	    brink_api_start(&d->cfg, d->ctl, d->router, &d->api, err) < 0)
		return -1;
	if (d->cfg.ecm_enabled && brink_ecm_start(&d->cfg, d->ctl, d->router, &d->ecm, err) < 0)
		return -1;
	return 0;
}

static void daemon_stop(struct daemon *d)
{
	brink_ecm_stop(d->ecm);
	brink_api_stop(d->api);
	brink_mqtt_broker_stop(d->broker);
	if (d->ctl)
		brink_control_set_router(d->ctl, NULL);
	brink_router_stop(d->router);
	brink_control_free(d->ctl);
	brink_store_close(d->st);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}

static void reload(struct daemon *d)
{
	struct brink_config next = d->cfg;
	struct brink_error *err = NULL;
	log_info("SIGHUP: reloading the configuration");
	if (read_config(&d->opt, &next, true) < 0 || apply_logging(&next) < 0)
		return;
	if (brink_control_reload(d->ctl, &next, &err) < 0) {
		log_error("reload: %s", err->msg);
		brink_error_free(&err);
	}
	brink_api_reload(d->api, &next);
	d->cfg = next;
}

/* Start-up (migrations, reconciling, seccomp compiling) leaves SQLite's
 * page cache full and freed heap behind; an idle gateway should not keep
 * them: ~0.2 MB of the 8 MB idle budget (bench/bench-api.sh). */
static void release_startup_memory(struct daemon *d)
{
	brink_store_release_memory(d->st);
	malloc_trim(0);
}

/* Blocks the signals we handle in every thread, then waits for them here. */
static void wait_for_signals(struct daemon *d, sigset_t *set)
{
	for (;;) {
		int sig = sigwaitinfo(set, NULL);
		if (sig == SIGHUP) {
			reload(d);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("%s: shutting down", strsignal(sig));
			return;
		}
	}
}

int main(int argc, char **argv)
{
	struct daemon d = {.lock_fd = -1};
	struct brink_error *err = NULL;
	sigset_t set;
	if (parse_args(argc, argv, &d.opt) < 0 || read_config(&d.opt, &d.cfg, false) < 0)
		return 2;
	if (d.opt.print_config) {
		brink_config_print(&d.cfg, stdout);
		return 0;
	}
	if (apply_logging(&d.cfg) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
	int rc = 0;
	if (daemon_start(&d, &err) < 0) {
		log_error("%s", err->msg);
		brink_error_free(&err);
		rc = 1;
	} else {
		log_info("brinkd ready (data_dir %s, %g cores)", d.cfg.data_dir,
			 brink_config_capacity(&d.cfg));
		release_startup_memory(&d);
		wait_for_signals(&d, &set);
	}
	daemon_stop(&d);
	return rc;
}
