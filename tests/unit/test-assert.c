/*
 * Unit tests of the assertion arithmetic: every kind of expectation
 * evaluated over hand-made series, fault windows and counters, with the
 * measured value and its text checked; and the load-balancer thresholds
 * of a series.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "record/expect.h"
#include "scenario/scenario.h"
#include "record/series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ll
#define S 1000000000ll

/*
 * One scenario holds every expectation the tests evaluate; the facts are
 * built per test. Series: home (0), slb (1, lb), load (2).
 */
static const char *yaml =
	"target: {command: x}\n"
	"faults: {f: \"write errno=EIO\", g: \"read errno=EIO\"}\n"
	"probes:\n"
	"  home: {tcp: \"a:1\"}\n"
	"  slb: {tcp: \"a:1\", lb: {healthy-threshold: 2, unhealthy-threshold: 3}}\n"
	"load: {url: \"http://x/\", rate: 10}\n"
	"timeline:\n"
	"  - {at: 2s, inject: f}\n"
	"  - {at: 4s, clear: f}\n"
	"  - {at: 6s, inject: f}\n"
	"  - {at: 7s, clear: f}\n"
	"  - {at: 1s, inject: g}\n"
	"duration: 10s\n"
	"expect:\n"
	"  - availability: {probe: home, window: during f, min: 99%}\n"      /* 0 */
	"  - latency: {probe: load, p50: 50ms, p99: 90ms, max: 100ms}\n"     /* 1 */
	"  - recovers-within: {probe: home, fault: f, within: 1s}\n"         /* 2 */
	"  - detects-within: {probe: home, fault: f, within: 500ms}\n"       /* 3 */
	"  - detects-within: {probe: home, fault: f, within: 1s, samples: 2}\n" /* 4 */
	"  - responds-within: {probe: home, window: after f, within: 100ms}\n" /* 5 */
	"  - out-of-rotation: {probe: slb, max: 1s}\n"                       /* 6 */
	"  - out-of-rotation: {probe: slb, window: during f, max: 2s}\n"     /* 7 */
	"  - restarts: {min: 1, max: 2}\n"                                   /* 8 */
	"  - exits: 0\n"                                                     /* 9 */
	"  - availability: {probe: home, window: before f, min: 100%}\n"     /* 10 */
	"  - availability: {probe: home, window: after f +500ms, min: 100%}\n" /* 11 */
	"  - availability: {probe: home, window: {from: 9s, to: 20s}, min: 0.5}\n"; /* 12 */
/* 13: fired f (implicit), 14: fired g (implicit) */

struct fixture {
	struct fr_scenario *s;
	struct fr_series series[3];
	struct fr_fault_facts faults[2];
	struct fr_fault_window fw[2], gw[1];
	struct fr_facts f;
};

static int setup_facts(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	char err[512];

	if (fr_scenario_load_string("a.yml", yaml, NULL, 0, &x->s, err, sizeof(err))) {
		print_error("%s\n", err);
		return -1;
	}
	fr_series_init(&x->series[0], "home", "tcp", "x", 250 * MS, S, NULL);
	fr_series_init(&x->series[1], "slb", "tcp", "x", 250 * MS, S,
		       &x->s->probes[1].lb);
	fr_series_init(&x->series[2], "load", "load", "x", 100 * MS, S, NULL);
	x->fw[0] = (struct fr_fault_window){ 2 * S, 4 * S, true };
	x->fw[1] = (struct fr_fault_window){ 6 * S, 7 * S, true };
	x->gw[0] = (struct fr_fault_window){ 1 * S, 10 * S, false };
	x->faults[0].win = x->fw;
	x->faults[0].nwin = 2;
	x->faults[1].win = x->gw;
	x->faults[1].nwin = 1;
	x->f.end = 10 * S;
	x->f.series = x->series;
	x->f.nseries = 3;
	x->f.faults = x->faults;
	x->f.nfaults = 2;
	*state = x;
	return 0;
}

static int teardown_facts(void **state)
{
	struct fixture *x = *state;

	for (int i = 0; i < 3; i++)
		fr_series_finish(&x->series[i]);
	fr_scenario_destroy(x->s);
	free(x);
	return 0;
}

