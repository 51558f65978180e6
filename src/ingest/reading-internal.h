/* Helpers shared by reading.c (JSON lines, auth line) and senml.c. */
#ifndef BRINK_INGEST_READING_INTERNAL_H
#define BRINK_INGEST_READING_INTERNAL_H

#include "brink/common.h"
#include "ingest/reading.h"

struct json_t;

/* Writes the message and returns st. */
enum brink_reading_status reading__fail(char *msg, size_t msglen, enum brink_reading_status st,
					const char *fmt, ...) BRINK_PRINTF(4, 5);

/* Copies at most 32 bytes of s[0..n) into dst[0..size) for a message,
 * '?' for anything but printable ASCII; returns dst. */
const char *reading__quote(char *dst, size_t size, const char *s, size_t n);

/* json_loadb with brink's flags and limits; on error *root is NULL and msg
 * says why (MALFORMED, INVALID for duplicates, overflow and \u0000). */
enum brink_reading_status reading__load(const char *buf, size_t len, struct json_t **root,
					char *msg, size_t msglen);

/* Whether s[0..n) is fully a JSON number; if so *out is its value, which
 * may still be infinite ("1e999"): callers check isfinite. */
bool reading__num_text(const char *s, size_t n, double *out);

/* Whether s[0..n) is valid UTF-8 without NUL or other C0 control bytes. */
bool reading__text_valid(const char *s, size_t n);

/* Appends a field named name[0..n) (already validated) with no value yet;
 * TOO_LARGE when out is full. */
enum brink_reading_status reading__add(struct brink_reading *out, const char *name, size_t n,
				       struct brink_reading_field **f, char *msg, size_t msglen);

/* Sets f to the string s[0..n), with its numeric value when it has one;
 * TOO_LARGE over BRINK_READING_STR_MAX, INVALID when not valid text. */
enum brink_reading_status reading__set_string(struct brink_reading_field *f, const char *s,
					      size_t n, char *msg, size_t msglen);

#endif
