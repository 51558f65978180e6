/* The forward service's work: a reading as brinkd hands it over becomes the
 * line the tenant's clients receive. */
#ifndef BRINK_WORKER_FORWARD_H
#define BRINK_WORKER_FORWARD_H

#include <stddef.h>
#include <stdint.h>

/* `rec` is "<thing name>\n<reading as a JSON object>" (RECORDS records, see
 * include/brink/wire.h); time_ns is the gateway's receive time (Unix, ns).
 * Writes {"thing":NAME,"received":SECONDS,...the reading's fields} into
 * out[0..cap) and returns its length, or 0 when rec is not of that shape or
 * the line does not fit. The name is copied as is: brinkd only hands over
 * names of [A-Za-z0-9._-]. */
size_t brink_forward_format(const uint8_t *rec, size_t len, uint64_t time_ns, char *out,
			    size_t cap);

#endif
