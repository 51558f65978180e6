/* What every benchmark program shares: one clock and one definition of a
 * percentile (nearest rank over the sorted samples), so all of bench/ reports
 * its p50 and p99 alike. Header-only: each bench is a single C file. */
#ifndef BRINK_BENCH_UTIL_H
#define BRINK_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static inline void bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
}

/* The p-th percentile (0 < p <= 100) of v[0..n), which must be sorted. */
static inline double bench_pct(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	double r = p / 100.0 * (double)n;
	size_t rank = (size_t)r;
	if ((double)rank < r) /* rounded up, without libm */
		rank++;
	return v[rank == 0 ? 0 : (rank > n ? n - 1 : rank - 1)];
}

#endif
