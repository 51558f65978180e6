/* Unit and property tests for the CPU allocator (src/sched/alloc.c).
 *
 * Every recompute is checked against the definition of max-min fair
 * water-filling, from a model the test keeps itself: bounds, capacity, the
 * sum, fairness (one lambda for the free units), and that the change list is
 * exactly the set of units whose value moved since it was last reported. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched/alloc.h"

#define EPS 1e-9

#define check(cond, ...)                          \
	do {                                      \
		if (!(cond))                      \
			fail_msg(__VA_ARGS__);    \
	} while (0)

#define assert_near(x, y, tol)                                                               \
	do {                                                                                 \
		double x_ = (x), y_ = (y);                                                   \
		check(fabs(x_ - y_) <= (tol), "%s = %.17g, expected %.17g", #x, x_, y_);     \
	} while (0)

/* ---- the model: what the test believes the allocator holds ---- */

struct mu {
	uint64_t id;
	double min, max;
	double last; /* last value reported in a change list */
	bool live, has_last, seen;
};

struct model {
	struct mu *u;
	size_t n; /* slots, live or not */
	double cap;
};

/* Ids with clustered low bits, to exercise the table's hashing. */
static uint64_t id_of(size_t i)
{
	return ((uint64_t)i << 32) ^ 0xabcULL;
}

static void model_init(struct model *m, size_t n, double cap)
{
	m->u = calloc(n, sizeof(*m->u));
	assert_non_null(m->u);
	m->n = n;
	m->cap = cap;
	for (size_t i = 0; i < n; i++)
		m->u[i].id = id_of(i);
}

static double model_sum_min(const struct model *m)
{
	long double s = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->u[i].live)
			s += m->u[i].min;
	return (double)s;
}

static size_t model_count(const struct model *m)
{
	size_t c = 0;
	for (size_t i = 0; i < m->n; i++)
		c += m->u[i].live;
	return c;
}

/* The slot of id, or m->n when it is not one of ours. */
static size_t model_find(const struct model *m, uint64_t id)
{
	size_t i = (size_t)(id >> 32);
	return i < m->n && m->u[i].id == id ? i : m->n;
}

static double tol_of(double x)
{
	return EPS * (fabs(x) > 1 ? fabs(x) : 1);
}

/* ---- invariant checks ---- */

struct sums {
	long double assigned, min, max;
};

static struct sums check_bounds(const struct brink_alloc *a, const struct model *m)
{
	struct sums s = { 0, 0, 0 };
	for (size_t i = 0; i < m->n; i++) {
		const struct mu *u = &m->u[i];
		double x = brink_alloc_assigned(a, u->id);
		if (!u->live) {
			check(x == -1, "removed unit %zu still has %g", i, x);
			continue;
		}
		check(x >= u->min - EPS, "unit %zu below min: %.17g < %.17g", i, x, u->min);
		check(x <= u->max + EPS, "unit %zu above max: %.17g > %.17g", i, x, u->max);
		s.assigned += x;
		s.min += u->min;
		s.max += u->max;
	}
	return s;
}

static void check_sum(const struct brink_alloc *a, const struct model *m, struct sums s)
{
	double cap = m->cap, sum = (double)s.assigned;
	double target = (double)s.max < cap ? (double)s.max : cap;
	if ((double)s.min > target)
		target = (double)s.min; /* minimums fill the capacity up to rounding */
	check(sum <= cap + tol_of(cap), "over capacity: %.17g > %.17g", sum, cap);
	check(fabs(sum - target) <= tol_of(target), "sum %.17g, expected %.17g", sum, target);
	assert_near(brink_alloc_sum_assigned(a), sum, tol_of(sum));
}

/* Max-min fairness: one lambda for the free units, units at max have
 * max <= lambda, units at min have min >= lambda. */