static void add(struct fr_series *s, int64_t t, int64_t lat, bool ok,
		bool answered)
{
	struct fr_sample smp = { .t = t, .latency = (uint64_t)lat, .ok = ok,
				 .answered = answered, .timeout = !answered,
				 .status = -1 };
	fr_series_add(s, &smp, ok ? "ok" : "bad");
}

static void eval(struct fixture *x, int idx, int lat, struct fr_verdict *v)
{
	for (int i = 0; i < 3; i++)
		fr_series_sort(&x->series[i]);
	assert_int_equal(fr_assert_one(x->s, &x->s->expects[idx], lat, &x->f, v), 0);
}

/* home: a sample every 250ms over 10s; bad while [bad_from, bad_to) */
static void home_samples(struct fixture *x, int64_t bad_from, int64_t bad_to,
			 int64_t bad2_from, int64_t bad2_to)
{
	for (int64_t t = 0; t < 10 * S; t += 250 * MS) {
		bool bad = (t >= bad_from && t < bad_to) ||
			   (t >= bad2_from && t < bad2_to);
		add(&x->series[0], t, 10 * MS, !bad, true);
	}
}

static void test_availability(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/* bad from 2.25s to 3.5s: 5 of the 8 samples in [2,4) fail ... */
	home_samples(x, 2250 * MS, 3500 * MS, 0, 0);
	eval(x, 0, -1, &v);
	/* during f = [2,4) + [6,7): 8 + 4 samples, 5 bad */
	assert_false(v.ok);
	assert_true(fabs(v.value - 7.0 / 12.0) < 1e-9);
	assert_string_equal(v.measured, "58.33% (7 of 12 ok)");
	assert_string_equal(v.label, "availability of home during f");
	assert_string_equal(v.bound, ">= 99%");
	assert_int_equal(v.niv, 2);
	assert_int_equal(v.iv[0].a, 2 * S);
	assert_int_equal(v.iv[0].b, 4 * S);
	free(v.iv);

	/* before f: [0, 2s): 8 samples, all ok */
	eval(x, 10, -1, &v);
	assert_true(v.ok);
	assert_string_equal(v.measured, "100.00% (8 of 8 ok)");
	free(v.iv);

	/* after f +500ms: [4.5, 6) and [7.5, end] */
	eval(x, 11, -1, &v);
	assert_int_equal(v.niv, 2);
	assert_int_equal(v.iv[0].a, 4500 * MS);
	assert_int_equal(v.iv[0].b, 6 * S);
	assert_int_equal(v.iv[1].a, 7500 * MS);
	assert_string_equal(v.measured, "100.00% (16 of 16 ok)");
	free(v.iv);

	/* a range past the end is clipped to the end */
	eval(x, 12, -1, &v);
	assert_int_equal(v.iv[0].a, 9 * S);
	assert_int_equal(v.iv[0].b, 10 * S + 1);
	assert_string_equal(v.measured, "100.00% (4 of 4 ok)");
	free(v.iv);
}

static void test_availability_empty(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	eval(x, 0, -1, &v);
	assert_false(v.ok);
	assert_false(v.has_value);
	assert_string_equal(v.measured, "no samples in the window");
	free(v.iv);
}

static void test_latency(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/* 100 samples with latencies 1..100 ms, in shuffled order */
	for (int i = 0; i < 100; i++) {
		int k = (i * 37) % 100 + 1;
		add(&x->series[2], i * 100 * MS, k * MS, true, true);
	}
	eval(x, 1, 0, &v);
	assert_string_equal(v.label, "p50 latency of load over the whole run");
	assert_string_equal(v.bound, "<= 50ms");
	assert_string_equal(v.measured, "p50 50.0ms (100 samples)");
	assert_true(v.ok);
	free(v.iv);
	eval(x, 1, 1, &v);
	assert_string_equal(v.measured, "p99 99.0ms (100 samples)");
	assert_false(v.ok);
	free(v.iv);
	eval(x, 1, 2, &v);
	assert_string_equal(v.measured, "max 100ms (100 samples)");
	assert_true(v.ok);
	assert_true(fabs(v.value - 0.1) < 1e-9);
	free(v.iv);
}

