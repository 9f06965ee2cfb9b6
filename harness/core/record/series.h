/*
 * faultrun — recorded time series: every sample of every probe, of the
 * load and of timeline requests. Reports and assertions are computed from
 * these, never from live state.
 */
#ifndef FAULTRUN_SERIES_H
#define FAULTRUN_SERIES_H

#include "scenario/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fr_sample {
	int64_t t;	    /* start, ns relative to t = 0 */
	uint64_t latency;   /* ns until answered, failed or timed out */
	const char *detail; /* interned one-liner, or NULL */
	int32_t status;	    /* HTTP status / exit code, -1 when none */
	uint8_t ok;	    /* for lb probes: in rotation after this check */
	uint8_t answered;
	uint8_t timeout;
	uint8_t check; /* lb probes: the check itself passed */
	uint8_t in;    /* lb probes: in rotation after this check */
};

struct fr_lb_transition {
	int64_t t; /* ns relative to t = 0 */
	bool in;
};

struct fr_series {
	const char *name;
	const char *kind;     /* http, tcp, exec, log, target, mysql, load, request */
	const char *what;     /* for humans */
	uint64_t interval_ns; /* 0: none */
	uint64_t timeout_ns;
	struct fr_lb lb; /* lb.on for load-balancer probes */

	struct fr_sample *v;
	size_t n, cap;

	/* load-balancer state, updated as checks complete */
	bool lb_in;
	unsigned lb_passes, lb_fails;
	struct fr_lb_transition *trans;
	size_t ntrans, captrans;

	/* interned details */
	char **pool;
	size_t npool, cappool;
};

void fr_series_init(struct fr_series *s, const char *name, const char *kind, const char *what,
		    uint64_t interval_ns, uint64_t timeout_ns, const struct fr_lb *lb);
void fr_series_finish(struct fr_series *s);

/*
 * Record a completed sample (in completion order). For lb series the
 * check result in smp->ok is turned into check/in/ok by the thresholds.
 * detail is copied (interned). Returns the stored sample.
 */
struct fr_sample *fr_series_add(struct fr_series *s, const struct fr_sample *smp,
				const char *detail);

/* Sort samples by start time (stable), before evaluating. */
void fr_series_sort(struct fr_series *s);

#endif /* FAULTRUN_SERIES_H */
