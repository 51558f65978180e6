/* What ECM's programs send, parsed (ECM-PROTOCOL.md): the request JSON of
 * every service port, the raw key of the bootstrap and listening ports, the
 * analysis service's column order, the sensor's concatenated JSON objects and
 * the .h5 model's length; and ECM's replies, rendered byte for byte as
 * Python's json.dumps wrote them. Pure functions (no sockets, no threads, no
 * global state), fuzzed by tests/fuzz/fuzz_ecm.c. Input is borrowed and need
 * not be NUL-terminated; on failure a short message goes to msg[0..msglen)
 * and *out holds garbage. Nothing allocated outlives a call. */
#ifndef BRINK_ECM_REQUEST_H
#define BRINK_ECM_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brink/model.h"

#define ECM_REQUEST_MAX 4096 /* ECM read one 1024-byte recv: its clients never send more */
#define ECM_KEY_MAX 128
#define ECM_COLUMNS_MAX 32
#define ECM_OBJECT_MAX 4096 /* one sensor object */

enum ecm_verb {
	ECM_REGISTER,
	ECM_BOOTSTRAP,
	ECM_LISTENING,
	ECM_ANALYSIS,
	ECM_CUSTOM,
	ECM_INFO,
	ECM_STOP,
	ECM_REMOVE,
	ECM_UNSUBSCRIBE,
	ECM_VERB_COUNT,
};

enum ecm_parse {
	ECM_PARSE_OK = 0,
	ECM_PARSE_AGAIN,     /* a valid beginning: wait for more bytes */
	ECM_PARSE_MALFORMED, /* not JSON, trailing bytes, not an object, binary */
	ECM_PARSE_TOO_LARGE, /* over its limit */
	ECM_PARSE_INVALID,   /* well-formed, but a field is missing, of the wrong type or out of range */
};

struct ecm_request {
	char company[BRINK_NAME_MAX + 1]; /* register */
	char id[ECM_KEY_MAX + 1];         /* everything else */
	double cpu_min, cpu_max;
	int nports;
	size_t nlports; /* 0: "default" */
	int lports[BRINK_PORTS_MAX];
	bool custom;
	char image[BRINK_IMAGE_MAX + 1];
	char service[32];
	size_t ncolumns; /* analysis: the order's names by position */
	char columns[ECM_COLUMNS_MAX][BRINK_NAME_MAX + 1];
	int batch;
	int number_values;
	int64_t serviceid;
};

/* One request of `verb` (not ECM_BOOTSTRAP): AGAIN while buf is a valid
 * beginning of a JSON object, OK once it is a whole one (trailing white
 * space allowed). Fields ECM's clients always send but a request lacks take
 * the clients' defaults; a field of the wrong type is INVALID. Checks: id a
 * string of 1-128 printable bytes; cpus {min, max} numbers with
 * 0 < min <= max < 64; nports 1-8; lports "default" or nports consecutive
 * ports 1-65535 as strings or numbers; custom 0/1; image a string; batch 0/1;
 * number_values 1-100000; order (analysis) "{1:'temp',2:'hum'}"; serviceid
 * (stop, remove) a positive integer. */
enum ecm_parse brink_ecm_request_parse(const char *buf, size_t len, enum ecm_verb verb,
				       struct ecm_request *out, char *msg, size_t msglen);

/* ECM's column order "{1:'temp',2:'hum'}": integer keys (any order, distinct),
 * single-quoted names (brink_name_valid); the names by ascending key. */
enum ecm_parse brink_ecm_order_parse(const char *s, size_t len, struct ecm_request *out,
				     char *msg, size_t msglen);

/* A raw key (bootstrap, listening port): complete at a newline, at 40
 * lowercase hex characters (an ECM key), at 32 characters that are not all
 * hex (a brink key), or at the end of the stream (`eof`); trailing white
 * space dropped. out gets the key NUL-terminated. AGAIN before that;
 * MALFORMED for bytes outside printable ASCII; TOO_LARGE past ECM_KEY_MAX. */
enum ecm_parse brink_ecm_key_parse(const char *buf, size_t len, bool eof,
				   char out[ECM_KEY_MAX + 1]);

/* The sensor's stream of JSON objects with no delimiter: the length of the
 * first whole object at buf (leading white space included), 0 when it is
 * not complete yet; *bad set when buf cannot start an object or it is
 * longer than ECM_OBJECT_MAX. `scanned` carries the scan over calls on a
 * growing buffer (start at 0; reset to 0 after consuming an object). */
struct ecm_scan {
	size_t pos;
	int depth;
	bool in_string, escape;
};
size_t brink_ecm_object_end(const char *buf, size_t len, struct ecm_scan *scan, bool *bad);

/* One sensor object {"id": KEY, "temp": "31.2", ...}: id gets KEY and out
 * the object without it, as ECM's listening container re-encoded it
 * (Python's json.dumps: ", " and ": ", non-ASCII as \uXXXX), NUL-terminated.
 * MALFORMED when not a JSON object, INVALID without a string id, with a
 * nested value or without another field, TOO_LARGE when out is too small. */
enum ecm_parse brink_ecm_sensor_object(const char *buf, size_t len, char id[ECM_KEY_MAX + 1],
				       char *out, size_t cap, char *msg, size_t msglen);

/* One line of a service's output (a forward line {"thing","received",
 * <the reading's fields>}, an analyze line with "msg", "class" and "score",
 * or a batch line {"received","msg","nalerts","count","classes","score"}) as
 * ECM's containers sent it to the consumer: the reading's fields (and "msg"),
 * or {"msg": ..., "nalerts": n}, in json.dumps's style, NUL-terminated.
 * Returns its length, 0 when line is not a JSON object or out is too small. */
size_t brink_ecm_output(const char *line, size_t len, char *out, size_t cap);

/* The size of the HDF5 file at buf's start, from its superblock's
 * end-of-file address (versions 0-3; the file ECM's client streams with no
 * length and no end marker). AGAIN until the superblock is in; MALFORMED
 * when buf does not start with HDF5's signature or the size is absurd. */
enum ecm_parse brink_ecm_h5_size(const uint8_t *buf, size_t len, uint64_t *size);

/* ECM's reply {"status": "OK", "body": "..."} (no newline) into out;
 * returns its length, 0 when it does not fit. */
size_t brink_ecm_reply(char *out, size_t cap, bool ok, const char *body);

/* s[0..len) (valid UTF-8) as a Python json.dumps string literal; returns the
 * length written (NUL-terminated), 0 when it does not fit. */
size_t brink_ecm_pystr(char *out, size_t cap, const char *s, size_t len);

/* v as Python's repr(float) writes it (shortest round trip, "1.0", "1e+16"). */
size_t brink_ecm_pyfloat(char *out, size_t cap, double v);

/* The names ECM's program used for the verb's port ("register", ...). */
const char *brink_ecm_verb_name(enum ecm_verb v);

#endif
