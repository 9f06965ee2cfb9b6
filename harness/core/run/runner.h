/*
 * faultrun — running one scenario: run directory and control block,
 * services, the target under the shim, readiness, the timeline with probes
 * and load sampling throughout, teardown that always runs, assertions over
 * the recording, and the reports (table, JUnit, JSON journal).
 */
#ifndef FAULTRUN_RUNNER_H
#define FAULTRUN_RUNNER_H

#include "record/expect.h"
#include "scenario/scenario.h"
#include "record/series.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fr_run_opts {
	bool keep;        /* keep the run directory */
	int verbosity;    /* 0 quiet, 1 normal, 2 verbose (target output) */
	bool tty;         /* draw a live status line on `progress` */
	bool color;       /* colour the result table */
	FILE *progress;   /* where progress goes (stderr); NULL: nowhere */
	int signal_fd;    /* a signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
};

/* The verdict of a scenario run. */
enum fr_verdict_kind {
	FR_PASS,
	FR_FAIL,
	FR_ERROR,       /* could not run (exit 3) */
	FR_INTERRUPTED, /* SIGINT/SIGTERM (exit 3) */
};

struct fr_run_result {
	enum fr_verdict_kind verdict;
	int exit;         /* 0, 1 or 3 */
	char *json;       /* the scenario's object for the journal */
	char *junit;      /* its <testsuite> element */
	char *table;      /* the human-readable result */
	double seconds;   /* wall time of the whole run */
	unsigned assertions, failed;
};

/*
 * Run one scenario to the end and fill res (free with fr_run_result_free).
 * Returns 0 when the run produced a result (whatever the verdict), or
 * -EINTR when a signal arrived (the result is still filled).
 */
int fr_run_scenario(struct fr_scenario *s, const struct fr_run_opts *o,
		    struct fr_run_result *res);

void fr_run_result_free(struct fr_run_result *res);

const char *fr_verdict_name(enum fr_verdict_kind v);

/*
 * A finished run, as the reports see it. Built by the runner and handed
 * to report.c; everything in it is relative to t = 0 (ns).
 */
struct fr_lc_event {
	int64_t t;
	const char *event; /* start, ready, not-ready, exit, signal, stop, give-up */
	int pid;
	int attempt;       /* start */
	int status;        /* exit: code, or -1 */
	int signo;         /* exit/signal/stop: signal, or 0 */
	bool expected;     /* exit */
	char *detail;      /* malloc'd or NULL */
};

struct fr_tl_entry {
	int64_t at, t;
	const struct fr_step *step;
	char *detail; /* malloc'd or NULL */
};

struct fr_inj_event {
	int64_t t;
	int fault; /* index into scenario faults, -1 unknown */
	int pid;
	uint8_t op, action;
	int err;
	char where[96];
};

struct fr_record {
	const struct fr_scenario *s;
	enum fr_verdict_kind verdict;
	const char *error;       /* one line, or NULL */
	uint64_t seed;
	double started_wall;     /* epoch seconds of t = 0 (0: never ready) */
	double invoked_wall;     /* epoch seconds the run began */
	int64_t setup_ns;        /* run start to t = 0 */
	int64_t end_ns;          /* t = 0 to the end */
	const char *run_dir;     /* kept, or NULL */
	const char *cwd;
	bool shim;

	struct fr_series *series;
	size_t nseries;
	struct fr_facts facts;
	char (*fault_specs)[512]; /* per fault, formatted rule */

	struct fr_lc_event *lc;
	size_t nlc;
	unsigned starts, restarts, exits;
	char **tail;             /* the target's last output lines */
	size_t ntail;

	struct fr_tl_entry *tl;
	size_t ntl;
	struct fr_inj_event *inj;
	size_t ninj;
	uint64_t inj_dropped;

	struct fr_verdict *verdicts;
	size_t nverdicts;
};

/* report.c: render a record. Each returns a malloc'd string. */
char *fr_report_json(const struct fr_record *r);
char *fr_report_junit(const struct fr_record *r);
char *fr_report_table(const struct fr_record *r, bool color);

#endif /* FAULTRUN_RUNNER_H */