static void test_percentile(void **state)
{
	uint64_t v[] = { 5, 1, 4, 2, 3 };

	(void)state;
	assert_int_equal(fr_percentile(v, 5, 0.5), 3);
	assert_int_equal(fr_percentile(v, 5, 0.2), 1);
	assert_int_equal(fr_percentile(v, 5, 0.21), 2);
	assert_int_equal(fr_percentile(v, 5, 1.0), 5);
	assert_int_equal(fr_percentile(v, 1, 0.99), 1);
	assert_int_equal(fr_percentile(v, 0, 0.5), 0);
}

static void test_recovers(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/*
	 * Clear at 4s: bad until 4.5s, ok at 4.5, bad at 4.75 (a flap), ok
	 * from 5s on: the first of 3 ok in a row is 5.0 (+10ms answer).
	 * Clear at 7s: ok from 7.25: 260ms. The worst counts.
	 */
	for (int64_t t = 0; t < 10 * S; t += 250 * MS) {
		bool ok = !((t >= 2 * S && t < 4500 * MS) || t == 4750 * MS ||
			    (t >= 6 * S && t < 7250 * MS));
		add(&x->series[0], t, 10 * MS, ok, true);
	}
	eval(x, 2, -1, &v);
	assert_string_equal(v.measured, "1.01s (worst of 2 clears)");
	assert_true(fabs(v.value - 1.01) < 1e-9);
	assert_false(v.ok);
	assert_string_equal(v.label, "home recovers after f");
	assert_string_equal(v.bound, "<= 1s");
	free(v.iv);
}

static void test_not_recovered(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/* never ok again after the first injection */
	home_samples(x, 2 * S, 10 * S, 0, 0);
	eval(x, 2, -1, &v);
	assert_false(v.ok);
	assert_false(v.has_value);
	assert_string_equal(v.measured, "not recovered (watched 2.00s after clear 1)");
	free(v.iv);
}

static void test_detects(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/* red from 2.25 to 4 and from 6.5 to 7; each check takes 10ms */
	home_samples(x, 2250 * MS, 4 * S, 6500 * MS, 7 * S);
	eval(x, 3, -1, &v);
	/* first injection: 2.25+0.01-2 = 260ms; second: 6.5+0.01-6 = 510ms */
	assert_string_equal(v.measured, "510ms");
	assert_false(v.ok);
	assert_string_equal(v.label, "home detects f");
	free(v.iv);
	/* two failures in a row: 2.5+0.01-2 = 510ms and 6.75+0.01-6 = 760ms */
	eval(x, 4, -1, &v);
	assert_string_equal(v.measured, "760ms");
	assert_true(v.ok);
	free(v.iv);
}

static void test_not_detected(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	/* red only during the first injection */
	home_samples(x, 2250 * MS, 4 * S, 0, 0);
	eval(x, 3, -1, &v);
	assert_false(v.ok);
	assert_string_equal(v.measured, "not detected (the fault was armed 1.00s)");
	free(v.iv);
}

static void test_responds(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	home_samples(x, 0, 0, 0, 0);
	eval(x, 5, -1, &v);
	assert_true(v.ok);
	assert_string_equal(v.measured, "max 10.0ms (20 samples)");
	free(v.iv);
	/* one check after the fault hangs until its 1s timeout */
	add(&x->series[0], 8100 * MS, S, false, false);
	eval(x, 5, -1, &v);
	assert_false(v.ok);
	assert_string_equal(v.measured, "max 1.00s; 1 of 21 unanswered (timed out)");
	free(v.iv);
}

static void test_lb_thresholds(void **state)
{
	struct fixture *x = *state;
	struct fr_series *s = &x->series[1];
	/* checks every 250ms: fail from 2.0 to 3.75, then pass */
	for (int64_t t = 0; t < 10 * S; t += 250 * MS)
		add(s, t, 0, !(t >= 2 * S && t < 3750 * MS), true);
	/* out after the third failure (2.5s), in after the 2nd pass (4.0s) */
	assert_int_equal(s->ntrans, 2);
	assert_int_equal(s->trans[0].t, 2500 * MS);
	assert_false(s->trans[0].in);
	assert_int_equal(s->trans[1].t, 4 * S);
	assert_true(s->trans[1].in);
	/* the sample at 2.25 failed its check but the backend was still in */
	assert_false(s->v[9].check);
	assert_true(s->v[9].in);
	assert_true(s->v[9].ok);
	assert_false(s->v[10].ok);
	assert_true(s->v[15].check); /* 3.75: passed, still out */
	assert_false(s->v[15].in);

	struct fr_verdict v;
	eval(x, 6, -1, &v);
	assert_string_equal(v.measured, "1.50s (taken out 1 time)");
	assert_false(v.ok);
	free(v.iv);
	/* during f: [2,4) and [6,7): out from 2.5 to 4.0 */
	eval(x, 7, -1, &v);
	assert_true(fabs(v.value - 1.5) < 1e-9);
	assert_true(v.ok);
	free(v.iv);
}

