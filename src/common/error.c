#include "brink/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct brink_error oom_error = {BRINK_E_INTERNAL, ENOMEM, "out of memory"};

static struct brink_error *error_slot(struct brink_error **err)
{
	if (*err && *err != &oom_error)
		return *err;
	*err = calloc(1, sizeof(**err));
	if (!*err)
		*err = &oom_error;
	return *err;
}

static int error_vmake(struct brink_error **err, enum brink_errc code, int errnum,
		       const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	struct brink_error *e = error_slot(err);
	if (e == &oom_error)
		return -1;
	e->code = code;
	e->sys_errno = errnum;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -1;
}

int brink_error_make(struct brink_error **err, enum brink_errc code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vmake(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int brink_error_sys(struct brink_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vmake(err, BRINK_E_INTERNAL, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int brink_error_wrap(struct brink_error **err, const char *fmt, ...)
{
	if (!err || !*err || *err == &oom_error)
		return -1;
	char prefix[256], old[sizeof((*err)->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, (*err)->msg, sizeof(old));
	snprintf((*err)->msg, sizeof((*err)->msg), "%s: %s", prefix, old);
	return -1;
}

void brink_error_free(struct brink_error **err)
{
	if (!err || !*err)
		return;
	if (*err != &oom_error)
		free(*err);
	*err = NULL;
}

const char *brink_errc_name(enum brink_errc code)
{
	switch (code) {
	case BRINK_E_INVALID:
		return "invalid_request";
	case BRINK_E_UNAUTHORIZED:
		return "unauthorized";
	case BRINK_E_NOT_FOUND:
		return "not_found";
	case BRINK_E_CONFLICT:
		return "conflict";
	case BRINK_E_CAPACITY:
		return "insufficient_capacity";
	case BRINK_E_TOO_LARGE:
		return "too_large";
	case BRINK_E_UNAVAILABLE:
		return "unavailable";
	case BRINK_E_INTERNAL:
	default:
		return "internal";
	}
}
