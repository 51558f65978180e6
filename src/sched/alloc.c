/* CPU allocator (see alloc.h). Units live in a dense array (swap-remove) found
 * through an open-addressing id table. Two arrays keep the units sorted by
 * min and by max; admit, remove and change move one entry in each (binary
 * search and memmove), and past a burst of operations the arrays are rebuilt
 * by one sort at the next recompute instead. A recompute refreshes the prefix
 * sums from the first moved entry, finds lambda's segment by binary search
 * on f(v) = sum clamp(v, min, max), solves for it there exactly, then assigns
 * and collects the changes in one branch-free pass. */
#include "sched/alloc.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHANGE_EPS 1e-9 /* smaller moves are not reported */
#define ADMIT_EPS 1e-12 /* relative slack for rounding in sum(min) <= capacity */
#define KEEP_ORDER_OPS 64 /* past this many operations between recomputes, sort afresh */
#define NO_IDX UINT32_MAX
#define MAX_UNITS (UINT32_MAX / 4)

struct unit {
	uint64_t id;
	double min, max;
	double assigned; /* last computed */
	double reported; /* last value put in a change list, NaN before */
};

/* One bound of every unit, sorted (only the values matter, not whose they
 * are); pre[i] is the sum of at[0..i), valid for i <= pre_ok. */
struct order {
	double *at, *pre;
	uint32_t len, pre_ok;
};

struct slot {
	uint64_t id;
	uint32_t idx; /* NO_IDX when empty */
};

/* Neumaier-compensated sum. */
struct ksum {
	double s, c;
};

struct brink_alloc {
	double capacity;
	struct ksum sum_min, sum_max;
	struct unit *units;
	uint32_t n, cap;
	struct order by_min, by_max;
	double *scratch; /* for sorting */
	bool unsorted;    /* orders abandoned until the next recompute rebuilds them */
	uint32_t pending; /* order moves since the last recompute */
	struct slot *table;
	uint32_t tmask; /* table size - 1 */
	struct brink_alloc_change *changes;
};

static void ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;
	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double ksum_get(const struct ksum *k)
{
	return isfinite(k->s) ? k->s + k->c : k->s;
}

/* Two selects the compiler turns into minsd/maxsd: no branch to mispredict. */
static double clampd(double x, double lo, double hi)
{
	double t = x > hi ? hi : x;
	return t < lo ? lo : t;
}

/* ---- id table ---- */

