/* Logging with levels to stderr or syslog. The macros check the level before
 * evaluating their arguments. Thread-safe (one write per message). */
#ifndef BRINK_LOG_H
#define BRINK_LOG_H

#include "brink/common.h"

enum brink_log_level {
	BRINK_LOG_ERROR = 0,
	BRINK_LOG_WARN,
	BRINK_LOG_INFO,
	BRINK_LOG_DEBUG,
};

extern enum brink_log_level brink_log_threshold;

/* Chooses where messages go: "stderr" or "syslog". ident names the program in
 * syslog and in the stderr prefix. Returns 0, or -1 for an unknown target. */
int brink_log_open(const char *ident, const char *target);

/* Parses "error", "warn", "info", "debug" into *out. Returns 0 or -1. */
int brink_log_parse_level(const char *name, enum brink_log_level *out);

void brink_log_write(enum brink_log_level level, const char *fmt, ...) BRINK_PRINTF(2, 3);

#define brink_log(level, ...)                                                                      \
	do {                                                                                       \
		if ((level) <= brink_log_threshold)                                                \
			brink_log_write((level), __VA_ARGS__);                                     \
	} while (0)
#define log_error(...) brink_log(BRINK_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) brink_log(BRINK_LOG_WARN, __VA_ARGS__)
#define log_info(...) brink_log(BRINK_LOG_INFO, __VA_ARGS__)
#define log_debug(...) brink_log(BRINK_LOG_DEBUG, __VA_ARGS__)

#endif