static void check_fair(const struct brink_alloc *a, const struct model *m)
{
	double lambda = NAN, top_max = -INFINITY, low_min = INFINITY;
	for (size_t i = 0; i < m->n; i++) {
		const struct mu *u = &m->u[i];
		if (!u->live)
			continue;
		double x = brink_alloc_assigned(a, u->id);
		bool at_min = x <= u->min + EPS, at_max = x >= u->max - EPS;
		if (at_max && !at_min && u->max > top_max)
			top_max = u->max;
		if (at_min && !at_max && u->min < low_min)
			low_min = u->min;
		if (at_min || at_max)
			continue;
		if (isnan(lambda))
			lambda = x;
		check(fabs(x - lambda) <= EPS, "unfair: free units at %.17g and %.17g", x, lambda);
	}
	if (isnan(lambda)) {
		check(top_max <= low_min + EPS, "unfair: a unit at max %.17g above one at min %.17g",
		      top_max, low_min);
		return;
	}
	check(top_max <= lambda + EPS, "unit at max %.17g above lambda %.17g", top_max, lambda);
	check(low_min >= lambda - EPS, "unit at min %.17g below lambda %.17g", low_min, lambda);
}

/* The change list is exactly the live units whose value moved by more than
 * EPS since last reported (new ones always), each once, with its value. */
static void check_changes(const struct brink_alloc *a, struct model *m,
			  const struct brink_alloc_change *ch, size_t nch)
{
	check((nch == 0) == (ch == NULL), "changes pointer %p with %zu changes", (void *)ch, nch);
	for (size_t i = 0; i < m->n; i++)
		m->u[i].seen = false;
	for (size_t c = 0; c < nch; c++) {
		size_t i = model_find(m, ch[c].id);
		check(i < m->n && m->u[i].live, "change for unknown id %llx", (unsigned long long)ch[c].id);
		struct mu *u = &m->u[i];
		check(!u->seen, "unit %zu reported twice", i);
		u->seen = true;
		check(ch[c].assigned == brink_alloc_assigned(a, u->id), "change value differs for %zu", i);
		check(!u->has_last || fabs(ch[c].assigned - u->last) > EPS,
		      "unit %zu reported without change (%.17g, was %.17g)", i, ch[c].assigned, u->last);
	}
	for (size_t i = 0; i < m->n; i++) {
		struct mu *u = &m->u[i];
		if (!u->live || u->seen)
			continue;
		double x = brink_alloc_assigned(a, u->id);
		check(u->has_last, "new unit %zu not reported", i);
		check(fabs(x - u->last) <= EPS, "unit %zu moved %.17g -> %.17g unreported", i, u->last, x);
	}
	for (size_t c = 0; c < nch; c++) {
		struct mu *u = &m->u[model_find(m, ch[c].id)];
		u->last = ch[c].assigned;
		u->has_last = true;
	}
}

static void check_state(const struct brink_alloc *a, const struct model *m)
{
	assert_int_equal(brink_alloc_count(a), model_count(m));
	assert_near(brink_alloc_capacity(a), m->cap, 0);
	double sm = model_sum_min(m);
	assert_near(brink_alloc_sum_min(a), sm, tol_of(sm));
}

/* Recomputes and checks everything; returns the number of changes. */
static size_t recompute_check(struct brink_alloc *a, struct model *m)
{
	const struct brink_alloc_change *ch = (const void *)1;
	size_t nch = brink_alloc_recompute(a, &ch);
	check_state(a, m);
	check_sum(a, m, check_bounds(a, m));
	check_fair(a, m);
	check_changes(a, m, ch, nch);
	return nch;
}

static void model_admit(struct brink_alloc *a, struct model *m, size_t i, double min, double max)
{
	assert_int_equal(brink_alloc_admit(a, m->u[i].id, min, max), BRINK_ALLOC_OK);
	m->u[i] = (struct mu){ .id = m->u[i].id, .min = min, .max = max, .live = true };
}

/* ---- functions one by one ---- */

static void test_new_free(void **state)
{
	(void)state;
	assert_null(brink_alloc_new(0));
	assert_null(brink_alloc_new(-1));
	assert_null(brink_alloc_new(NAN));
	assert_null(brink_alloc_new(INFINITY));
	brink_alloc_free(NULL);
	struct brink_alloc *a = brink_alloc_new(3.5);
	assert_non_null(a);
	assert_near(brink_alloc_capacity(a), 3.5, 0);
	assert_int_equal(brink_alloc_count(a), 0);
	assert_near(brink_alloc_sum_min(a), 0, 0);
	assert_near(brink_alloc_sum_assigned(a), 0, 0);
	const struct brink_alloc_change *ch = (const void *)1;
	assert_int_equal(brink_alloc_recompute(a, &ch), 0);
	assert_null(ch);
	assert_near(brink_alloc_assigned(a, 42), -1, 0);
	brink_alloc_free(a);
}

