/* Supervises brinkd's own Mosquitto. One thread forks and execs it, waits for
 * it, and starts it again after 0.5 s, doubling up to 30 s while it keeps
 * dying within 10 s of its start.
 *
 * No orphan broker: the child gets PR_SET_PDEATHSIG, but Mosquitto drops its
 * root privileges (to user mosquitto) and the kernel clears the parent-death
 * signal on that change of credentials; so the plugin also watches its
 * channel to brinkd and stops the broker when brinkd's end closes (every
 * exit of brinkd, kill -9 included, closes it), and the broker's pid is kept
 * in <data_dir>/mosquitto.pid to be stopped at brinkd's next start should
 * both fail. */
#include "mqtt/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "brink/log.h"

#define PLUGIN_FD 3
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 10000 /* a broker that ran this long starts again at once */

struct brink_mqtt_broker {
	struct brink_config cfg;
	struct brink_router *r;
	char conf[300], pidfile[300], log[300], plugin[PATH_MAX];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms, or until brink_mqtt_broker_stop; true when stopping. */
static bool sleep_or_stop(struct brink_mqtt_broker *b, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->stopping && pthread_cond_timedwait(&b->cond, &b->lock, &until) != ETIMEDOUT)
		;
	bool stopping = b->stopping;
	pthread_mutex_unlock(&b->lock);
	return stopping;
}

/* The plugin: mqtt.plugin, or brink-mqtt-auth.so beside brinkd's binary. */
static int find_plugin(struct brink_mqtt_broker *b, struct brink_error **err)
{
	char exe[PATH_MAX];
	if (b->cfg.mqtt_plugin[0]) {
		snprintf(b->plugin, sizeof(b->plugin), "%s", b->cfg.mqtt_plugin);
	} else {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return brink_error_sys(err, errno, "mqtt: where is brinkd's binary");
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		*slash = '\0';
		snprintf(b->plugin, sizeof(b->plugin), "%s/brink-mqtt-auth.so", exe);
	}
	if (access(b->plugin, R_OK) < 0)
		return brink_error_sys(err, errno, "mqtt: the broker's plugin %s", b->plugin);
	return 0;
}

static int write_conf(struct brink_mqtt_broker *b, struct brink_error **err)
{
	FILE *f = fopen(b->conf, "we");
	if (!f)
		return brink_error_sys(err, errno, "mqtt: writing %s", b->conf);
	fprintf(f,
		"# Written by brinkd at each start from its mqtt.* keys: edits are lost.\n"
		"per_listener_settings false\n"
		"allow_anonymous false\n"
		"persistence false\n"
		"set_tcp_nodelay %s\n"
		"log_dest stderr\n"
		"log_type error\nlog_type warning\nlog_type notice\n"
		"log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n"
		"listener %d %s\n"
		"plugin %s\n"
		"plugin_opt_channel_fd %d\n"
		"plugin_opt_cache_ms %d\n",
		b->cfg.mqtt_tcp_nodelay ? "true" : "false", b->cfg.mqtt_port, b->cfg.mqtt_bind,
		b->plugin, PLUGIN_FD, b->cfg.mqtt_auth_cache_ms);
	if (fclose(f) != 0)
		return brink_error_sys(err, errno, "mqtt: writing %s", b->conf);
	return 0;
}

/* Whether pid runs a mosquitto with our configuration file. */
static bool is_our_broker(struct brink_mqtt_broker *b, pid_t pid)
{
	char path[64], cmd[1024];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, "mosquitto") && strstr(cmd, b->conf);
}

/* A broker a killed brinkd left behind: stopped, so the port is free. */
static void reap_stale(struct brink_mqtt_broker *b)
{
	FILE *f = fopen(b->pidfile, "re");
	int pid = 0;
	if (!f)
		return;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1 || !is_our_broker(b, pid))
		return;
	log_warn("mqtt: stopping the broker a previous brinkd left (pid %d)", pid);
	kill(pid, SIGTERM);
	for (int i = 0; i < 50 && kill(pid, 0) == 0 && is_our_broker(b, pid); i++)
		usleep(100000);
	if (kill(pid, 0) == 0 && is_our_broker(b, pid))
		kill(pid, SIGKILL);
}

