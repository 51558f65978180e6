/* A small JSON text writer for the hot replies (service lists). jansson
 * builds a hash table per object before it writes anything: listing 1,000
 * services that way took 16 ms of CPU, most of it in malloc (perf, with
 * bench/bench-api.sh); writing the text directly takes a fraction of that.
 * Out of memory is sticky: check `oom` once at the end. */
#ifndef BRINK_API_JSONW_H
#define BRINK_API_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf; /* malloc'd, NUL-terminated; take it with jsonw_take() */
	size_t len, cap;
	bool oom;
};

/* Makes room for `bytes` more (an optional hint). */
void jsonw_reserve(struct jsonw *w, size_t bytes);
/* Appends raw text (already JSON); jsonw_lit takes a string literal and
 * knows its length at compile time. */
void jsonw_raw(struct jsonw *w, const char *s);
void jsonw_mem(struct jsonw *w, const char *s, size_t n);
#define jsonw_lit(w, lit) jsonw_mem((w), "" lit, sizeof(lit) - 1)
/* Appends s as a JSON string with quotes, escaping what JSON requires. */
void jsonw_str(struct jsonw *w, const char *s);
/* Appends `"key":` preceded by a comma unless `first`. */
void jsonw_key(struct jsonw *w, const char *key, bool first);
void jsonw_real(struct jsonw *w, double v); /* 9 decimals (1e9 and up: %.12g); non-finite: null */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
/* Returns the text (caller frees) and its length, or NULL after out of memory. */
char *jsonw_take(struct jsonw *w, size_t *len);

#endif