static void test_admit_and_assigned(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(4);
	assert_int_equal(brink_alloc_admit(a, 1, 1, 3), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_admit(a, 1, 1, 3), BRINK_ALLOC_EEXIST);
	assert_int_equal(brink_alloc_admit(a, 2, 0, 1), BRINK_ALLOC_OK);
	assert_near(brink_alloc_assigned(a, 1), 0, 0); /* 0 until recompute */
	assert_int_equal(brink_alloc_count(a), 2);
	assert_near(brink_alloc_sum_min(a), 1, 0);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 1), 3, 0);
	assert_near(brink_alloc_assigned(a, 2), 1, 0);
	assert_near(brink_alloc_sum_assigned(a), 4, 0);
	assert_int_equal(brink_alloc_recompute(a, &ch), 0);
	assert_null(ch);
	assert_int_equal(brink_alloc_admit(a, 3, 0, 2), BRINK_ALLOC_OK);
	/* 2 stays at its max 1; 1 and 3 share the rest: lambda = 1.5 */
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 1), 1.5, 0);
	assert_near(brink_alloc_assigned(a, 2), 1, 0);
	assert_near(brink_alloc_assigned(a, 3), 1.5, 0);
	brink_alloc_free(a);
}

static void test_remove(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(2);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_remove(a, 7), BRINK_ALLOC_ENOENT);
	assert_int_equal(brink_alloc_admit(a, 7, 0.5, 2), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_admit(a, 8, 0.5, 2), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 8), 1, 0);
	assert_int_equal(brink_alloc_remove(a, 7), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_remove(a, 7), BRINK_ALLOC_ENOENT);
	assert_near(brink_alloc_assigned(a, 7), -1, 0);
	assert_int_equal(brink_alloc_recompute(a, &ch), 1);
	assert_true(ch[0].id == 8);
	assert_near(ch[0].assigned, 2, 0);
	brink_alloc_free(a);
}

static void test_remove_last_unit(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(1);
	const struct brink_alloc_change *ch = (const void *)1;
	assert_int_equal(brink_alloc_admit(a, 5, 1, 1), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 1);
	assert_int_equal(brink_alloc_remove(a, 5), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 0);
	assert_null(ch);
	assert_int_equal(brink_alloc_count(a), 0);
	assert_near(brink_alloc_sum_min(a), 0, 1e-15);
	assert_near(brink_alloc_sum_assigned(a), 0, 0);
	assert_near(brink_alloc_assigned(a, 5), -1, 0);
	/* the same id comes back as a new unit and is reported again */
	assert_int_equal(brink_alloc_admit(a, 5, 1, 1), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 1);
	assert_near(ch[0].assigned, 1, 0);
	brink_alloc_free(a);
}

static void test_change(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(4);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_change(a, 1, 0, 1), BRINK_ALLOC_ENOENT);
	assert_int_equal(brink_alloc_admit(a, 1, 1, 1), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_admit(a, 2, 2, 2), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_admit(a, 3, 0, 8), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 3);
	assert_near(brink_alloc_assigned(a, 3), 1, 0);
	/* its own old min does not count: 2 -> 3 fits (1 + 3 + 0 = 4) */
	assert_int_equal(brink_alloc_change(a, 2, 3, 3), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 2), 3, 0);
	assert_near(brink_alloc_assigned(a, 3), 0, 0);
	/* a change that moves nothing reports nothing */
	assert_int_equal(brink_alloc_change(a, 3, 0, 9), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 0);
	brink_alloc_free(a);
}

static void test_set_capacity(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(4);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_admit(a, 1, 1, 4), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_admit(a, 2, 1, 4), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	double bad[] = { 0, -1, -0.0, NAN, INFINITY, -INFINITY };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(brink_alloc_set_capacity(a, bad[i]), BRINK_ALLOC_EINVAL);
	assert_int_equal(brink_alloc_set_capacity(a, 1.999), BRINK_ALLOC_ENOSPC);
	assert_near(brink_alloc_capacity(a), 4, 0);
	assert_int_equal(brink_alloc_recompute(a, &ch), 0); /* nothing moved */
	assert_int_equal(brink_alloc_set_capacity(a, 2), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 1), 1, 0);
	assert_int_equal(brink_alloc_set_capacity(a, 100), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 2);
	assert_near(brink_alloc_assigned(a, 2), 4, 0);
	brink_alloc_free(a);
}