static void write_pidfile(struct brink_mqtt_broker *b, pid_t pid)
{
	FILE *f = fopen(b->pidfile, "we");
	if (!f)
		return;
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) exec_broker(struct brink_mqtt_broker *b, int chan, int logfd,
				       pid_t parent, char *const argv[])
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* brinkd blocks TERM, INT and HUP */
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	setsid(); /* the terminal's Ctrl-C goes to brinkd, which stops it */
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
	    dup2(chan, PLUGIN_FD) < 0)
		_exit(1);
	execv(b->cfg.mqtt_mosquitto, argv);
	_exit(127);
}

/* Starts one broker; its plugin channel goes to the router. Returns its pid or -1. */
static pid_t spawn(struct brink_mqtt_broker *b)
{
	int sv[2];
	char *argv[] = {"mosquitto", "-c", b->conf, NULL};
	int logfd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("mqtt: cannot start the broker: %s", strerror(errno));
		if (logfd >= 0)
			close(logfd);
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_broker(b, sv[1], logfd, parent, argv);
	close(sv[1]);
	close(logfd);
	if (pid < 0) {
		log_error("mqtt: cannot start the broker: %s", strerror(errno));
		close(sv[0]);
		return -1;
	}
	brink_router_mqtt_channel(b->r, sv[0]);
	write_pidfile(b, pid);
	log_info("mqtt: broker started (pid %d, %s:%d, log %s)", (int)pid, b->cfg.mqtt_bind,
		 b->cfg.mqtt_port, b->log);
	return pid;
}

/* Waits for the broker to exit or brinkd to stop; true when it exited. */
static bool wait_exit(struct brink_mqtt_broker *b, pid_t pid, int *status)
{
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return true;
		if (sleep_or_stop(b, 100))
			return false;
	}
}

static void stop_child(pid_t pid)
{
	int status;
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	log_warn("mqtt: the broker did not stop within 5 s: killing it");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void log_exit(int status)
{
	if (WIFEXITED(status))
		log_warn("mqtt: the broker exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warn("mqtt: the broker was killed by signal %d", WTERMSIG(status));
}

static void *supervise(void *arg)
{
	struct brink_mqtt_broker *b = arg;
	int backoff = 0;
	for (;;) {
		int64_t started = now_ms();
		int status = 0;
		pid_t pid = spawn(b);
		if (pid > 0 && !wait_exit(b, pid, &status)) {
			stop_child(pid);
			break;
		}
		if (pid > 0)
			log_exit(status);
		backoff = now_ms() - started >= STABLE_MS ? BACKOFF_FIRST_MS
			  : backoff ? (backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2)
				    : BACKOFF_FIRST_MS;
		log_info("mqtt: starting the broker again in %d ms", backoff);
		if (sleep_or_stop(b, backoff))
			break;
	}
	unlink(b->pidfile);
	return NULL;
}

static int paths(struct brink_mqtt_broker *b, struct brink_error **err)
{
	const char *d = b->cfg.data_dir;
	if (snprintf(b->conf, sizeof(b->conf), "%s/mosquitto.conf", d) >= (int)sizeof(b->conf) ||
	    snprintf(b->pidfile, sizeof(b->pidfile), "%s/mosquitto.pid", d) >=
		    (int)sizeof(b->pidfile) ||
	    snprintf(b->log, sizeof(b->log), "%s/mosquitto.log", d) >= (int)sizeof(b->log))
		return brink_error_make(err, BRINK_E_INVALID, "mqtt: data_dir is too long");
	return 0;
}

int brink_mqtt_broker_start(const struct brink_config *cfg, struct brink_router *r,
			    struct brink_mqtt_broker **out, struct brink_error **err)
{
	struct brink_mqtt_broker *b = calloc(1, sizeof(*b));
	if (!b)
		return brink_error_make(err, BRINK_E_INTERNAL, "out of memory");
	b->cfg = *cfg;
	b->r = r;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	if (access(cfg->mqtt_mosquitto, X_OK) < 0)
		brink_error_sys(err, errno, "mqtt: no broker to run (%s; Debian package mosquitto)",
				cfg->mqtt_mosquitto);
	else if (paths(b, err) == 0 && find_plugin(b, err) == 0 && write_conf(b, err) == 0) {
		reap_stale(b);
		int logfd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (logfd >= 0)
			close(logfd);
		if (pthread_create(&b->thread, NULL, supervise, b) == 0) {
			*out = b;
			return 0;
		}
		brink_error_make(err, BRINK_E_INTERNAL, "mqtt: cannot start a thread");
	}
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return -1;
}

void brink_mqtt_broker_stop(struct brink_mqtt_broker *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
