/*
 * The delay distributions (harness/fault/dist.c) and their SPEC fields:
 * the shape of many draws (mean, spread, bounds, skew) from a fixed
 * sequence of uniform numbers, correlation as netem defines it, and the
 * parser's distribution=, correlation=, probability=N% and the datagram
 * actions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <faultrun/rule.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dist.h"

#define DRAWS 200000
#define MS 1000000ull

/* a fixed stream of uniform 32-bit numbers (splitmix64) */
static uint32_t next_u(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((x ^ (x >> 31)) >> 32);
}

struct stats {
	double mean, sd, min, max, below_mean, within_sd;
};

static struct stats draw_stats(uint64_t amount, uint64_t jitter, uint32_t dist, uint32_t corr)
{
	static double xs[DRAWS];
	struct stats st = { 0, 0, 1e300, 0, 0, 0 };
	uint64_t seed = 42;
	uint32_t last = 0;

	for (int i = 0; i < DRAWS; i++) {
		uint32_t u = fr_dist_correlate(next_u(&seed), last, corr);

		last = u;
		xs[i] = (double)fr_dist_delay(amount, jitter, dist, u);
		st.mean += xs[i] / DRAWS;
		st.min = xs[i] < st.min ? xs[i] : st.min;
		st.max = xs[i] > st.max ? xs[i] : st.max;
	}
	for (int i = 0; i < DRAWS; i++) {
		st.sd += (xs[i] - st.mean) * (xs[i] - st.mean) / DRAWS;
		st.below_mean += xs[i] < st.mean ? 1.0 / DRAWS : 0;
		st.within_sd += fabs(xs[i] - (double)amount) <= (double)jitter ? 1.0 / DRAWS : 0;
	}
	st.sd = sqrt(st.sd);
	return st;
}

static void test_uniform(void **state)
{
	struct stats st = draw_stats(100 * MS, 20 * MS, FR_DIST_UNIFORM, 0);

	(void)state;
	assert_true(st.min >= 80 * MS && st.max <= 120 * MS);
	assert_true(fabs(st.mean - 100 * MS) < 0.2 * MS);
	/* uniform over +-j: sd = j / sqrt(3) */
	assert_true(fabs(st.sd - 20 * MS / sqrt(3)) < 0.2 * MS);
}

static void test_normal(void **state)
{
	struct stats st = draw_stats(100 * MS, 20 * MS, FR_DIST_NORMAL, 0);

	(void)state;
	assert_true(fabs(st.mean - 100 * MS) < 0.3 * MS);
	assert_true(fabs(st.sd - 20 * MS) < 0.4 * MS);
	/* 68% within one standard deviation, nothing beyond 8 */
	assert_true(st.within_sd > 0.66 && st.within_sd < 0.70);
	assert_true(st.max - 100.0 * MS <= 8.0 * 20 * MS && 100.0 * MS - st.min <= 8.0 * 20 * MS);
	assert_true(st.max <= fr_dist_delay_max(100 * MS, 20 * MS, FR_DIST_NORMAL));
}

static void test_pareto(void **state)
{
	struct stats st = draw_stats(100 * MS, 20 * MS, FR_DIST_PARETO, 0);
	struct stats pn = draw_stats(100 * MS, 20 * MS, FR_DIST_PARETONORMAL, 0);

	(void)state;
	assert_true(fabs(st.mean - 100 * MS) < 0.5 * MS);
	assert_true(fabs(st.sd - 20 * MS) < 0.8 * MS);
	/* a long right tail: most draws below the mean, a few far above */
	assert_true(st.below_mean > 0.6);
	assert_true(st.max > 100 * MS + 4 * 20 * MS);
	assert_true(st.min > 100 * MS - 2 * 20 * MS);
	assert_true(st.max <= fr_dist_delay_max(100 * MS, 20 * MS, FR_DIST_PARETO));
	assert_true(fabs(pn.mean - 100 * MS) < 0.5 * MS);
	assert_true(fabs(pn.sd - 20 * MS) < 0.8 * MS);
	assert_true(pn.below_mean > 0.55 && pn.below_mean < st.below_mean);
}