static void test_fits(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(2);
	assert_true(brink_alloc_fits(a, 2));
	assert_false(brink_alloc_fits(a, 2.001));
	assert_false(brink_alloc_fits(a, NAN));
	assert_false(brink_alloc_fits(a, -1));
	assert_int_equal(brink_alloc_admit(a, 1, 1.5, 2), BRINK_ALLOC_OK);
	assert_true(brink_alloc_fits(a, 0.5));
	assert_true(brink_alloc_fits(a, 0));
	assert_false(brink_alloc_fits(a, 0.51));
	assert_int_equal(brink_alloc_count(a), 1); /* no change */
	brink_alloc_free(a);
}

/* ---- refusals ---- */

static void test_invalid_inputs(void **state)
{
	(void)state;
	double bad[][2] = {
		{ NAN, 1 }, { 0, NAN }, { INFINITY, INFINITY }, { 0, INFINITY }, { -INFINITY, 1 },
		{ -0.1, 1 }, { 0, -1 }, { 2, 1 }, { 0, 0 }, { 1e-12, 0 },
	};
	struct brink_alloc *a = brink_alloc_new(4);
	assert_int_equal(brink_alloc_admit(a, 1, 1, 2), BRINK_ALLOC_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(brink_alloc_admit(a, 2, bad[i][0], bad[i][1]), BRINK_ALLOC_EINVAL);
		assert_int_equal(brink_alloc_change(a, 1, bad[i][0], bad[i][1]), BRINK_ALLOC_EINVAL);
	}
	assert_int_equal(brink_alloc_count(a), 1);
	assert_near(brink_alloc_sum_min(a), 1, 0);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_recompute(a, &ch), 1);
	assert_near(brink_alloc_assigned(a, 1), 2, 0); /* the old bounds hold */
	/* -0 is zero, not negative */
	assert_int_equal(brink_alloc_admit(a, 3, -0.0, 1), BRINK_ALLOC_OK);
	assert_int_equal(brink_alloc_recompute(a, &ch), 1); /* only the new one */
	assert_near(brink_alloc_assigned(a, 3), 1, 0);
	assert_near(brink_alloc_assigned(a, 1), 2, 0);
	brink_alloc_free(a);
}

static void test_refusal_leaves_state(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 4, 3);
	struct brink_alloc *a = brink_alloc_new(3);
	model_admit(a, &m, 0, 1, 2);
	model_admit(a, &m, 1, 1.5, 1.5);
	recompute_check(a, &m);
	double before0 = brink_alloc_assigned(a, m.u[0].id);
	assert_int_equal(brink_alloc_admit(a, m.u[2].id, 0.6, 1), BRINK_ALLOC_ENOSPC);
	assert_int_equal(brink_alloc_change(a, m.u[0].id, 1.6, 2), BRINK_ALLOC_ENOSPC);
	assert_int_equal(brink_alloc_admit(a, m.u[0].id, 0.1, 1), BRINK_ALLOC_EEXIST);
	assert_int_equal(brink_alloc_set_capacity(a, 2.4), BRINK_ALLOC_ENOSPC);
	assert_false(brink_alloc_fits(a, 0.51));
	assert_near(brink_alloc_assigned(a, m.u[2].id), -1, 0);
	assert_near(brink_alloc_assigned(a, m.u[0].id), before0, 0);
	assert_int_equal(recompute_check(a, &m), 0);
	model_admit(a, &m, 2, 0.5, 1); /* exactly the room left */
	recompute_check(a, &m);
	/* a billionth of a core too much is still too much */
	assert_int_equal(brink_alloc_admit(a, m.u[3].id, 1e-9, 1), BRINK_ALLOC_ENOSPC);
	assert_int_equal(brink_alloc_change(a, m.u[2].id, 0.5 + 1e-9, 1), BRINK_ALLOC_ENOSPC);
	assert_int_equal(brink_alloc_set_capacity(a, 3 - 1e-9), BRINK_ALLOC_ENOSPC);
	assert_false(brink_alloc_fits(a, 1e-9));
	assert_int_equal(recompute_check(a, &m), 0);
	free(m.u);
	brink_alloc_free(a);
}

