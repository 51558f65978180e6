/* CPU allocator: admission by the sum of minimums and max–min fair
 * water-filling (DESIGN.md, "CPU allocation"). Pure logic: no I/O, no locks,
 * no knowledge of runtimes. The caller serialises access.
 *
 * Every unit has min <= assigned <= max. After any change, call
 * brink_alloc_recompute(): all assignments are recomputed at once
 * (assigned = clamp(lambda, min, max), lambda chosen so that the sum equals
 * min(capacity, sum of max)) and the units whose assignment changed since the
 * previous recompute are reported, so only those are pushed to runtimes. */
#ifndef BRINK_SCHED_ALLOC_H
#define BRINK_SCHED_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct brink_alloc;

/* One unit whose assignment changed; `assigned` is in cores. */
struct brink_alloc_change {
	uint64_t id;
	double assigned;
};

enum brink_alloc_status {
	BRINK_ALLOC_OK = 0,
	BRINK_ALLOC_EINVAL,   /* NaN/inf/negative, min > max, max == 0, or capacity <= 0 */
	BRINK_ALLOC_ENOSPC,   /* the sum of minimums would exceed the capacity */
	BRINK_ALLOC_EEXIST,   /* admit: the id is already there */
	BRINK_ALLOC_ENOENT,   /* the id is not there */
	BRINK_ALLOC_ENOMEM,
};

/* Returns a new allocator for `capacity` cores (> 0, finite), or NULL on a
 * bad capacity or out of memory. Free with brink_alloc_free(). */
struct brink_alloc *brink_alloc_new(double capacity);
void brink_alloc_free(struct brink_alloc *a);

/* Admits unit `id` with bounds [min, max] (0 <= min <= max, max > 0, finite).
 * Refused with ENOSPC, changing nothing, when sum(min) + min > capacity.
 * The new unit's assignment is 0 until the next recompute. */
enum brink_alloc_status brink_alloc_admit(struct brink_alloc *a, uint64_t id, double min, double max);

/* Removes unit `id`. */
enum brink_alloc_status brink_alloc_remove(struct brink_alloc *a, uint64_t id);

/* Changes the bounds of unit `id`; admission is checked as for admit (the
 * unit's old min does not count). On failure nothing changes. */
enum brink_alloc_status brink_alloc_change(struct brink_alloc *a, uint64_t id, double min, double max);

/* Changes the capacity; refused with ENOSPC when the sum of minimums would
 * not fit, EINVAL when not finite and > 0. */
enum brink_alloc_status brink_alloc_set_capacity(struct brink_alloc *a, double capacity);

/* Would a unit with this min be admitted now? (no change) */
int brink_alloc_fits(const struct brink_alloc *a, double min);

/* Recomputes every assignment. Writes the units whose assignment differs
 * from what the previous recompute reported (new units always count) into an
 * array owned by the allocator, valid until the next call, and returns how
 * many there are (*changes is set, NULL when none). Removed units are not
 * reported. O(n log n) at most. */
size_t brink_alloc_recompute(struct brink_alloc *a, const struct brink_alloc_change **changes);

/* The last computed assignment of `id` in cores, or -1 when unknown. */
double brink_alloc_assigned(const struct brink_alloc *a, uint64_t id);

double brink_alloc_capacity(const struct brink_alloc *a);
double brink_alloc_sum_min(const struct brink_alloc *a);
double brink_alloc_sum_assigned(const struct brink_alloc *a);
size_t brink_alloc_count(const struct brink_alloc *a);

#endif