static uint32_t hash_id(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* Returns the table position holding id, or the empty one where it would go. */
static uint32_t table_pos(const struct brink_alloc *a, uint64_t id)
{
	uint32_t p = hash_id(id) & a->tmask;
	while (a->table[p].idx != NO_IDX && a->table[p].id != id)
		p = (p + 1) & a->tmask;
	return p;
}

static uint32_t find_idx(const struct brink_alloc *a, uint64_t id)
{
	return a->table[table_pos(a, id)].idx;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void table_del(struct brink_alloc *a, uint32_t hole)
{
	uint32_t p = hole;
	for (;;) {
		p = (p + 1) & a->tmask;
		if (a->table[p].idx == NO_IDX)
			break;
		uint32_t home = hash_id(a->table[p].id) & a->tmask;
		if (((p - home) & a->tmask) >= ((p - hole) & a->tmask)) {
			a->table[hole] = a->table[p];
			hole = p;
		}
	}
	a->table[hole].idx = NO_IDX;
}

static int table_resize(struct brink_alloc *a, uint32_t size)
{
	struct slot *old = a->table;
	uint32_t old_size = old ? a->tmask + 1 : 0;
	struct slot *t = malloc(sizeof(*t) * size);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < size; i++)
		t[i].idx = NO_IDX;
	a->table = t;
	a->tmask = size - 1;
	for (uint32_t i = 0; i < old_size; i++)
		if (old[i].idx != NO_IDX)
			a->table[table_pos(a, old[i].id)] = old[i];
	free(old);
	return 0;
}

/* ---- storage ---- */

static int grow_array(void **p, size_t elem, size_t count)
{
	void *q = realloc(*p, elem * count);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

/* Doubles every per-unit array; on failure nothing observable changes. */
static int grow(struct brink_alloc *a)
{
	if (a->cap >= MAX_UNITS)
		return -1;
	uint32_t cap = a->cap ? a->cap * 2 : 16;
	if (grow_array((void **)&a->units, sizeof(*a->units), cap) ||
	    grow_array((void **)&a->by_min.at, sizeof(double), cap) ||
	    grow_array((void **)&a->by_max.at, sizeof(double), cap) ||
	    grow_array((void **)&a->scratch, sizeof(double), cap) ||
	    grow_array((void **)&a->by_min.pre, sizeof(double), cap + 1) ||
	    grow_array((void **)&a->by_max.pre, sizeof(double), cap + 1) ||
	    grow_array((void **)&a->changes, sizeof(*a->changes), cap))
		return -1;
	if (a->tmask + 1 < 2 * cap && table_resize(a, 2 * cap))
		return -1;
	a->cap = cap;
	return 0;
}

struct brink_alloc *brink_alloc_new(double capacity)
{
	if (!isfinite(capacity) || capacity <= 0)
		return NULL;
	struct brink_alloc *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->capacity = capacity;
	if (grow(a)) {
		brink_alloc_free(a);
		return NULL;
	}
	a->by_min.pre[0] = a->by_max.pre[0] = 0;
	return a;
}

void brink_alloc_free(struct brink_alloc *a)
{
	if (!a)
		return;
	free(a->units);
	free(a->by_min.at);
	free(a->by_max.at);
	free(a->scratch);
	free(a->by_min.pre);
	free(a->by_max.pre);
	free(a->table);
	free(a->changes);
	free(a);
}

/* ---- order maintenance ---- */

/* The first position whose bound is not below v. */
static uint32_t order_lower(const struct order *o, double v)
{
	uint32_t lo = 0, hi = o->len;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o->at[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void order_touched(struct order *o, uint32_t pos)
{
	if (pos < o->pre_ok)
		o->pre_ok = pos;
}

static void order_insert(struct order *o, double v)
{
	uint32_t q = order_lower(o, v);
	memmove(&o->at[q + 1], &o->at[q], sizeof(*o->at) * (o->len - q));
	o->at[q] = v;
	o->len++;
	order_touched(o, q);
}

/* Removes one entry equal to v (there is one). */
static void order_erase(struct order *o, double v)
{
	uint32_t p = order_lower(o, v);
	o->len--;
	memmove(&o->at[p], &o->at[p + 1], sizeof(*o->at) * (o->len - p));
	order_touched(o, p);
}

/* Replaces one entry equal to old by v, shifting only what lies between. */
static void order_replace(struct order *o, double old, double v)
{
	uint32_t p = order_lower(o, old), q = order_lower(o, v);
	if (q <= p) {
		memmove(&o->at[q + 1], &o->at[q], sizeof(*o->at) * (p - q));
	} else {
		memmove(&o->at[p], &o->at[p + 1], sizeof(*o->at) * (--q - p));
	}
	o->at[q] = v;
	order_touched(o, p < q ? p : q);
}

/* Counts one more order move; past a burst, gives the orders up until the
 * next recompute sorts them afresh. Returns whether they are still kept. */
static bool order_keep(struct brink_alloc *a)
{
	if (!a->unsorted && ++a->pending > KEEP_ORDER_OPS)
		a->unsorted = true;
	return !a->unsorted;
}

static void file_admit(struct brink_alloc *a, double min, double max)
{
	if (!order_keep(a))
		return;
	order_insert(&a->by_min, min);
	order_insert(&a->by_max, max);
}

static void file_change(struct brink_alloc *a, double old_min, double old_max, double min, double max)
{
	if (!order_keep(a))
		return;
	order_replace(&a->by_min, old_min, min);
	order_replace(&a->by_max, old_max, max);
}

static void file_remove(struct brink_alloc *a, double min, double max)
{
	if (!order_keep(a))
		return;
	order_erase(&a->by_min, min);
	order_erase(&a->by_max, max);
}

static uint64_t bits_of(double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	return b;
}

/* Counts every byte of every value's bits in one read: count[byte][value]. */
static void radix_count(const double *k, uint32_t n, uint32_t count[8][256])
{
	memset(count, 0, sizeof(uint32_t) * 8 * 256);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t b = bits_of(k[i]);
		for (int d = 0; d < 8; d++)
			count[d][(b >> (8 * d)) & 0xff]++;
	}
}

/* One stable scatter on byte d, turning its counts into offsets. */
static void radix_scatter(const double *in, double *out, uint32_t n, int d, uint32_t *count)
{
	for (uint32_t v = 0, sum = 0; v < 256; v++) {
		uint32_t c = count[v];
		count[v] = sum;
		sum += c;
	}
	for (uint32_t i = 0; i < n; i++)
		out[count[(bits_of(in[i]) >> (8 * d)) & 0xff]++] = in[i];
}

/* Sorts bounds by an LSD radix sort on their bits, which order like the
 * values as all are >= +0. Bytes that every value shares are skipped. */
static void radix_sort(double *k, double *scratch, uint32_t n)
{
	uint32_t count[8][256];
	double *in = k, *out = scratch;
	if (n < 2)
		return;
	radix_count(k, n, count);
	uint64_t first = bits_of(k[0]);
	for (int d = 0; d < 8; d++) {
		if (count[d][(first >> (8 * d)) & 0xff] == n)
			continue;
		radix_scatter(in, out, n, d, count[d]);
		double *t = in;
		in = out;
		out = t;
	}
	if (in != k)
		memcpy(k, in, sizeof(*k) * n);
}

static void order_rebuild(struct brink_alloc *a, struct order *o, bool by_max)
{
	for (uint32_t i = 0; i < a->n; i++)
		o->at[i] = by_max ? a->units[i].max : a->units[i].min;
	o->len = a->n;
	o->pre_ok = 0;
	radix_sort(o->at, a->scratch, o->len);
}

static void prefix_refresh(struct order *o)
{
	double s = o->pre[o->pre_ok];
	for (uint32_t i = o->pre_ok; i < o->len; i++) {
		s += o->at[i];
		o->pre[i + 1] = s;
	}
	o->pre_ok = o->len;
}

static void orders_refresh(struct brink_alloc *a)
{
	if (a->unsorted) {
		order_rebuild(a, &a->by_min, false);
		order_rebuild(a, &a->by_max, true);
		a->unsorted = false;
	}
	a->pending = 0;
	prefix_refresh(&a->by_min);
	prefix_refresh(&a->by_max);
}

/* ---- admission ---- */

static bool bounds_ok(double min, double max)
{
	return isfinite(min) && isfinite(max) && min >= 0 && max > 0 && min <= max;
}

/* Would sum(min) - old_min + min fit? */
static bool fits_with(const struct brink_alloc *a, double old_min, double min)
{
	struct ksum s = a->sum_min;
	ksum_add(&s, -old_min);
	ksum_add(&s, min);
	return ksum_get(&s) <= a->capacity * (1 + ADMIT_EPS);
}

int brink_alloc_fits(const struct brink_alloc *a, double min)
{
	return isfinite(min) && min >= 0 && fits_with(a, 0, min);
}

enum brink_alloc_status brink_alloc_admit(struct brink_alloc *a, uint64_t id, double min, double max)
{
	if (!bounds_ok(min, max))
		return BRINK_ALLOC_EINVAL;
	if (find_idx(a, id) != NO_IDX)
		return BRINK_ALLOC_EEXIST;
	if (!fits_with(a, 0, min))
		return BRINK_ALLOC_ENOSPC;
	if (a->n == a->cap && grow(a))
		return BRINK_ALLOC_ENOMEM;
	uint32_t i = a->n++;
	a->units[i] = (struct unit){ .id = id, .min = min + 0.0, .max = max, .reported = NAN };
	file_admit(a, a->units[i].min, max);
	a->table[table_pos(a, id)] = (struct slot){ .id = id, .idx = i };
	ksum_add(&a->sum_min, min);
	ksum_add(&a->sum_max, max);
	return BRINK_ALLOC_OK;
}

enum brink_alloc_status brink_alloc_remove(struct brink_alloc *a, uint64_t id)
{
	uint32_t p = table_pos(a, id);
	uint32_t i = a->table[p].idx;
	if (i == NO_IDX)
		return BRINK_ALLOC_ENOENT;
	ksum_add(&a->sum_min, -a->units[i].min);
	ksum_add(&a->sum_max, -a->units[i].max);
	table_del(a, p);
	file_remove(a, a->units[i].min, a->units[i].max);
	uint32_t last = --a->n;
	if (i != last) {
		a->units[i] = a->units[last];
		a->table[table_pos(a, a->units[i].id)].idx = i;
	}
	return BRINK_ALLOC_OK;
}

enum brink_alloc_status brink_alloc_change(struct brink_alloc *a, uint64_t id, double min, double max)
{
	if (!bounds_ok(min, max))
		return BRINK_ALLOC_EINVAL;
	uint32_t i = find_idx(a, id);
	if (i == NO_IDX)
		return BRINK_ALLOC_ENOENT;
	struct unit *u = &a->units[i];
	if (!fits_with(a, u->min, min))
		return BRINK_ALLOC_ENOSPC;
	ksum_add(&a->sum_min, -u->min);
	ksum_add(&a->sum_min, min);
	ksum_add(&a->sum_max, -u->max);
	ksum_add(&a->sum_max, max);
	double old_min = u->min, old_max = u->max;
	u->min = min + 0.0;
	u->max = max;
	file_change(a, old_min, old_max, u->min, u->max);
	return BRINK_ALLOC_OK;
}

enum brink_alloc_status brink_alloc_set_capacity(struct brink_alloc *a, double capacity)
{
	if (!isfinite(capacity) || capacity <= 0)
		return BRINK_ALLOC_EINVAL;
	if (ksum_get(&a->sum_min) > capacity * (1 + ADMIT_EPS))
		return BRINK_ALLOC_ENOSPC;
	a->capacity = capacity;
	return BRINK_ALLOC_OK;
}

/* ---- water-filling ---- */

/* Sums kept on the fly drift only by rounding; recount if they overflowed. */
static void sums_refresh(struct brink_alloc *a)
{
	if (isfinite(a->sum_max.s) && isfinite(a->sum_max.c))
		return;
	a->sum_min = a->sum_max = (struct ksum){ 0, 0 };
	for (uint32_t i = 0; i < a->n; i++) {
		ksum_add(&a->sum_min, a->units[i].min);
		ksum_add(&a->sum_max, a->units[i].max);
	}
}

/* How many entries of `ord` have a bound <= v. */
static uint32_t count_le(const struct order *ord, double v)
{
	uint32_t lo = 0, hi = ord->len;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ord->at[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The part of f that does not grow with lambda when cm minima and cM maxima
 * lie at or below it: saturated maxima plus minima still above. */
static double fixed_part(const struct brink_alloc *a, uint32_t cm, uint32_t cM)
{
	const struct order *lo = &a->by_min, *hi = &a->by_max;
	return hi->pre[cM] + (lo->pre[lo->len] - lo->pre[cm]);
}

/* f(v) = sum over units of clamp(v, min, max). */
static double f_at(const struct brink_alloc *a, double v)
{
	uint32_t cm = count_le(&a->by_min, v), cM = count_le(&a->by_max, v);
	return fixed_part(a, cm, cM) + (double)(cm - cM) * v;
}

/* How many entries of `ord` have f(bound) < target (f is nondecreasing). */
static uint32_t count_below(const struct brink_alloc *a, const struct order *ord, double target)
{
	uint32_t lo = 0, hi = ord->len;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (f_at(a, ord->at[mid]) < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Lowers lambda until fixed + k lambda <= target in floating point. */
static double fit_down(double lambda, double fixed, uint32_t k, double target)
{
	double over = fixed + (double)k * lambda - target;
	if (over > 0)
		lambda -= over / k;
	for (int i = 0; i < 8 && lambda > 0 && fixed + (double)k * lambda > target; i++)
		lambda = nextafter(lambda, 0);
	return lambda;
}

/* The bound at position p, +inf past the end. */
static double bound_at(const struct order *o, uint32_t p)
{
	return p < o->len ? o->at[p] : INFINITY;
}

/* Solves f(lambda) = target on the segment between the last breakpoint with
 * f < target and the first with f >= target, where p minima and q maxima lie
 * below lambda. Needs f(0) = sum(min) < target < sum(max). */
static double solve_lambda(const struct brink_alloc *a, double target)
{
	uint32_t p = count_below(a, &a->by_min, target), q = count_below(a, &a->by_max, target);
	if (q == a->by_max.len)
		return INFINITY; /* rounding: every unit fits at its max */
	double lower = fmax(p ? a->by_min.at[p - 1] : 0, q ? a->by_max.at[q - 1] : 0);
	double upper = fmin(bound_at(&a->by_min, p), a->by_max.at[q]);
	if (p <= q)
		return lower; /* f is flat here only by rounding: stay below target */
	uint32_t k = p - q;
	double fixed = fixed_part(a, p, q);
	return fit_down(clampd((target - fixed) / k, lower, upper), fixed, k, target);
}

static double pick_lambda(const struct brink_alloc *a)
{
	if (ksum_get(&a->sum_max) <= a->capacity)
		return INFINITY;
	if (ksum_get(&a->sum_min) >= a->capacity)
		return 0;
	return solve_lambda(a, a->capacity);
}

/* c ? x : y without a branch to mispredict. */
static double select_d(bool c, double x, double y)
{
	uint64_t bx, by, mask = -(uint64_t)c;
	memcpy(&bx, &x, sizeof(bx));
	memcpy(&by, &y, sizeof(by));
	bx = (bx & mask) | (by & ~mask);
	memcpy(&x, &bx, sizeof(x));
	return x;
}

/* Sets every assignment to clamp(lambda, min, max) and lists the units that
 * moved by more than CHANGE_EPS since last reported, or were never reported
 * (NaN compares false). Branch-free: every unit is written to the list slot
 * and the count advances only for a change. */
static size_t assign_all(struct brink_alloc *a, double lambda)
{
	size_t c = 0;
	for (uint32_t i = 0; i < a->n; i++) {
		struct unit *u = &a->units[i];
		double x = clampd(lambda, u->min, u->max);
		bool moved = !(fabs(x - u->reported) <= CHANGE_EPS);
		u->assigned = x;
		u->reported = select_d(moved, x, u->reported);
		a->changes[c] = (struct brink_alloc_change){ .id = u->id, .assigned = x };
		c += moved;
	}
	return c;
}

size_t brink_alloc_recompute(struct brink_alloc *a, const struct brink_alloc_change **changes)
{
	orders_refresh(a);
	sums_refresh(a);
	size_t c = a->n ? assign_all(a, pick_lambda(a)) : 0;
	*changes = c ? a->changes : NULL;
	return c;
}

/* ---- queries ---- */

double brink_alloc_assigned(const struct brink_alloc *a, uint64_t id)
{
	uint32_t i = find_idx(a, id);
	return i == NO_IDX ? -1 : a->units[i].assigned;
}

double brink_alloc_capacity(const struct brink_alloc *a)
{
	return a->capacity;
}

double brink_alloc_sum_min(const struct brink_alloc *a)
{
	return ksum_get(&a->sum_min);
}

double brink_alloc_sum_assigned(const struct brink_alloc *a)
{
	struct ksum s = { 0, 0 };
	for (uint32_t i = 0; i < a->n; i++)
		ksum_add(&s, a->units[i].assigned);
	return ksum_get(&s);
}

size_t brink_alloc_count(const struct brink_alloc *a)
{
	return a->n;
}