/* ---- the cases that broke ECM ---- */

static void test_tiny_remainder(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 3, 1.0);
	struct brink_alloc *a = brink_alloc_new(1.0);
	for (size_t i = 0; i < 3; i++)
		model_admit(a, &m, i, 0.333333333, 1);
	assert_int_equal(recompute_check(a, &m), 3);
	for (size_t i = 0; i < 3; i++)
		assert_near(brink_alloc_assigned(a, m.u[i].id), 1.0 / 3, 1e-15);
	assert_true(brink_alloc_sum_assigned(a) <= 1.0);
	free(m.u);
	brink_alloc_free(a);
}

/* 100 units, 0.0099 core each, 0.01 spare in all: 1e-4 per unit. */
static void test_remainder_below_001n(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 100, 1.0);
	struct brink_alloc *a = brink_alloc_new(1.0);
	for (size_t i = 0; i < 100; i++)
		model_admit(a, &m, i, 0.0099, 0.5);
	recompute_check(a, &m);
	for (size_t i = 0; i < 100; i++)
		assert_near(brink_alloc_assigned(a, m.u[i].id), 0.01, 1e-15);
	/* one unit capped just above its min: the others share its rest */
	assert_int_equal(brink_alloc_change(a, m.u[0].id, 0.0099, 0.00995), BRINK_ALLOC_OK);
	m.u[0].max = 0.00995;
	assert_int_equal(recompute_check(a, &m), 100);
	assert_near(brink_alloc_assigned(a, m.u[1].id), (1.0 - 0.00995) / 99, 1e-15);
	free(m.u);
	brink_alloc_free(a);
}

static void test_capacity_filled_by_minimums(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 12, 1.0);
	struct brink_alloc *a = brink_alloc_new(1.0);
	for (size_t i = 0; i < 10; i++)
		model_admit(a, &m, i, 0.1, 1);
	assert_false(brink_alloc_fits(a, 1e-6));
	assert_int_equal(brink_alloc_admit(a, m.u[10].id, 1e-6, 1), BRINK_ALLOC_ENOSPC);
	model_admit(a, &m, 10, 0, 1); /* min 0 always fits */
	recompute_check(a, &m);
	for (size_t i = 0; i < 10; i++)
		assert_near(brink_alloc_assigned(a, m.u[i].id), 0.1, 1e-15);
	assert_near(brink_alloc_assigned(a, m.u[10].id), 0, 1e-15);
	free(m.u);
	brink_alloc_free(a);

	/* 0.1 + 0.2 rounds above 0.3: still exactly full, not refused */
	model_init(&m, 2, 0.3);
	a = brink_alloc_new(0.3);
	model_admit(a, &m, 0, 0.1, 1);
	model_admit(a, &m, 1, 0.2, 1);
	recompute_check(a, &m);
	free(m.u);
	brink_alloc_free(a);
}

static void test_fixed_units(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 4, 4);
	struct brink_alloc *a = brink_alloc_new(4);
	model_admit(a, &m, 0, 1.25, 1.25);
	model_admit(a, &m, 1, 0.5, 0.5);
	model_admit(a, &m, 2, 0, 4);
	model_admit(a, &m, 3, 0.1, 4);
	recompute_check(a, &m);
	assert_near(brink_alloc_assigned(a, m.u[0].id), 1.25, 0);
	assert_near(brink_alloc_assigned(a, m.u[1].id), 0.5, 0);
	assert_near(brink_alloc_assigned(a, m.u[2].id), 1.125, 1e-15);
	/* fixed units stay fixed when capacity shrinks to the minimums */
	assert_int_equal(brink_alloc_set_capacity(a, 1.85), BRINK_ALLOC_OK);
	m.cap = 1.85;
	recompute_check(a, &m);
	assert_near(brink_alloc_assigned(a, m.u[0].id), 1.25, 0);
	assert_near(brink_alloc_assigned(a, m.u[2].id), 0, 1e-15);
	free(m.u);
	brink_alloc_free(a);
}

