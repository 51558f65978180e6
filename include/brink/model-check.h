/* The memfd brinkd hands to `brink-worker --check-model` (its descriptor 6):
 * the tenant's file and, after it, room for the compiled model image the
 * check writes back, so a service worker later loads that image instead of
 * parsing HDF5 (src/analyze/nn-image.c). Little-endian:
 *
 *   0  8  magic  "BRKCHK\0\1" (a NUL: no rules file; not HDF5's signature)
 *   8  u64 L     bytes of the model file
 *  16  u64 C     bytes of room for the image (a multiple of 4096)
 *  24  8  zero
 *  32  the model file, L bytes
 *   R  = L + 32 rounded up to 4096: the room, C bytes of zeros
 *
 * The memfd is exactly R + C bytes and sealed against shrinking and growing.
 * The worker's RLIMIT_FSIZE is 0, which refuses write(2) to any file, so it
 * writes the image through a shared mapping of the room (mmap is in its
 * seccomp filter) and tells its length as "image_bytes" in its summary. A
 * plain model file (no envelope) is still accepted, without an image. */
#ifndef BRINK_MODEL_CHECK_H
#define BRINK_MODEL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BRINK_MODEL_CHECK_HEADER 32u
/* The largest image a network within the engine's limits can have (4 Mi
 * float32 parameters, 64 layers). */
#define BRINK_MODEL_IMAGE_MAX ((4u << 20) * 4u + 4096u)

struct brink_model_envelope {
	uint64_t model_len;  /* L */
	uint64_t room_off;   /* R */
	uint64_t room_len;   /* C */
};

/* The layout for a model of `len` bytes with room for an image of up to
 * `image_max` bytes (rounded up to a page). */
void brink_model_envelope_layout(size_t len, size_t image_max, struct brink_model_envelope *out);

/* Writes the 32-byte header of e into hdr. */
void brink_model_envelope_header(const struct brink_model_envelope *e, void *hdr);

/* Parses a header read from a memfd of `size` bytes. Returns true when hdr
 * is an envelope whose layout is consistent with size (model and room within
 * it, room page-aligned and at most BRINK_MODEL_IMAGE_MAX), filling *out;
 * false when it is no envelope or an inconsistent one. */
bool brink_model_envelope_parse(const void *hdr, size_t hdr_len, uint64_t size,
				struct brink_model_envelope *out);

#endif
