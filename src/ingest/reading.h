/* Reading parsers of the data plane: what a thing sends, turned into a
 * bounded struct brink_reading. Pure functions (no sockets, no threads, no
 * global state), fuzzed by tests/fuzz/fuzz_reading.c.
 *
 * Every parser fills a caller-provided struct, returns BRINK_READING_OK or an
 * error status with a short person-readable message written into
 * msg[0..msglen) (msg is left alone on success). Nothing they allocate
 * outlives the call, on success or failure; on failure *out holds garbage.
 * Input is borrowed, need not be NUL-terminated, and is refused whole above
 * BRINK_READING_INPUT_MAX bytes.
 *
 * The formats:
 *
 * JSON line (TCP, CoAP application/json, MQTT): one flat object of fields,
 *   {"temp":"31.2","hum":48.1,"door":false,"time":1718000000.5}
 *   - names: 1-64 bytes of [A-Za-z0-9_.-], each at most once;
 *   - values: a finite number, a string of at most 256 bytes, or a boolean;
 *     null, objects and arrays are refused. A string that is fully a JSON
 *     number ("31.2", "-4e3"; not "NaN", "inf", "0x10", " 1") also gets its
 *     numeric value (has_num); it stays a string field;
 *   - "time" is reserved: when present it is the reading's time, absolute
 *     unix seconds as a number or numeric string in [2^28, 2^33), and not a
 *     field. A field may be named "t";
 *   - at most BRINK_READING_FIELDS_MAX fields besides "time", at least one.
 *
 * Auth line (first TCP line): exactly {"thing": NAME, "key": KEY}, NAME a
 *   thing name (brink_name_valid), KEY 1-128 bytes of printable ASCII.
 *
 * SenML JSON and SenML CBOR (RFC 8428, CoAP application/senml+json and
 *   application/senml+cbor): one pack (an array of records) is one reading.
 *   Base fields (bn bt bu bv bs bver) apply to their record and the ones
 *   after it; each record becomes one field named bn+n (1-64 bytes of
 *   [A-Za-z0-9_.:/-], starting with a letter or digit), with time bt+t,
 *   unit u or bu, value bv+v, vs or vb (exactly one), sum bs+s when given.
 *   Refused: records without a value (a sum alone is not one), data values
 *   (vd), bver above 10, two records with the same name and time, labels
 *   ending in '_' (must-understand extensions), nested values. Other
 *   extension labels are ignored as the RFC asks. In CBOR the labels are the
 *   RFC's integers (bver -1, bn -2, bt -3, bu -4, bv -5, bs -6, n 0, u 1,
 *   v 2, vs 3, vb 4, s 5, t 6, ut 7, vd 8); text-string labels are
 *   extensions; numbers may be integers, half/single/double floats or
 *   decimal fractions (tag 4); strings must be definite-length UTF-8. */
#ifndef BRINK_INGEST_READING_H
#define BRINK_INGEST_READING_H

#include <stdbool.h>
#include <stddef.h>

#include "brink/model.h"

#define BRINK_READING_FIELDS_MAX 32
#define BRINK_READING_NAME_MAX 64   /* bytes, field and resolved SenML names */
#define BRINK_READING_STR_MAX 256   /* bytes, string values */
#define BRINK_READING_UNIT_MAX 32   /* bytes, SenML units */
#define BRINK_READING_KEY_MAX 128   /* bytes, the auth line's key */
#define BRINK_READING_INPUT_MAX 65536
/* Times below this are relative to "now" (RFC 8428 section 4.5.3). */
#define BRINK_READING_TIME_RELATIVE 268435456.0

enum brink_reading_status {
	BRINK_READING_OK = 0,
	BRINK_READING_MALFORMED, /* not JSON/CBOR, truncated, trailing bytes, wrong top level */
	BRINK_READING_TOO_LARGE, /* input, a name, a string or the field count over its limit */
	BRINK_READING_INVALID,   /* well-formed but refused: nesting, a bad name or type,
				  * a duplicate, a non-finite number, a missing value... */
};

enum brink_reading_type {
	BRINK_READING_NUMBER,
	BRINK_READING_STRING,
	BRINK_READING_BOOL,
};

struct brink_reading_field {
	char name[BRINK_READING_NAME_MAX + 1];
	enum brink_reading_type type;
	bool has_num; /* NUMBER, or a STRING that is fully a finite JSON number */
	bool b;       /* BOOL */
	bool has_sum; /* SenML s (plus bs) */
	double num;
	double sum;
	/* Seconds, RFC 8428 semantics: >= BRINK_READING_TIME_RELATIVE is unix
	 * time, below it relative to now (0: now). JSON lines: their "time". */
	double time;
	size_t slen; /* STRING: bytes in str (no NUL inside) */
	char str[BRINK_READING_STR_MAX + 1];
	char unit[BRINK_READING_UNIT_MAX + 1]; /* SenML u or bu; "" when none */
};

/* One reading: fields in the order they came. Only fields[0..nfields) are
 * written by the parsers (the struct is not cleared: it is 12 KiB). */
struct brink_reading {
	size_t nfields;
	struct brink_reading_field fields[BRINK_READING_FIELDS_MAX];
};

struct brink_reading_auth {
	char thing[BRINK_NAME_MAX + 1];
	char key[BRINK_READING_KEY_MAX + 1];
};

/* A JSON line; see the top of this file. */
enum brink_reading_status brink_reading_parse_json(const char *buf, size_t len,
						   struct brink_reading *out, char *msg,
						   size_t msglen);

/* The auth line {"thing": NAME, "key": KEY}; other fields are INVALID. */
enum brink_reading_status brink_reading_parse_auth(const char *buf, size_t len,
						   struct brink_reading_auth *out, char *msg,
						   size_t msglen);

/* A SenML JSON pack (a JSON array of records). */
enum brink_reading_status brink_reading_parse_senml_json(const char *buf, size_t len,
							 struct brink_reading *out, char *msg,
							 size_t msglen);

/* A SenML CBOR pack (a CBOR array of maps), decoded with libcbor's streaming
 * decoder: no allocation, nesting beyond array-of-maps refused at once. */
enum brink_reading_status brink_reading_parse_senml_cbor(const void *buf, size_t len,
							 struct brink_reading *out, char *msg,
							 size_t msglen);

/* The unix time of a field time `t` received at unix time `now`: t itself
 * when absolute, now + t when relative. */
double brink_reading_time_abs(double t, double now);

/* "ok", "malformed", "too_large", "invalid"; never NULL. For counters. */
const char *brink_reading_status_name(enum brink_reading_status st);

#endif