static void test_changing_bounds(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 5, 6);
	struct brink_alloc *a = brink_alloc_new(6);
	for (size_t i = 0; i < 5; i++)
		model_admit(a, &m, i, 0.2 * (double)i, 1 + (double)i);
	recompute_check(a, &m);
	double steps[][2] = { { 0, 0.1 }, { 3, 3 }, { 0.5, 5 }, { 0, 1e-9 }, { 1, 1 } };
	for (size_t s = 0; s < 5; s++) {
		size_t i = s % 5;
		assert_int_equal(brink_alloc_change(a, m.u[i].id, steps[s][0], steps[s][1]), BRINK_ALLOC_OK);
		m.u[i].min = steps[s][0];
		m.u[i].max = steps[s][1];
		recompute_check(a, &m);
	}
	free(m.u);
	brink_alloc_free(a);
}

static void test_many_services(void **state)
{
	(void)state;
	enum { N = 10000 };
	struct model m;
	model_init(&m, N, 40);
	struct brink_alloc *a = brink_alloc_new(40);
	for (size_t i = 0; i < N; i++) {
		double min = (double)(i % 7) * 0.0005;
		model_admit(a, &m, i, min, min + (double)(i % 13) * 0.002 + 0.0001);
	}
	assert_int_equal(recompute_check(a, &m), N);
	assert_int_equal(recompute_check(a, &m), 0);
	assert_int_equal(brink_alloc_change(a, m.u[17].id, 0.5, 0.5), BRINK_ALLOC_OK);
	m.u[17].min = m.u[17].max = 0.5;
	recompute_check(a, &m);
	for (size_t i = 0; i < N; i += 2) {
		assert_int_equal(brink_alloc_remove(a, m.u[i].id), BRINK_ALLOC_OK);
		m.u[i].live = false;
	}
	recompute_check(a, &m);
	assert_int_equal(brink_alloc_set_capacity(a, 200), BRINK_ALLOC_OK);
	m.cap = 200;
	recompute_check(a, &m);
	for (size_t i = 1; i < N; i += 2)
		assert_near(brink_alloc_assigned(a, m.u[i].id), m.u[i].max, 0); /* all fit now */
	free(m.u);
	brink_alloc_free(a);
}

/* Minima a billionth apart, in shuffled order, with lambda among them: the
 * order must be exact to the last bits. Run once sorted afresh (all admitted
 * at once) and once kept up operation by operation. */
static void close_bounds_run(bool one_by_one)
{
	enum { N = 1000 };
	struct model m;
	model_init(&m, N, 1);
	long double sum = 0;
	for (size_t i = 0; i < N; i++)
		sum += 1 + (double)((i * 7919) % N) * 1e-9;
	m.cap = (double)sum + 2e-7;
	struct brink_alloc *a = brink_alloc_new(m.cap);
	for (size_t i = 0; i < N; i++) {
		model_admit(a, &m, i, 1 + (double)((i * 7919) % N) * 1e-9, 2);
		if (one_by_one)
			recompute_check(a, &m);
	}
	recompute_check(a, &m);
	for (size_t i = 0; i < N; i += 37) {
		double min = m.u[i].min - 5e-10 * (double)(i % 3);
		assert_int_equal(brink_alloc_change(a, m.u[i].id, min, 2), BRINK_ALLOC_OK);
		m.u[i].min = min;
		recompute_check(a, &m);
	}
	free(m.u);
	brink_alloc_free(a);
}

static void test_close_bounds(void **state)
{
	(void)state;
	close_bounds_run(false);
	close_bounds_run(true);
}

/* Maxima whose sum overflows a double still share the capacity. */
static void test_huge_bounds(void **state)
{
	(void)state;
	struct model m;
	model_init(&m, 3, 4);
	struct brink_alloc *a = brink_alloc_new(4);
	model_admit(a, &m, 0, 0, 1e308);
	model_admit(a, &m, 1, 1, 1e308);
	model_admit(a, &m, 2, 0, 0.5);
	recompute_check(a, &m);
	assert_near(brink_alloc_assigned(a, m.u[0].id), 1.75, 0);
	assert_int_equal(brink_alloc_remove(a, m.u[0].id), BRINK_ALLOC_OK);
	m.u[0].live = false;
	recompute_check(a, &m);
	assert_near(brink_alloc_assigned(a, m.u[1].id), 3.5, 0);
	assert_int_equal(brink_alloc_change(a, m.u[1].id, 1, 2), BRINK_ALLOC_OK);
	m.u[1].max = 2;
	recompute_check(a, &m); /* sum(max) is finite again: all at max */
	assert_near(brink_alloc_assigned(a, m.u[1].id), 2, 0);
	free(m.u);
	brink_alloc_free(a);
}