static void test_counts(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict v;

	x->f.restarts = 3;
	x->f.exits = 0;
	eval(x, 8, -1, &v);
	assert_false(v.ok);
	assert_string_equal(v.measured, "3 restarts");
	assert_string_equal(v.bound, "1..2");
	x->f.restarts = 1;
	eval(x, 8, -1, &v);
	assert_true(v.ok);
	assert_string_equal(v.measured, "1 restart");
	eval(x, 9, -1, &v);
	assert_true(v.ok);
	assert_string_equal(v.bound, "= 0");

	/* f fired; g matched calls but injected none; then nothing matched */
	x->faults[0].injected = 12;
	x->faults[0].matched = 12;
	x->faults[1].matched = 5;
	eval(x, 13, -1, &v);
	assert_true(v.ok);
	assert_string_equal(v.measured, "12 injections");
	assert_string_equal(v.label, "fault f fired");
	eval(x, 14, -1, &v);
	assert_false(v.ok);
	assert_string_equal(v.measured, "0 injections (5 calls matched)");
	x->faults[1].matched = 0;
	eval(x, 14, -1, &v);
	assert_false(v.ok);
	assert_string_equal(v.measured, "0 injections: no call matched the fault");
}

static void test_eval_all(void **state)
{
	struct fixture *x = *state;
	struct fr_verdict *v;
	size_t n;

	home_samples(x, 0, 0, 0, 0);
	assert_int_equal(fr_assert_eval(x->s, &x->f, &v, &n), 0);
	/* 13 written, the latency one gives 3, plus 2 implicit: 17 */
	assert_int_equal(n, 17);
	fr_verdicts_free(v, n);
}

/* status and the digits of a measured value: a scenario of their own */
static const char *status_yaml =
	"target: {command: x}\n"
	"faults: {f: \"write errno=EIO\"}\n"
	"probes: {front: {http: \"http://x/\"}, t: {tcp: \"a:1\"}}\n"
	"timeline: [{at: 2s, inject: f}, {at: 4s, clear: f}]\n"
	"duration: 6s\n"
	"expect:\n"
	"  - status: {probe: front, window: during f, codes: [502, 503], min: 90%}\n" /* 0 */
	"  - status: {probe: front, codes: 5xx, max: 10%, unanswered: ignore}\n"   /* 1 */
	"  - status: {probe: front, window: during f, codes: [none, 5xx], min: 100%}\n" /* 2 */
	"  - status: {probe: front, window: before f, codes: 2xx, min: 50%, max: 100%, name: ok}\n" /* 3 */
	"  - latency: {probe: t, max: 3s}\n"                                      /* 4 */
	"  - availability: {probe: t, min: 99.99%}\n";                           /* 5 */

static void add_status(struct fr_series *s, int64_t t, int status)
{
	struct fr_sample smp = { .t = t, .latency = 5 * MS, .ok = status >= 200 && status < 400,
				 .answered = status > 0, .timeout = status == 0,
				 .status = status > 0 ? status : 0 };
	fr_series_add(s, &smp, "x");
}