static void test_never_negative(void **state)
{
	(void)state;
	for (uint32_t d = 0; d < FR_DIST_COUNT; d++) {
		struct stats st = draw_stats(5 * MS, 20 * MS, d, 0);

		assert_true(st.min >= 0);
	}
	assert_int_equal(fr_dist_delay(UINT64_MAX - 5, 1000, FR_DIST_NORMAL, 0xffffffffu),
			 UINT64_MAX);
	assert_int_equal(fr_dist_delay(7, 0, FR_DIST_PARETO, 123), 7);
}

/* lag-1 correlation of the correlated uniform numbers */
static double lag1(uint32_t corr)
{
	uint64_t seed = 9;
	uint32_t last = 0, prev;
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;

	prev = last = fr_dist_correlate(next_u(&seed), 0, corr);
	for (int i = 0; i < DRAWS; i++) {
		uint32_t u = fr_dist_correlate(next_u(&seed), last, corr);
		double x = prev, y = u;

		last = u;
		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
		prev = u;
	}
	return (sxy / DRAWS - sx / DRAWS * sy / DRAWS) /
	       sqrt((sxx / DRAWS - sx * sx / DRAWS / DRAWS) *
		    (syy / DRAWS - sy * sy / DRAWS / DRAWS));
}

static void test_correlation(void **state)
{
	(void)state;
	assert_true(fabs(lag1(0)) < 0.02);
	/* netem's recurrence: the weight on the previous value is its lag-1 correlation */
	assert_true(fabs(lag1(250000) - 0.25) < 0.02);
	assert_true(fabs(lag1(750000) - 0.75) < 0.02);
	assert_int_equal(fr_dist_correlate(5, 77, 1000000), 77);
	assert_int_equal(fr_dist_correlate(5, 77, 0), 5);
	/* correlated draws keep the mean */
	struct stats st = draw_stats(100 * MS, 20 * MS, FR_DIST_NORMAL, 250000);
	assert_true(fabs(st.mean - 100 * MS) < 0.5 * MS);
}

static void parse_ok(const char *spec, const char *want)
{
	struct fr_rule r;
	char err[256] = "", line[600];

	assert_int_equal(fr_spec_parse(spec, &r, 0, err, sizeof(err)), 0);
	fr_rule_format(&r, line, sizeof(line));
	if (!strstr(line, want))
		fail_msg("'%s' formats as '%s', expected '%s' in it", spec, line, want);
}

static void parse_bad(const char *spec, const char *msg)
{
	struct fr_rule r;
	char err[256] = "";

	assert_int_not_equal(fr_spec_parse(spec, &r, 0, err, sizeof(err)), 0);
	if (!strstr(err, msg))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, msg);
}

static void test_spec(void **state)
{
	(void)state;
	parse_ok("send delay=100ms jitter=20ms distribution=pareto", " distribution=pareto");
	parse_ok("recv delay=100ms jitter=20ms correlation=25%", " correlation=25%");
	parse_ok("recv delay=100ms jitter=20ms correlation=12.5%", " correlation=12.5%");
	parse_ok("recv delay=1s jitter=1ms distribution=normal correlation=0.3",
		 " distribution=normal correlation=30%");
	parse_ok("send drop probability=10%", "send drop probability=0.1");
	parse_ok("send duplicate", "send duplicate");
	parse_ok("recv reorder", "recv reorder");
	parse_ok("recv drop after=3", "recv drop after=3");
	parse_ok("action=drop recv", "recv drop");
	parse_bad("send delay=100ms distribution=normal", "give delay= and jitter=");
	parse_bad("send delay=100ms jitter=1ms distribution=gauss", "expected uniform, normal");
	parse_bad("send delay=100ms jitter=1ms correlation=120%", "from 0% to 100%");
	parse_bad("send drop probability=150%", "percentage");
	parse_bad("send drop errno=EIO", "two actions");
	parse_bad("recv duplicate", "duplicate");
	parse_bad("send reorder", "reorder");
	parse_bad("send drop=5", "takes no value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform),	    cmocka_unit_test(test_normal),
		cmocka_unit_test(test_pareto),	    cmocka_unit_test(test_never_negative),
		cmocka_unit_test(test_correlation), cmocka_unit_test(test_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