/* 10,000 units min 0 max 1 on 100 cores: exactly 0.01 each. */
static void test_many_equal(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(100);
	for (uint64_t id = 0; id < 10000; id++)
		assert_int_equal(brink_alloc_admit(a, id * 4096, 0, 1), BRINK_ALLOC_OK);
	const struct brink_alloc_change *ch;
	assert_int_equal(brink_alloc_recompute(a, &ch), 10000);
	for (uint64_t id = 0; id < 10000; id++)
		assert_near(brink_alloc_assigned(a, id * 4096), 0.01, 1e-15);
	assert_true(brink_alloc_sum_assigned(a) <= 100);
	assert_near(brink_alloc_sum_assigned(a), 100, 1e-9);
	brink_alloc_free(a);
}

static void test_lookup_after_churn(void **state)
{
	(void)state;
	struct brink_alloc *a = brink_alloc_new(1e8);
	for (uint64_t i = 0; i < 5000; i++)
		assert_int_equal(brink_alloc_admit(a, i << 40, 1, (double)(i + 1)), BRINK_ALLOC_OK);
	for (uint64_t i = 0; i < 5000; i += 3)
		assert_int_equal(brink_alloc_remove(a, i << 40), BRINK_ALLOC_OK);
	const struct brink_alloc_change *ch;
	brink_alloc_recompute(a, &ch);
	for (uint64_t i = 0; i < 5000; i++) {
		double want = i % 3 == 0 ? -1 : (double)(i + 1);
		assert_near(brink_alloc_assigned(a, i << 40), want, 0);
	}
	assert_near(brink_alloc_assigned(a, 1), -1, 0);
	brink_alloc_free(a);
}

/* ---- property tests: random operation sequences ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static double unif(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * (double)(rnd(r) >> 11) / 9007199254740992.0;
}

static double rnd_min(struct rng *r)
{
	unsigned k = rnd(r) % 10;
	if (k < 2)
		return 0;
	if (k == 2)
		return unif(r, 1e-9, 1e-6);
	if (k == 3)
		return 0.333333333;
	return unif(r, 0, 2);
}

static void rnd_bounds(struct rng *r, double *min, double *max)
{
	unsigned k = rnd(r) % 40;
	*min = rnd_min(r);
	if (k < 6)
		*max = *min;
	else if (k < 9)
		*max = *min + unif(r, 1e-10, 1e-8);
	else
		*max = *min + unif(r, 0, 4);
	if (k == 39) { /* invalid now and then */
		double bad[] = { NAN, INFINITY, -1, -1e-12 };
		if (rnd(r) % 2)
			*min = bad[rnd(r) % 4];
		else
			*max = bad[rnd(r) % 4];
	}
}

static bool bounds_valid(double min, double max)
{
	return isfinite(min) && isfinite(max) && min >= 0 && max > 0 && min <= max;
}

/* Checks a capacity verdict; near the boundary either answer is right. */
static bool fit_verdict(enum brink_alloc_status st, double need, double cap)
{
	if (need > cap * (1 + EPS))
		assert_int_equal(st, BRINK_ALLOC_ENOSPC);
	else if (need < cap * (1 - EPS))
		assert_int_equal(st, BRINK_ALLOC_OK);
	else
		check(st == BRINK_ALLOC_OK || st == BRINK_ALLOC_ENOSPC, "status %d", st);
	return st == BRINK_ALLOC_OK;
}