static void test_status(void **state)
{
	struct fr_scenario *s;
	struct fr_series ser[2];
	struct fr_fault_window fw = { 2 * S, 4 * S, true };
	struct fr_fault_facts ff = { .win = &fw, .nwin = 1 };
	struct fr_facts f = { .end = 6 * S, .series = ser, .nseries = 2, .faults = &ff,
			      .nfaults = 1 };
	struct fr_verdict v;
	char err[512];

	(void)state;
	assert_int_equal(fr_scenario_load_string("s.yml", status_yaml, NULL, 0, &s, err,
						 sizeof(err)), 0);
	fr_series_init(&ser[0], "front", "http", "x", 100 * MS, S, NULL);
	fr_series_init(&ser[1], "t", "tcp", "x", 100 * MS, S, NULL);
	/* before f: 200s; during f: 502 x 8, 503 x 9, 200 x 1, 2 timeouts; after: 200s */
	for (int i = 0; i < 20; i++)
		add_status(&ser[0], i * 100 * MS, 200);
	for (int i = 0; i < 20; i++)
		add_status(&ser[0], 2 * S + i * 100 * MS,
			   i < 8 ? 502 : i < 17 ? 503 : i == 17 ? 200 : 0);
	for (int i = 0; i < 20; i++)
		add_status(&ser[0], 4 * S + i * 100 * MS, 200);
	fr_series_sort(&ser[0]);

	assert_int_equal(fr_assert_one(s, &s->expects[0], -1, &f, &v), 0);
	assert_string_equal(v.label, "status 502, 503 of front during f");
	assert_string_equal(v.bound, ">= 90%");
	/* the 2 timeouts count (as none) and are not 502/503: 17 of 20 */
	assert_false(v.ok);
	assert_string_equal(v.measured, "85.00% (17 of 20; 2 unanswered)");
	free(v.iv);

	/* left out: 17 of 58 answers are 5xx */
	assert_int_equal(fr_assert_one(s, &s->expects[1], -1, &f, &v), 0);
	assert_false(v.ok);
	assert_string_equal(v.measured, "29.31% (17 of 58; 2 unanswered, left out)");
	assert_string_equal(v.bound, "<= 10%");
	free(v.iv);

	/* none: the timeouts count as matching; the one 200 does not */
	assert_int_equal(fr_assert_one(s, &s->expects[2], -1, &f, &v), 0);
	assert_false(v.ok);
	assert_string_equal(v.measured, "95.00% (19 of 20; 2 unanswered)");
	free(v.iv);

	assert_int_equal(fr_assert_one(s, &s->expects[3], -1, &f, &v), 0);
	assert_true(v.ok);
	assert_string_equal(v.label, "ok");
	assert_string_equal(v.bound, "50%..100%");
	assert_string_equal(v.measured, "100.00% (20 of 20)");
	free(v.iv);

	/* 3.0016s against a 3s bound: the digits show why it failed */
	struct fr_sample slow = { .t = 0, .latency = 3001600000ull, .answered = 1, .status = -1 };
	fr_series_add(&ser[1], &slow, "x");
	for (int i = 1; i < 10000; i++) {
		struct fr_sample smp = { .t = i * MS / 2, .latency = MS, .ok = 1, .answered = 1,
					 .status = -1 };
		fr_series_add(&ser[1], &smp, "x");
	}
	fr_series_sort(&ser[1]);
	assert_int_equal(fr_assert_one(s, &s->expects[4], 0, &f, &v), 0);
	assert_false(v.ok);
	assert_string_equal(v.measured, "max 3.002s (10000 samples)");
	free(v.iv);
	/* 9999 of 10000 ok against 99.99%: holds, and prints as the bound */
	assert_int_equal(fr_assert_one(s, &s->expects[5], -1, &f, &v), 0);
	assert_true(v.ok);
	assert_string_equal(v.measured, "99.99% (9999 of 10000 ok)");
	free(v.iv);
	/* one more failure: 99.98% fails, and must not print as 99.99% or 100.00% */
	ser[1].v[5].ok = 0;
	assert_int_equal(fr_assert_one(s, &s->expects[5], -1, &f, &v), 0);
	assert_false(v.ok);
	assert_string_equal(v.measured, "99.98% (9998 of 10000 ok)");
	free(v.iv);

	fr_series_finish(&ser[0]);
	fr_series_finish(&ser[1]);
	fr_scenario_destroy(s);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup_facts, teardown_facts)
	const struct CMUnitTest tests[] = {
		T(test_availability),
		T(test_availability_empty),
		T(test_latency),
		cmocka_unit_test(test_percentile),
		T(test_recovers),
		T(test_not_recovered),
		T(test_detects),
		T(test_not_detected),
		T(test_responds),
		T(test_lb_thresholds),
		T(test_counts),
		T(test_eval_all),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
