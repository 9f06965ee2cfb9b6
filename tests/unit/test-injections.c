/*
 * The injections of a run in bounded memory (record/injections.h): groups
 * stop at their limit and the rest is counted, the sample stays bounded,
 * and a fault's rate sums to its counter through merges, spreads and
 * injections taken back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "record/injections.h"

#include <stdio.h>
#include <string.h>

static struct fr_inj_event event(int fault, int pid, const char *where, int64_t t)
{
	struct fr_inj_event e;

	memset(&e, 0, sizeof(e));
	e.t = t;
	e.fault = fault;
	e.pid = pid;
	e.op = 1;
	e.action = 1;
	e.err = 5;
	snprintf(e.where, sizeof(e.where), "%s", where);
	return e;
}

static uint64_t sum(const struct fr_rate *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < FR_RATE_BUCKETS; i++)
		n += r->n[i];
	return n;
}

/* a million events of one kind: one group, a bounded sample, the counts exact */
static void test_one_group(void **state)
{
	struct fr_inj_log l;
	(void)state;

	fr_inj_log_init(&l, 2);
	for (int64_t i = 0; i < 1000000; i++) {
		struct fr_inj_event e = event(1, 42, "/logs/app.log", i);

		fr_inj_log_add(&l, &e);
	}
	assert_int_equal(l.ngroups, 1);
	assert_int_equal(l.groups[0].count, 1000000);
	assert_int_equal(l.groups[0].key.t, 0);
	assert_int_equal(l.groups[0].last, 999999);
	assert_int_equal(l.nsample, FR_INJ_SAMPLE_FIRST);
	assert_int_equal(fr_inj_log_read(&l, 1), 1000000);
	assert_int_equal(fr_inj_log_read(&l, 0), 0);
	assert_int_equal(fr_inj_log_folded(&l, 1), 0);
	assert_int_equal(fr_inj_log_dropped(&l), 1000000 - FR_INJ_SAMPLE_FIRST);
	fr_inj_log_finish(&l);
}

/* more places than groups: the table stops, the rest is folded, nothing is lost */
static void test_groups_fold(void **state)
{
	struct fr_inj_log l;
	char where[32];
	uint64_t grouped = 0;
	(void)state;

	fr_inj_log_init(&l, 1);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 2 * FR_INJ_GROUPS; i++) {
			snprintf(where, sizeof(where), "/logs/f%d", i);
			struct fr_inj_event e = event(i % 3 ? 0 : -1, 7, where, round);

			fr_inj_log_add(&l, &e);
		}
	assert_int_equal(l.ngroups, FR_INJ_GROUPS);
	for (size_t g = 0; g < l.ngroups; g++) {
		assert_int_equal(l.groups[g].count, 3);
		grouped += l.groups[g].count;
	}
	assert_int_equal(grouped + l.nfolded, 3 * 2 * FR_INJ_GROUPS);
	assert_int_equal(fr_inj_log_folded(&l, 0) + fr_inj_log_folded(&l, -1), l.nfolded);
	assert_int_equal(fr_inj_log_read(&l, 0) + fr_inj_log_read(&l, -1), 3 * 2 * FR_INJ_GROUPS);
	assert_true(l.nsample <= FR_INJ_SAMPLE_FIRST + FR_INJ_GROUPS * FR_INJ_SAMPLE_PER_GROUP);
	fr_inj_log_finish(&l);
}

/* an hour of polls every 100 ms: at most FR_RATE_BUCKETS, summing to the counter */
static void test_rate_merges(void **state)
{
	struct fr_rate r;
	uint64_t counter = 0;
	(void)state;

	fr_rate_init(&r);
	for (int64_t t = 100000000; t <= 3600000000000ll; t += 100000000) {
		counter += 1000;
		fr_rate_update(&r, t, counter);
	}
	assert_int_equal(sum(&r), counter);
	assert_true(r.width * FR_RATE_BUCKETS > 3600000000000ll);
	assert_true(fr_rate_len(&r, 3600000000000ll) <= FR_RATE_BUCKETS);
	/* a steady rate: every full bucket holds the same */
	assert_int_equal(r.n[0], r.n[FR_RATE_BUCKETS / 3]);
}

/* one poll over 10 buckets: spread evenly; taken back from the latest */
static void test_rate_spread_and_back(void **state)
{
	struct fr_rate r;
	(void)state;

	fr_rate_init(&r);
	fr_rate_update(&r, 10 * FR_RATE_WIDTH0, 1000);
	for (int i = 0; i < 10; i++)
		assert_int_equal(r.n[i], 100);
	assert_int_equal(r.n[10], 0);
	fr_rate_update(&r, 10 * FR_RATE_WIDTH0 + 1, 850);
	assert_int_equal(sum(&r), 850);
	assert_int_equal(r.n[9], 0);
	assert_int_equal(r.n[8], 50);
	assert_int_equal(fr_rate_len(&r, 10 * FR_RATE_WIDTH0), 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_group),
		cmocka_unit_test(test_groups_fold),
		cmocka_unit_test(test_rate_merges),
		cmocka_unit_test(test_rate_spread_and_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
