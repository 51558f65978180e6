/* Line framing for the native TCP protocol (newline-delimited JSON): one
 * framer per connection; feed it bytes as they arrive, in any split, and
 * take complete lines out. Pure: no sockets, no threads. Fuzzed by
 * tests/fuzz/fuzz_lines.c.
 *
 * A line ends at '\n'; one '\r' before it is dropped. Empty lines are
 * skipped. A line longer than the framer's limit (not counting "\r\n") is
 * reported once as BRINK_LINES_TOO_LONG and the rest of it, up to its '\n',
 * is discarded without being buffered; a line holding a NUL byte is reported
 * once as BRINK_LINES_BINARY and discarded the same way (whichever of the
 * two comes first in the stream, so any split gives the same results).
 * The only memory is the framer itself (limit + 2 bytes of buffer),
 * allocated once.
 *
 * Typical use, after each read():
 *
 *	const char *p = buf;
 *	size_t n = got;
 *	struct brink_line line;
 *	enum brink_lines_status st;
 *	while ((st = brink_lines_feed(fr, &p, &n, &line)) != BRINK_LINES_AGAIN)
 *		st == BRINK_LINES_OK ? handle(line.data, line.len) : count(st);
 */
#ifndef BRINK_INGEST_LINES_H
#define BRINK_INGEST_LINES_H

#include <stddef.h>

#define BRINK_LINES_DEFAULT_MAX 4096 /* a sensible limit for readings */
#define BRINK_LINES_LIMIT 65536	     /* the largest limit brink_lines_new takes */

enum brink_lines_status {
	BRINK_LINES_OK = 0,   /* *line is a complete line */
	BRINK_LINES_AGAIN,    /* the input is used up: feed more */
	BRINK_LINES_TOO_LONG, /* a line passed the limit; its rest is being discarded */
	BRINK_LINES_BINARY,   /* a line held a NUL byte; its rest is being discarded */
};

/* A line inside the framer's buffer: data[0..len) holds no '\n', no NUL,
 * and no final '\r', and data[len] is a NUL, so data is also a C string.
 * Valid until the next brink_lines_feed, _reset or _free on its framer. */
struct brink_line {
	const char *data;
	size_t len;
};

struct brink_lines;

/* A framer for lines of at most max bytes (1..BRINK_LINES_LIMIT). Returns
 * NULL with errno EINVAL (max out of range) or ENOMEM. Free it with
 * brink_lines_free. */
struct brink_lines *brink_lines_new(size_t max);

/* Frees l; NULL is fine. */
void brink_lines_free(struct brink_lines *l);

/* Consumes input from *data (advancing *data, decreasing *len) until one
 * line completes or an error is found, then returns:
 *   OK        *line is set; the input after that line is left in *data;
 *   AGAIN     all input was consumed (*len is 0); a partial line is kept;
 *   TOO_LONG, BINARY  once per bad line; call again to go on.
 * Never fails otherwise; never allocates. */
enum brink_lines_status brink_lines_feed(struct brink_lines *l, const char **data, size_t *len,
					 struct brink_line *line);

/* Bytes of the current unfinished line received so far (buffered, or
 * discarded after TOO_LONG or BINARY); 0 between lines. A caller that
 * closes connections whose lines stay unfinished too long (slow loris)
 * watches this. */
size_t brink_lines_pending(const struct brink_lines *l);

/* The limit l was made with. */
size_t brink_lines_max(const struct brink_lines *l);

/* Forgets the current unfinished line. */
void brink_lines_reset(struct brink_lines *l);

/* "ok", "again", "too_long", "binary"; never NULL. */
const char *brink_lines_status_name(enum brink_lines_status st);

#endif
