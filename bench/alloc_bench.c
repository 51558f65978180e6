/* Benchmark of brink_alloc_recompute() for 10,000 units against two
 * references measured in the same run on the same changes:
 *  - sort-based: qsort of all 2n breakpoints on every recompute, then a walk;
 *  - bisection: 64 passes of f(lambda) over all units.
 * Each iteration changes one unit's bounds first, so the work is real. Both
 * references also compute the assignments and the change set, as brink does,
 * and their answers are compared with brink's. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/alloc.h"

#define N 10000
#define ITERS 1000
#define BUDGET_US 1000.0

struct bp {
	double v;
	int is_max;
	double bound;
};

struct ref {
	double min[N], max[N], assigned[N], prev[N];
	struct bp bps[2 * N];
	double cap;
};

static uint64_t rng_state = 88172645463325252ULL;

static double unif(double lo, double hi)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int bp_cmp(const void *x, const void *y)
{
	const struct bp *p = x, *q = y;
	if (p->v != q->v)
		return p->v < q->v ? -1 : 1;
	return p->is_max - q->is_max;
}

static double clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Assigns clamp(lambda) and counts the units that moved by more than 1e-9. */
static size_t ref_assign(struct ref *r, double lambda)
{
	size_t changed = 0;
	for (int i = 0; i < N; i++) {
		r->assigned[i] = clampd(lambda, r->min[i], r->max[i]);
		if (fabs(r->assigned[i] - r->prev[i]) > 1e-9) {
			r->prev[i] = r->assigned[i];
			changed++;
		}
	}
	return changed;
}

static void ref_sums(const struct ref *r, double *smin, double *smax)
{
	*smin = *smax = 0;
	for (int i = 0; i < N; i++) {
		*smin += r->min[i];
		*smax += r->max[i];
	}
}

/* The naive reference: sort all breakpoints, walk them. */
static size_t ref_sort(struct ref *r)
{
	double smin, smax;
	ref_sums(r, &smin, &smax);
	if (smax <= r->cap)
		return ref_assign(r, INFINITY);
	for (int i = 0; i < N; i++) {
		r->bps[2 * i] = (struct bp){ r->min[i], 0, r->min[i] };
		r->bps[2 * i + 1] = (struct bp){ r->max[i], 1, r->max[i] };
	}
	qsort(r->bps, 2 * N, sizeof(r->bps[0]), bp_cmp);
	double fixed = smin, lambda = 0;
	long k = 0;
	for (int e = 0; e < 2 * N; e++) {
		double v = r->bps[e].v;
		if (fixed + (double)k * v >= r->cap) {
			lambda = k ? (r->cap - fixed) / (double)k : v;
			break;
		}
		fixed += r->bps[e].is_max ? r->bps[e].bound : -r->bps[e].bound;
		k += r->bps[e].is_max ? -1 : 1;
	}
	return ref_assign(r, lambda);
}

static double ref_f(const struct ref *r, double lambda)
{
	double s = 0;
	for (int i = 0; i < N; i++)
		s += clampd(lambda, r->min[i], r->max[i]);
	return s;
}

/* The other reference: bisection on lambda, 64 linear passes. */
static size_t ref_bisect(struct ref *r)
{
	double smin, smax, lo = 0, hi = 0;
	ref_sums(r, &smin, &smax);
	if (smax <= r->cap)
		return ref_assign(r, INFINITY);
	for (int i = 0; i < N; i++)
		hi = fmax(hi, r->max[i]);
	for (int it = 0; it < 64 && lo < hi; it++) {
		double mid = lo + (hi - lo) / 2;
		if (ref_f(r, mid) > r->cap)
			hi = mid;
		else
			lo = mid;
	}
	return ref_assign(r, lo);
}

static int dbl_cmp(const void *x, const void *y)
{
	double p = *(const double *)x, q = *(const double *)y;
	return (p > q) - (p < q);
}

static void percentiles(double *t, int n, double *p50, double *p99)
{
	qsort(t, n, sizeof(*t), dbl_cmp);
	*p50 = t[n / 2];
	*p99 = t[(n * 99) / 100];
}

static void setup(struct brink_alloc *a, struct ref *r)
{
	for (int i = 0; i < N; i++) {
		r->min[i] = unif(0, 0.004);
		r->max[i] = r->min[i] + unif(0, 0.05);
		r->prev[i] = -1;
		if (brink_alloc_admit(a, (uint64_t)i, r->min[i], r->max[i]) != BRINK_ALLOC_OK)
			abort();
	}
}