static void op_admit(struct brink_alloc *a, struct model *m, struct rng *r, size_t i)
{
	double min, max;
	rnd_bounds(r, &min, &max);
	int fits = brink_alloc_fits(a, min);
	enum brink_alloc_status st = brink_alloc_admit(a, m->u[i].id, min, max);
	if (!bounds_valid(min, max)) {
		assert_int_equal(st, BRINK_ALLOC_EINVAL);
		return;
	}
	if (m->u[i].live) {
		assert_int_equal(st, BRINK_ALLOC_EEXIST);
		return;
	}
	assert_int_equal(fits, st == BRINK_ALLOC_OK); /* fits() foretold it */
	if (fit_verdict(st, model_sum_min(m) + min, m->cap))
		m->u[i] = (struct mu){ .id = m->u[i].id, .min = min, .max = max, .live = true };
}

static void op_change(struct brink_alloc *a, struct model *m, struct rng *r, size_t i)
{
	double min, max;
	rnd_bounds(r, &min, &max);
	enum brink_alloc_status st = brink_alloc_change(a, m->u[i].id, min, max);
	if (!bounds_valid(min, max))
		assert_int_equal(st, BRINK_ALLOC_EINVAL);
	else if (!m->u[i].live)
		assert_int_equal(st, BRINK_ALLOC_ENOENT);
	else if (fit_verdict(st, model_sum_min(m) - m->u[i].min + min, m->cap)) {
		m->u[i].min = min;
		m->u[i].max = max;
	}
}

static void op_remove(struct brink_alloc *a, struct model *m, size_t i)
{
	enum brink_alloc_status st = brink_alloc_remove(a, m->u[i].id);
	assert_int_equal(st, m->u[i].live ? BRINK_ALLOC_OK : BRINK_ALLOC_ENOENT);
	m->u[i].live = false;
}

static void op_capacity(struct brink_alloc *a, struct model *m, struct rng *r)
{
	double cap = rnd(r) % 20 == 0 ? -1 : unif(r, 0.5, (double)m->n / 2);
	enum brink_alloc_status st = brink_alloc_set_capacity(a, cap);
	if (cap <= 0)
		assert_int_equal(st, BRINK_ALLOC_EINVAL);
	else if (fit_verdict(st, model_sum_min(m), cap))
		m->cap = cap;
}

/* `ops` random operations on ids from a pool, recomputing after one in
 * `every` on average (rarely: the allocator re-sorts instead of keeping its
 * order on every operation). */
static void random_run(uint64_t seed, size_t pool, size_t ops, unsigned every)
{
	struct rng r = { seed * 0x9e3779b97f4a7c15ULL + 1 };
	struct model m;
	model_init(&m, pool, unif(&r, 1, (double)pool / 2));
	struct brink_alloc *a = brink_alloc_new(m.cap);
	for (size_t op = 0; op < ops; op++) {
		unsigned k = rnd(&r) % 100;
		size_t i = rnd(&r) % pool;
		if (k < 40)
			op_admit(a, &m, &r, i);
		else if (k < 60)
			op_remove(a, &m, i);
		else if (k < 90)
			op_change(a, &m, &r, i);
		else
			op_capacity(a, &m, &r);
		check_state(a, &m);
		if (rnd(&r) % every == 0)
			recompute_check(a, &m);
	}
	recompute_check(a, &m);
	free(m.u);
	brink_alloc_free(a);
}

static void test_random_small(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 12; seed++)
		random_run(seed, 24, 1500, 2);
}

static void test_random_bursts(void **state)
{
	(void)state;
	for (uint64_t seed = 20; seed <= 27; seed++)
		random_run(seed, 40, 3000, 150);
}

static void test_random_large(void **state)
{
	(void)state;
	for (uint64_t seed = 100; seed <= 103; seed++)
		random_run(seed, 600, 2000, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),
		cmocka_unit_test(test_admit_and_assigned),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_last_unit),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_set_capacity),
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_invalid_inputs),
		cmocka_unit_test(test_refusal_leaves_state),
		cmocka_unit_test(test_tiny_remainder),
		cmocka_unit_test(test_remainder_below_001n),
		cmocka_unit_test(test_capacity_filled_by_minimums),
		cmocka_unit_test(test_fixed_units),
		cmocka_unit_test(test_changing_bounds),
		cmocka_unit_test(test_many_services),
		cmocka_unit_test(test_many_equal),
		cmocka_unit_test(test_huge_bounds),
		cmocka_unit_test(test_close_bounds),
		cmocka_unit_test(test_lookup_after_churn),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_bursts),
		cmocka_unit_test(test_random_large),
	};
	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
