/*
 * faultrun — assertions (expect.c): a scenario's `expect` evaluated over the recorded
 * series, fault windows and counters of a run. Pure functions of the
 * recording (unit-tested on synthetic series in tests/unit/test-assert.c).
 */
#ifndef FAULTRUN_EXPECT_H
#define FAULTRUN_EXPECT_H

#include "scenario/scenario.h"
#include "record/injections.h"
#include "record/series.h"
#include "attach.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An interval [a, b) in ns relative to t = 0. */
struct fr_ival {
	int64_t a, b;
};

struct fr_fault_window {
	int64_t start, end; /* end: cleared, or the end of the run */
	bool cleared;	    /* by the timeline (not by the end of the run) */
};

struct fr_fault_facts {
	struct fr_fault_window *win;
	size_t nwin;
	uint64_t matched, injected, bytes;
	int64_t first, last; /* first/last injection, INT64_MIN when none */
	/*
	 * Of the injected: read from the rings but counted in no group (the
	 * table was full), and never read (the ring overwrote them first).
	 * injected = its groups' counts + folded + unseen.
	 */
	uint64_t folded, unseen;
	struct fr_rate rate; /* injected over time, from the counters */
	/*
	 * Per proc number (0: the target), or NULL: why it never fired there
	 * in the words of the unit's backend when that is not the shim (the
	 * seccomp backend's fr_sec_explain, run/backend.c). malloc'd.
	 */
	char **why;
};

struct fr_lc_event;

/* Everything a run recorded that assertions look at. */
struct fr_facts {
	int64_t end;		  /* ns from t = 0 to the end of the run */
	struct fr_series *series; /* indexed like scenario->series */
	size_t nseries;
	struct fr_fault_facts *faults; /* indexed like scenario->faults */
	size_t nfaults;
	unsigned restarts;	       /* by the restart policy */
	unsigned exits;		       /* unexpected exits of the target */
	const unsigned *proc_restarts; /* per proc number (0: the target), or NULL */
	const unsigned *proc_exits;
	size_t nprocs;
	const struct fr_attach *attach; /* where the shim reached, or NULL */
	/* per proc number (0: the target): where the shim reached in it, or NULL */
	const struct fr_attach *const *proc_attach;
	/* the lifecycle events: a haproxy service's view of its backends ("lb") */
	const struct fr_lc_event *lc;
	size_t nlc;
};

struct fr_verdict {
	const struct fr_expect *e;
	int lat; /* latency: index into e->lat, else -1 */
	char label[200];
	char bound[64];
	char measured[200];
	double value; /* ratio, seconds or count */
	bool has_value;
	bool ok;
	bool unjudged;	    /* the run was interrupted: measured, but not a pass or a fail */
	struct fr_ival *iv; /* the window judged (malloc'd), or NULL */
	size_t niv;
};

/*
 * The intervals of window w in a run (malloc'd into *out, *n of them).
 * Returns 0 or -ENOMEM.
 */
int fr_window_intervals(const struct fr_window *w, const struct fr_facts *f, struct fr_ival **out,
			size_t *n);

/*
 * Evaluate every expectation of s (latency ones give one verdict per
 * bound). The series must be sorted (fr_series_sort). *out is malloc'd;
 * free with fr_verdicts_free. Returns 0 or -ENOMEM.
 */
int fr_assert_eval(const struct fr_scenario *s, const struct fr_facts *f, struct fr_verdict **out,
		   size_t *n);

/* Evaluate one expectation into v (v->iv malloc'd). lat: as above. */
int fr_assert_one(const struct fr_scenario *s, const struct fr_expect *e, int lat,
		  const struct fr_facts *f, struct fr_verdict *v);

void fr_verdicts_free(struct fr_verdict *v, size_t n);

/* t inside one of the n intervals iv */
bool fr_in_window(int64_t t, const struct fr_ival *iv, size_t n);

/* status: the share of samples in v->iv with one of the codes (expect_status.c) */
void fr_eval_status(const struct fr_series *s, struct fr_verdict *v);

/*
 * "12.50%": ratio as a percentage, with the decimals it takes to differ
 * visibly from bound (a ratio; -1: none) when it is not equal to it.
 */
void fr_fmt_percent_vs(char *buf, size_t len, double ratio, double bound);

/* Nearest-rank percentile (q in 0..1) of n values (sorted in place). */
uint64_t fr_percentile(uint64_t *vals, size_t n, double q);

#endif /* FAULTRUN_EXPECT_H */
