#include "ingest/lines.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct brink_lines {
	size_t max;     /* longest line, without "\r\n" */
	size_t len;     /* bytes in buf of the current line */
	size_t pending; /* bytes of the current line seen, buffered or not */
	bool skipping;  /* the current line was reported: discard to its '\n' */
	size_t cap;     /* of buf: grows up to max + 2 (the line, a '\r', a NUL) */
	char *buf;
};

/* A connection's buffer starts small and grows with its longest line: most
 * readings are under a hundred bytes, and ten thousand idle connections
 * should not each hold ingest.max_line (bench-dataplane.sh). */
#define LINES_FIRST_CAP 128

static bool grow(struct brink_lines *l, size_t need)
{
	if (need <= l->cap)
		return true;
	size_t cap = l->cap * 2 > need ? l->cap * 2 : need;
	if (cap > l->max + 2)
		cap = l->max + 2;
	char *nb = realloc(l->buf, cap);
	if (!nb)
		return false;
	l->buf = nb;
	l->cap = cap;
	return true;
}

struct brink_lines *brink_lines_new(size_t max)
{
	if (max < 1 || max > BRINK_LINES_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	size_t cap = max + 2 < LINES_FIRST_CAP ? max + 2 : LINES_FIRST_CAP;
	struct brink_lines *l = calloc(1, sizeof(*l));
	if (!l || !(l->buf = malloc(cap))) {
		free(l);
		return NULL;
	}
	l->cap = cap;
	l->max = max;
	brink_lines_reset(l);
	return l;
}

void brink_lines_free(struct brink_lines *l)
{
	if (l)
		free(l->buf);
	free(l);
}

void brink_lines_reset(struct brink_lines *l)
{
	l->len = l->pending = 0;
	l->skipping = false;
}

size_t brink_lines_pending(const struct brink_lines *l)
{
	return l->pending;
}

size_t brink_lines_max(const struct brink_lines *l)
{
	return l->max;
}

/* Reports the current line as bad; its rest is discarded unless it ended. */
static enum brink_lines_status refuse(struct brink_lines *l, bool ended,
				      enum brink_lines_status st)
{
	l->len = 0;
	l->skipping = !ended;
	if (ended)
		l->pending = 0;
	return st;
}

/* The current line ended: hand it out, unless empty or too long. */
static enum brink_lines_status finish(struct brink_lines *l, struct brink_line *line)
{
	size_t n = l->len;
	if (n > 0 && l->buf[n - 1] == '\r')
		n--;
	l->len = l->pending = 0;
	if (n > l->max)
		return BRINK_LINES_TOO_LONG;
	if (n == 0)
		return BRINK_LINES_AGAIN;
	l->buf[n] = '\0';
	line->data = l->buf;
	line->len = n;
	return BRINK_LINES_OK;
}

/* Takes p[0..n), a piece of the current line, which ends here if `ended`. */
static enum brink_lines_status take(struct brink_lines *l, const char *p, size_t n, bool ended,
				    struct brink_line *line)
{
	l->pending += n;
	if (l->skipping) {
		if (ended)
			brink_lines_reset(l);
		return BRINK_LINES_AGAIN;
	}
	/* Whichever comes first in the stream, so that any split gives the
	 * same result: a NUL within the limit, or passing the limit. */
	size_t room = l->max + 1 - l->len; /* max bytes and a '\r' */
	if (memchr(p, '\0', n < room ? n : room))
		return refuse(l, ended, BRINK_LINES_BINARY);
	if (n > room || !grow(l, l->len + n + 1))
		return refuse(l, ended, BRINK_LINES_TOO_LONG);
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return ended ? finish(l, line) : BRINK_LINES_AGAIN;
}

enum brink_lines_status brink_lines_feed(struct brink_lines *l, const char **data, size_t *len,
					 struct brink_line *line)
{
	while (*len > 0) {
		const char *p = *data;
		const char *nl = memchr(p, '\n', *len);
		size_t n = nl ? (size_t)(nl - p) : *len;
		*data += nl ? n + 1 : n;
		*len -= nl ? n + 1 : n;
		enum brink_lines_status st = take(l, p, n, nl != NULL, line);
		if (st != BRINK_LINES_AGAIN)
			return st;
	}
	return BRINK_LINES_AGAIN;
}

const char *brink_lines_status_name(enum brink_lines_status st)
{
	switch (st) {
	case BRINK_LINES_OK:
		return "ok";
	case BRINK_LINES_AGAIN:
		return "again";
	case BRINK_LINES_TOO_LONG:
		return "too_long";
	case BRINK_LINES_BINARY:
		return "binary";
	}
	return "unknown";
}
