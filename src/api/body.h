/* Request-body parsers: bounded, strict (wrong types, unknown fields and out
 * of range values are refused), and fuzzed (tests/fuzz/fuzz_body.c). Each
 * returns BRINK_BODY_OK, or an error with a person-readable message in msg;
 * on error nothing is left allocated in *out. */
#ifndef BRINK_API_BODY_H
#define BRINK_API_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "brink/model.h"

enum brink_body_status {
	BRINK_BODY_OK = 0,
	BRINK_BODY_MALFORMED, /* not JSON, or not an object */
	BRINK_BODY_INVALID,   /* a field is missing, unknown, of the wrong type or out of range */
};

struct brink_tenant_body {
	char name[BRINK_NAME_MAX + 1];
	char password[257];
	bool has_password;
};

struct brink_thing_body {
	char name[BRINK_NAME_MAX + 1];
	char info[BRINK_INFO_MAX + 1];
};

enum brink_body_status brink_body_tenant(const char *buf, size_t len, struct brink_tenant_body *out,
					 char *msg, size_t msglen);
enum brink_body_status brink_body_thing(const char *buf, size_t len, struct brink_thing_body *out,
					char *msg, size_t msglen);
/* On success *out owns arrays (brink_spec_free). memory_mb 0 and runtime ""
 * mean "the configured default". */
enum brink_body_status brink_body_service(const char *buf, size_t len, struct brink_spec *out,
					  char *msg, size_t msglen);

/* columns.c, for brink_body_service: an analyze service's "columns" (an
 * array of names, an object of 1-based positions to names, or ECM's literal
 * "{1:'temp',2:'hum'}") into sp->columns (allocated; none when empty or
 * "null"), and its "labels", "alerts" and "threshold" (defaults: none, -1,
 * 0.5). */
enum brink_body_status brink_body_columns(json_t *v, struct brink_spec *sp, char *msg, size_t len);
enum brink_body_status brink_body_classes(json_t *root, struct brink_spec *sp, char *msg,
					  size_t len);

#endif