/* Changes unit i's bounds in both, keeping the sum of minimums in room;
 * returns the time brink_alloc_change() took. */
static double change_unit(struct brink_alloc *a, struct ref *r, int i)
{
	double min = unif(0, 0.004), max = min + unif(0, 0.05);
	double t0 = now_us();
	if (brink_alloc_change(a, (uint64_t)i, min, max) != BRINK_ALLOC_OK)
		abort();
	double t = now_us() - t0;
	r->min[i] = min;
	r->max[i] = max;
	return t;
}

/* Changes every unit, then recomputes: the path that sorts afresh. */
static double bulk_recompute(struct brink_alloc *a, struct ref *r)
{
	const struct brink_alloc_change *ch;
	for (int i = 0; i < N; i++)
		change_unit(a, r, i);
	double t0 = now_us();
	brink_alloc_recompute(a, &ch);
	return now_us() - t0;
}

static double max_diff(const struct brink_alloc *a, const struct ref *r)
{
	double d = 0;
	for (int i = 0; i < N; i++)
		d = fmax(d, fabs(brink_alloc_assigned(a, (uint64_t)i) - r->assigned[i]));
	return d;
}

#define BULK 21

static double t_brink[ITERS], t_sort[ITERS], t_bisect[ITERS], t_bulk[BULK];

int main(void)
{
	static struct ref r;
	r.cap = 100; /* sum(min) ~ 20, sum(max) ~ 270: water-filling is active */
	struct brink_alloc *a = brink_alloc_new(r.cap);
	setup(a, &r);
	const struct brink_alloc_change *ch;
	double t0 = now_us();
	size_t first = brink_alloc_recompute(a, &ch);
	double t_first = now_us() - t0;
	ref_sort(&r);
	double diff = 0, t_change = 0;
	size_t nch = 0, nref = 0;
	for (int it = 0; it < ITERS; it++) {
		t_change += change_unit(a, &r, (int)unif(0, N));
		t0 = now_us();
		nch += brink_alloc_recompute(a, &ch);
		t_brink[it] = now_us() - t0;
		t0 = now_us();
		nref += ref_sort(&r);
		t_sort[it] = now_us() - t0;
		t0 = now_us();
		ref_bisect(&r);
		t_bisect[it] = now_us() - t0;
		diff = fmax(diff, max_diff(a, &r));
	}
	t0 = now_us();
	double sink = 0;
	for (int i = 0; i < 1000; i++)
		sink += brink_alloc_assigned(a, (uint64_t)(i * 7) % N);
	double t_lookup = now_us() - t0;
	for (int b = 0; b < BULK; b++)
		t_bulk[b] = bulk_recompute(a, &r);
	ref_sort(&r);
	diff = fmax(diff, max_diff(a, &r));

	double b50, b99, s50, s99, q50, q99;
	percentiles(t_brink, ITERS, &b50, &b99);
	percentiles(t_sort, ITERS, &s50, &s99);
	percentiles(t_bisect, ITERS, &q50, &q99);
	printf("alloc recompute n=%d: p50 %.1f us p99 %.1f us (budget %.0f us, p99 %.3fx); "
	       "reference sort-based: p50 %.1f us p99 %.1f us, ratio p50 %.3fx p99 %.3fx\n",
	       N, b50, b99, BUDGET_US, b99 / BUDGET_US, s50, s99, b50 / s50, b99 / s99);
	printf("alloc recompute n=%d: reference bisection (64 passes): p50 %.1f us p99 %.1f us, "
	       "ratio p50 %.3fx\n", N, q50, q99, b50 / q50);
	qsort(t_bulk, BULK, sizeof(double), dbl_cmp);
	printf("alloc recompute n=%d after changing every unit (sorts afresh): p50 %.1f us max %.1f us "
	       "(budget %.0f us, p50 %.3fx); first recompute (all new, cold) %.1f us\n", N, t_bulk[BULK / 2],
	       t_bulk[BULK - 1], BUDGET_US, t_bulk[BULK / 2] / BUDGET_US, t_first);
	printf("alloc change() %.2f us mean; assigned() %.1f ns mean over 1000 lookups\n",
	       t_change / ITERS, t_lookup);
	printf("alloc check: %zu changes reported by brink, %zu by the reference over %d iterations, "
	       "max |brink - reference| %.2g (first %zu) %s\n", nch, nref, ITERS, diff, first,
	       sink >= 0 && diff <= 1e-9 ? "OK" : "MISMATCH");
	brink_alloc_free(a);
	return diff <= 1e-9 ? 0 : 1;
}
