/* The error object of orchestration code (store, runtimes, control plane, API).
 *
 * A function that can fail takes `struct brink_error **err` last and returns a
 * negative value on failure after setting *err. Callers add context on the
 * way up with brink_error_wrap(); the API turns the error once, at the
 * boundary, into an HTTP status and a JSON body. Parsers do not use this:
 * they return a small enum and never allocate on failure. */
#ifndef BRINK_ERROR_H
#define BRINK_ERROR_H

#include "brink/common.h"

enum brink_errc {
	BRINK_E_INTERNAL = 1, /* a bug or an unexpected system failure (500) */
	BRINK_E_INVALID,      /* bad input (400) */
	BRINK_E_UNAUTHORIZED, /* missing or wrong key (401) */
	BRINK_E_NOT_FOUND,    /* unknown id, or another tenant's (404) */
	BRINK_E_CONFLICT,     /* name taken, wrong state (409) */
	BRINK_E_CAPACITY,     /* the sum of minimums would not fit (409) */
	BRINK_E_TOO_LARGE,    /* body or field over its limit (413) */
	BRINK_E_UNAVAILABLE,  /* a runtime or dependency is not there (503) */
};

struct brink_error {
	enum brink_errc code;
	int sys_errno; /* errno at the origin, 0 if none */
	char msg[512];
};

/* Sets *err (allocating it; if *err is already set it is replaced) and
 * returns -1, so callers can `return brink_error_make(...)`. Never fails:
 * when out of memory *err points to a static error object. */
int brink_error_make(struct brink_error **err, enum brink_errc code, const char *fmt, ...)
	BRINK_PRINTF(3, 4);

/* As brink_error_make with code BRINK_E_INTERNAL, appending strerror(errnum). */
int brink_error_sys(struct brink_error **err, int errnum, const char *fmt, ...) BRINK_PRINTF(3, 4);

/* Prefixes "context: " to the message of *err (which must be set) and returns -1. */
int brink_error_wrap(struct brink_error **err, const char *fmt, ...) BRINK_PRINTF(2, 3);

/* Frees *err and sets it to NULL; safe on NULL. */
void brink_error_free(struct brink_error **err);

/* The stable machine-readable name of a code ("not_found", ...). */
const char *brink_errc_name(enum brink_errc code);

#define _cleanup_error_ __attribute__((cleanup(brink_error_free)))

#endif
