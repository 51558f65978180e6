/* Small helpers shared by brinkd, brink and brink-worker: cleanup attributes,
 * array sizes and branch hints. Header only. */
#ifndef BRINK_COMMON_H
#define BRINK_COMMON_H

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define BRINK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BRINK_UNUSED __attribute__((unused))
#define BRINK_PRINTF(f, a) __attribute__((format(printf, f, a)))

static inline void brink__freep(void *p)
{
	free(*(void **)p);
}

static inline void brink__closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Locals that free or close themselves when they go out of scope. Hand
 * ownership on with `*out = p; p = NULL;`. */
#define _cleanup_free_ __attribute__((cleanup(brink__freep)))
#define _cleanup_close_ __attribute__((cleanup(brink__closep)))

/* Returns p and sets the variable it came from to NULL (ownership moves). */
#define brink_steal(pp) ({ __typeof__(*(pp)) tmp__ = *(pp); *(pp) = NULL; tmp__; })

#endif
