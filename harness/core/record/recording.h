/*
 * faultrun — a finished run, as assertions and reports see it: the
 * recording fr_run_scenario() returns. Everything in it is relative to
 * t = 0 (ns) and owned by the recording (free with fr_record_finish);
 * it points into the scenario, which must outlive it.
 */
#ifndef FAULTRUN_RECORDING_H
#define FAULTRUN_RECORDING_H

#include "record/expect.h"
#include "record/injections.h"
#include "record/series.h"
#include "scenario/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The verdict of a scenario run. */
enum fr_verdict_kind {
	FR_PASS,
	FR_FAIL,
	FR_ERROR,	/* could not run (exit 3) */
	FR_INTERRUPTED, /* SIGINT/SIGTERM (exit 3) */
};

const char *fr_verdict_name(enum fr_verdict_kind v);

/* The exit status a verdict stands for: 0, 1 or 3. */
int fr_verdict_exit(enum fr_verdict_kind v);

/* An event in the life of the target or of a process service. */
struct fr_lc_event {
	int64_t t;
	const char *service; /* NULL: the target; else a service's name (the scenario's) */
	/* start, ready, not-ready, exit, signal, stop, give-up, daemon, lb, lb-lost */
	const char *event;
	int pid;
	int attempt;   /* start */
	int status;    /* exit: code, or -1 */
	int signo;     /* exit/signal/stop: signal, or 0 */
	bool expected; /* exit */
	char *detail;  /* malloc'd or NULL */
	/* lb (a haproxy service's view of a backend): its name, the states (static) */
	const char *server, *state, *before;
};

/* A timeline step as it happened. */
struct fr_tl_entry {
	int64_t at, t;
	const struct fr_step *step;
	char *detail; /* malloc'd or NULL */
};

/* A process service as the run saw it (indexed like the scenario's services). */
struct fr_svc_rec {
	const char *name;  /* NULL: not a process service */
	bool shim, faults; /* under the shim; some fault is in it */
	unsigned starts, restarts, exits;
	struct fr_attach attach;
	char **tail;
	size_t ntail;
};

struct fr_record {
	const struct fr_scenario *s;
	enum fr_verdict_kind verdict;
	char *error; /* one line (then the target's output), or NULL */
	uint64_t seed;
	double started_wall; /* epoch seconds of t = 0 (0: never ready) */
	double invoked_wall; /* epoch seconds the run began */
	double seconds;	     /* wall time of the whole run */
	int64_t setup_ns;    /* run start to t = 0 */
	int64_t end_ns;	     /* t = 0 to the end */
	char *run_dir;	     /* kept, or NULL */
	char *cwd;	     /* the target's, or NULL */
	bool shim;
	bool started; /* t = 0 was reached: assertions apply */

	struct fr_series *series;
	size_t nseries;
	struct fr_facts facts;	  /* its series and nseries are the above */
	char (*fault_specs)[512]; /* per fault, formatted rule */

	struct fr_lc_event *lc;
	size_t nlc;
	unsigned starts, restarts, exits;
	char **tail; /* the target's last output lines */
	size_t ntail;

	struct fr_tl_entry *tl;
	size_t ntl;
	struct fr_inj_log inj;	 /* groups, a sample, what was folded or missed */
	struct fr_attach attach; /* processes the shim reached or that refused it */
	struct fr_svc_rec *svcs; /* nservices of them */
	size_t nsvcs;
	unsigned *proc_restarts, *proc_exits; /* per proc number (0: the target) */
	const struct fr_attach **proc_attach; /* per proc number: &attach, a service's, or NULL */

	/* filled by fr_record_evaluate */
	struct fr_verdict *verdicts;
	size_t nverdicts;
	unsigned failed;
};

/*
 * Evaluate the scenario's assertions on the recording (when the run
 * reached t = 0 and did not fail to run): fills verdicts and failed, and
 * turns a pass into a fail when an assertion failed. Returns 0 or -ENOMEM.
 */
int fr_record_evaluate(struct fr_record *rec);

/* Free what the recording owns (not rec itself). */
void fr_record_finish(struct fr_record *rec);

#endif /* FAULTRUN_RECORDING_H */
