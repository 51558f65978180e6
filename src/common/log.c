#include "brink/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

enum brink_log_level brink_log_threshold = BRINK_LOG_INFO;

static const char *log_ident = "brink";
static int log_to_syslog;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int brink_log_open(const char *ident, const char *target)
{
	log_ident = ident;
	if (strcmp(target, "stderr") == 0) {
		if (log_to_syslog)
			closelog();
		log_to_syslog = 0;
		return 0;
	}
	if (strcmp(target, "syslog") == 0) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_to_syslog = 1;
		return 0;
	}
	return -1;
}

int brink_log_parse_level(const char *name, enum brink_log_level *out)
{
	for (size_t i = 0; i < BRINK_ARRAY_SIZE(level_names); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum brink_log_level)i;
			return 0;
		}
	}
	return -1;
}

void brink_log_write(enum brink_log_level level, const char *fmt, ...)
{
	static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_to_syslog) {
		syslog(syslog_prio[level], "%s", msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%d] %s: %s\n", stamp, ts.tv_nsec / 1000000, log_ident,
		(int)getpid(), level_names[level], msg);
}
